//! Ground truth, for tests and measurement tooling only: which attempt produced which record
//! version on which master, and each version's parent, so that the writes contained in any node's
//! copy of a record can be listed. The client never reads this (ID-NO-ORACLE): its `in_doubt`
//! comes from ID-FORMULA alone; `client.rs` only attaches labels to its calls (write-only
//! bookkeeping for measurements) and `exactly_once.rs` does not touch it.
//!
//! Invariants: every version tag appears once (tags are unique per regime and master sequence);
//! a chain walk is bounded by the number of recorded versions, so it terminates.

use crate::replication::message::{AttemptId, CallId, NodeId, RecKey, VersionTag};
use std::collections::HashMap;

/// One write applied by a master.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// The attempt that applied.
    pub attempt: AttemptId,
    /// The master that applied it.
    pub node: NodeId,
    /// Record.
    pub rec: RecKey,
    /// The version it produced.
    pub tag: VersionTag,
    /// Simulated time of the apply.
    pub at_ms: u64,
}

/// The recorded truth.
#[derive(Debug, Default)]
pub struct GroundTruth {
    applications: Vec<Application>,
    parents: HashMap<VersionTag, (Option<VersionTag>, AttemptId)>,
    labels: HashMap<CallId, u64>,
    expired: Vec<AttemptId>,
}

impl GroundTruth {
    /// A master applied `attempt`, producing `tag` on top of `parent`.
    pub fn applied(&mut self, app: Application, parent: Option<VersionTag>) {
        let fresh = self
            .parents
            .insert(app.tag, (parent, app.attempt))
            .is_none();
        assert!(fresh, "version tags are unique");
        self.applications.push(app);
    }

    /// A master discarded `attempt` because its deadline had passed (CL-NEVER-LATE).
    pub fn expired(&mut self, attempt: AttemptId) {
        self.expired.push(attempt);
    }

    /// Attach a logical label to a call (for counting logical writes across calls).
    pub fn label(&mut self, call: CallId, label: u64) {
        self.labels.insert(call, label);
    }

    /// The label of a call.
    pub fn label_of(&self, call: CallId) -> Option<u64> {
        self.labels.get(&call).copied()
    }

    /// Every application, in order.
    pub fn applications(&self) -> &[Application] {
        &self.applications
    }

    /// Attempts discarded as late.
    pub fn expired_attempts(&self) -> &[AttemptId] {
        &self.expired
    }

    /// How many times a master applied any attempt of `call`.
    pub fn applied_count(&self, call: CallId) -> usize {
        self.applications
            .iter()
            .filter(|a| a.attempt.call == call)
            .count()
    }

    /// The attempts contained in version `tag`, oldest first (empty for `None`).
    pub fn chain(&self, tag: Option<VersionTag>) -> Vec<AttemptId> {
        let mut out = Vec::new();
        let mut cur = tag;
        while let Some(t) = cur {
            let Some((parent, attempt)) = self.parents.get(&t) else {
                break;
            };
            out.push(*attempt);
            cur = *parent;
            assert!(
                out.len() <= self.parents.len(),
                "version chains are acyclic"
            );
        }
        out.reverse();
        out
    }

    /// The attempts in `loser` that `winner` does not contain (multiset difference).
    pub fn lost_between(
        &self,
        loser: Option<VersionTag>,
        winner: Option<VersionTag>,
    ) -> Vec<AttemptId> {
        let mut keep: HashMap<AttemptId, usize> = HashMap::new();
        for a in self.chain(winner) {
            *keep.entry(a).or_default() += 1;
        }
        let mut lost = Vec::new();
        for a in self.chain(loser) {
            match keep.get_mut(&a) {
                Some(n) if *n > 0 => *n -= 1,
                _ => lost.push(a),
            }
        }
        lost
    }
}
