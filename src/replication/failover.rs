//! Failover and rejoin. `Cluster::promote` (in `cluster.rs`) makes a replica master in a new
//! regime; this module brings a node that was outside the cluster back in: record by record, its
//! copy and the master's are compared with Aerospike's AP conflict-resolution rule — the newer
//! generation wins (wrap-aware, GC-RESOLVE), on equal generations the later last-update-time —
//! the winner is installed everywhere, and the writes contained only in the losing copy are
//! reported as lost.
//!
//! Consequence (aerolite's choice, as in Aerospike AP): a write applied only by a master that
//! crashed before replicating it can win when that master returns — it then appears after its
//! call returned, so CL-NEVER-LATE holds per node, not across a failover.
//!
//! Invariants: after `rejoin(n)` every member and `n` hold the same version of every record either
//! side had, each advised as replicated; a missing copy loses to any present one (a non-durable
//! delete can therefore be undone by a returning node, as in Aerospike); on a full tie the
//! master's copy stays.

use crate::engine::replica_apply::RecordVersion;
use crate::replication::cluster::Cluster;
use crate::replication::message::{AttemptId, NodeId, RecKey, VersionTag};
use crate::replication::node::Role;

/// One record whose two copies disagreed when a node rejoined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictReport {
    /// Record.
    pub rec: RecKey,
    /// Node whose copy won.
    pub winner_node: NodeId,
    /// Node whose copy lost.
    pub loser_node: NodeId,
    /// (generation, LUT) of the winning copy (`None` = missing).
    pub winner: Option<(u16, u64)>,
    /// (generation, LUT) of the losing copy.
    pub loser: Option<(u16, u64)>,
    /// Writes contained in the losing copy and not in the winner (ground truth): lost writes.
    pub lost: Vec<AttemptId>,
}

/// GC-RESOLVE: `b` is newer than `a` when `(b − a) mod 65536` is in 1 … 32768.
pub fn generation_newer(b: u16, a: u16) -> bool {
    let d = b.wrapping_sub(a);
    (1..=32768).contains(&d)
}

/// Whether copy `b` beats copy `a` under the AP rule (generation, then LUT); ties keep `a`.
pub fn ap_beats(b: Option<&RecordVersion>, a: Option<&RecordVersion>) -> bool {
    match (a, b) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => {
            if generation_newer(b.generation, a.generation) {
                true
            } else if generation_newer(a.generation, b.generation) {
                false
            } else {
                b.lut > a.lut
            }
        }
    }
}

fn meta(v: Option<&RecordVersion>) -> Option<(u16, u64)> {
    v.map(|v| (v.generation, v.lut))
}

impl Cluster {
    /// Bring node `n` (running, reachable, outside the cluster) back as a replica.
    pub(crate) fn rejoin(&mut self, n: NodeId) {
        assert!(
            !self.members.contains(&n),
            "node {n} rejoins only from outside the cluster"
        );
        let Some(&m) = self.members.first() else {
            // Nobody is left: `n` alone forms a new regime as master.
            self.regime += 1;
            self.members.push(n);
            let node = &mut self.nodes[n];
            node.role = Role::Master;
            node.regime = self.regime;
            self.debug_check_members();
            return;
        };
        for ns in self.namespace_names.clone() {
            let mut recs = self.nodes[m].records(&ns);
            recs.extend(self.nodes[n].records(&ns));
            recs.extend(
                self.nodes[n]
                    .held
                    .keys()
                    .filter(|r| r.namespace == ns)
                    .cloned(),
            );
            recs.extend(
                self.nodes[m]
                    .held
                    .keys()
                    .filter(|r| r.namespace == ns)
                    .cloned(),
            );
            recs.sort();
            recs.dedup();
            for rec in recs {
                self.resolve_record(m, n, &rec);
            }
        }
        self.members.push(n);
        let node = &mut self.nodes[n];
        node.role = Role::Replica;
        node.regime = self.regime;
        node.in_flight.clear();
        node.waiting.clear();
        self.debug_check_members();
    }

    fn resolve_record(&mut self, m: NodeId, n: NodeId, rec: &RecKey) {
        // A read error means a corrupt copy: treat it as missing so the other copy wins.
        let va = self.nodes[m].version(rec).ok().flatten();
        let vb = self.nodes[n].version(rec).ok().flatten();
        let ta = self.nodes[m].held.get(rec).copied();
        let tb = self.nodes[n].held.get(rec).copied();
        let returner_wins = ap_beats(vb.as_ref(), va.as_ref());
        let (win_v, win_t, lose_v, lose_t, winner_node, loser_node) = if returner_wins {
            (vb, tb, va, ta, n, m)
        } else {
            (va, ta, vb, tb, m, n)
        };
        if win_v != lose_v {
            let lost = self.truth.lost_between(lose_t, win_t);
            self.conflicts.push(ConflictReport {
                rec: rec.clone(),
                winner_node,
                loser_node,
                winner: meta(win_v.as_ref()),
                loser: meta(lose_v.as_ref()),
                lost,
            });
        }
        let mut targets: Vec<NodeId> = self.members.clone();
        targets.push(n);
        for t in targets {
            if t != winner_node && self.install(t, rec, win_v.as_ref(), win_t) {
                continue;
            }
            if let Some(tag) = win_t {
                self.nodes[t].advised.insert(rec.clone(), tag);
            }
        }
    }

    /// Install a resolved version on node `t` (true if its storage refused, so it stays unadvised).
    fn install(
        &mut self,
        t: NodeId,
        rec: &RecKey,
        v: Option<&RecordVersion>,
        tag: Option<VersionTag>,
    ) -> bool {
        let node = &mut self.nodes[t];
        let current = node.version(rec).ok().flatten();
        if current.as_ref() != v {
            let Ok(ns) = node.ns(&rec.namespace) else {
                return true;
            };
            if ns.apply_replica_version(rec.digest, v).is_err() {
                return true;
            }
            // Replicas install the resolved version exactly (read back what was written).
            debug_assert!(
                node.version(rec).ok().flatten().as_ref() == v,
                "node {t} holds the installed version of {rec:?}"
            );
        }
        match tag {
            Some(tag) => {
                node.held.insert(rec.clone(), tag);
            }
            None => {
                node.held.remove(rec);
            }
        }
        false
    }

    /// Every write reported lost by rejoins so far.
    pub fn lost_writes(&self) -> Vec<AttemptId> {
        self.conflicts
            .iter()
            .flat_map(|c| c.lost.iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GC-RESOLVE wrap-aware comparison.
    #[test]
    fn generation_wraps() {
        assert!(generation_newer(2, 1));
        assert!(!generation_newer(1, 2));
        assert!(generation_newer(1, 65535));
        assert!(!generation_newer(5, 5));
    }
}
