//! The replica's side: step 3 arrives (install the master's version exactly, never re-execute the
//! ops), step 4 (acknowledge), step 6 (the advisory), and the replica's refusal of client writes
//! (CL-REPLICA-ROLE → PartitionUnavailable 11) and its read rule.
//!
//! Invariants:
//! - an update is installed only if its tag is newer than the version held, so duplicated,
//!   re-sent or reordered updates never move a record backwards; an update from an older regime
//!   is ignored;
//! - every installed or already-held update is acknowledged, so a lost ack is repaired by the
//!   master's re-send;
//! - a replica serves a read locally only for a version advised as replicated; otherwise it
//!   forwards the read to the master.

use crate::engine::replica_apply::RecordVersion;
use crate::error::{Error, ResultCode};
use crate::replication::cluster::Cluster;
use crate::replication::message::{Endpoint, NodeId, Payload, RecKey, Request, VersionTag};
use crate::replication::node::node_read_policy;

impl Cluster {
    /// A client request reached a replica.
    pub(crate) fn replica_request(&mut self, n: NodeId, payload: Payload) {
        let Payload::Request {
            attempt,
            reply_to,
            request,
            ..
        } = &payload
        else {
            return;
        };
        let (attempt, reply_to) = (*attempt, *reply_to);
        match request {
            Request::Write { .. } => {
                let e = Error::new(
                    ResultCode::PartitionUnavailable,
                    format!("node {n} holds the replica role (CL-REPLICA-ROLE)"),
                );
                self.reply(n, reply_to, attempt, Err(e));
            }
            Request::Read { key, bins, .. } => {
                let rec = RecKey::of(key);
                let node = &self.nodes[n];
                let held = node.held.get(&rec);
                if held.is_some() && node.advised.get(&rec) == held {
                    let result = node.db.get(&node_read_policy(), key, bins.clone());
                    self.reply(n, reply_to, attempt, result);
                } else if let Some(&m) = self.members.first().filter(|&&m| m != n) {
                    self.send(Endpoint::Node(n), Endpoint::Node(m), payload);
                }
            }
        }
    }

    /// Step 3 arrives at node `n`.
    pub(crate) fn on_replicate(
        &mut self,
        n: NodeId,
        from: Endpoint,
        rec: RecKey,
        tag: VersionTag,
        version: Option<RecordVersion>,
    ) {
        let node = &mut self.nodes[n];
        if tag.regime < node.regime {
            return;
        }
        let newer = node.held.get(&rec).is_none_or(|h| *h < tag);
        if newer {
            let Ok(ns) = node.ns(&rec.namespace) else {
                return;
            };
            if ns
                .apply_replica_version(rec.digest, version.as_ref())
                .is_err()
            {
                // Storage refused: no ack, the master re-sends.
                return;
            }
            let prev = node.held.insert(rec.clone(), tag);
            assert!(
                prev.is_none_or(|p| p < tag),
                "an update never moves a record backwards"
            );
        }
        self.send(Endpoint::Node(n), from, Payload::Ack { rec, tag });
    }

    /// Step 6 arrives at node `n`.
    pub(crate) fn on_advise(&mut self, n: NodeId, rec: RecKey, tag: VersionTag) {
        let node = &mut self.nodes[n];
        if node.held.get(&rec) == Some(&tag) {
            node.advised.insert(rec, tag);
        }
    }
}
