//! Cluster membership: crashing, restarting, partitioning and healing nodes; a node that stays
//! unreachable for the heartbeat timeout leaves the cluster (a master: automatic failover);
//! `promote` makes a replica master in a new regime. Rejoining goes through `failover::rejoin`.
//!
//! Invariants: `members[0]` is the only node in the master role among members; every member has
//! the cluster's regime; a node leaves `members` only through a departure or a promotion, and
//! enters it only through `rejoin`.

use crate::error::{err, Result, ResultCode};
use crate::replication::cluster::Cluster;
use crate::replication::fabric::{Event, Timer};
use crate::replication::message::{NodeId, RecKey};
use crate::replication::node::Role;

impl Cluster {
    /// The module's invariants: members are distinct, `members[0]` is the only member in the
    /// master role, and every member has the cluster's regime.
    pub(crate) fn debug_check_members(&self) {
        debug_assert!(
            self.members.iter().enumerate().all(|(i, &m)| {
                let node = &self.nodes[m];
                node.regime == self.regime
                    && (node.role == Role::Master) == (i == 0)
                    && !self.members[..i].contains(&m)
            }),
            "members {:?} of regime {}: one master first, each of the regime",
            self.members,
            self.regime
        );
    }

    /// Crash node `n`: it stops; its volatile replication state is lost, its storage kept.
    /// Unknown ids and nodes already down: no-op.
    pub fn crash(&mut self, n: NodeId) {
        if !self.node_up(n) {
            return;
        }
        self.nodes[n].crash();
        self.fabric.flush_inbox(n);
        let at = self.now_ms() + self.cfg.heartbeat_timeout_ms;
        self.fabric.schedule(at, Event::Timer(Timer::Departure(n)));
        if self.faults.mix.restart_after_ms > 0 {
            let at = self.now_ms() + self.faults.mix.restart_after_ms;
            self.fabric.schedule(at, Event::Timer(Timer::Restart(n)));
        }
    }

    /// Restart a crashed node; outside the cluster it rejoins (record-by-record resolution).
    pub fn restart(&mut self, n: NodeId) {
        if n >= self.nodes.len() || self.nodes[n].up {
            return;
        }
        self.nodes[n].up = true;
        if !self.members.contains(&n) && !self.isolated.contains(&n) {
            self.rejoin(n);
        }
    }

    /// Cut node `n` off from every other endpoint.
    pub fn partition(&mut self, n: NodeId) {
        if n < self.nodes.len() && self.isolated.insert(n) {
            let at = self.now_ms() + self.cfg.heartbeat_timeout_ms;
            self.fabric.schedule(at, Event::Timer(Timer::Departure(n)));
        }
    }

    /// Reconnect node `n`; outside the cluster it rejoins.
    pub fn heal(&mut self, n: NodeId) {
        if self.isolated.remove(&n) && self.nodes[n].up && !self.members.contains(&n) {
            self.rejoin(n);
        }
    }

    pub(crate) fn on_departure(&mut self, n: NodeId) {
        if self.reachable(n) || !self.members.contains(&n) {
            return;
        }
        if self.members.first() == Some(&n) {
            if !self.cfg.auto_failover {
                return;
            }
            let next = self
                .members
                .iter()
                .copied()
                .find(|&m| m != n && self.reachable(m));
            if let Some(m) = next {
                // Cannot fail: `m` is a reachable member.
                let _ = self.promote(m);
            }
            return;
        }
        self.members.retain(|&m| m != n);
        let Some(&master) = self.members.first() else {
            return;
        };
        let done: Vec<RecKey> = self.nodes[master]
            .in_flight
            .iter_mut()
            .filter_map(|(rec, f)| {
                f.pending.remove(&n);
                f.pending.is_empty().then(|| rec.clone())
            })
            .collect();
        for rec in done {
            self.master_complete(master, &rec);
        }
    }

    /// Promote member `n` to master in a new regime. The old master leaves the cluster; if it is
    /// still reachable it rejoins at once as a replica (its records resolved against `n`'s).
    pub fn promote(&mut self, n: NodeId) -> Result<()> {
        if !self.members.contains(&n) || !self.nodes[n].up {
            return err(
                ResultCode::ParameterError,
                format!("node {n} is not a running member"),
            );
        }
        let old = self.members.first().copied();
        if old == Some(n) {
            return Ok(());
        }
        self.regime += 1;
        self.members.retain(|&m| Some(m) != old && m != n);
        self.members.insert(0, n);
        for &m in &self.members {
            self.nodes[m].regime = self.regime;
        }
        let node = &mut self.nodes[n];
        node.role = Role::Master;
        node.in_flight.clear();
        node.waiting.clear();
        if let Some(o) = old {
            self.nodes[o].role = Role::Replica;
            if self.reachable(o) {
                self.rejoin(o);
            }
        }
        assert_eq!(self.members.first(), Some(&n), "the promoted node leads");
        self.debug_check_members();
        Ok(())
    }
}
