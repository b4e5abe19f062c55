//! One node of the replica set: a full aerolite `Database` (its own storage, the shared simulated
//! clock) plus the replication state the node keeps beside it.
//!
//! Invariants:
//! - `held[r]` is the tag of the version of `r` the node's database holds (absent: never written
//!   through replication on this node); installed versions only move forward in tag order;
//! - a replica serves a record locally only when `advised[r] == held[r]` (the master said that
//!   version is replicated); otherwise it asks the master;
//! - the master has at most one write per record in flight; later requests for that record wait in
//!   `waiting` (bounded by `WAITING_MAX`), in arrival order;
//! - `in_flight` and `waiting` are volatile: a crash clears them; the database survives (storage
//!   persists across a process crash).

use crate::config::DatabaseConfig;
use crate::database::Database;
use crate::engine::read::Bins;
use crate::engine::replica_apply::RecordVersion;
use crate::engine::Namespace;
use crate::error::{err, Error, Result, ResultCode};
use crate::record::bin::BinList;
use crate::record::record::Record;
use crate::replication::message::{AttemptId, ClientId, NodeId, Payload, RecKey, Step, VersionTag};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

/// Most requests queued behind one in-flight write (beyond: KeyBusy 14, like
/// `transaction_pending_limit`).
pub const WAITING_MAX: usize = 64;

/// A node's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Accepts writes.
    Master,
    /// Holds copies; refuses client writes (CL-REPLICA-ROLE).
    Replica,
}

/// A write the master applied and is replicating.
#[derive(Debug, Clone)]
pub struct InFlight {
    /// The write's attempt.
    pub attempt: AttemptId,
    /// Who gets the reply.
    pub reply_to: ClientId,
    /// Version produced.
    pub tag: VersionTag,
    /// The version (re-sent by retransmits).
    pub version: Option<RecordVersion>,
    /// The version before the write (served to non-linearized reads until the write completes).
    pub prior: Option<RecordVersion>,
    /// Replicas that have not acknowledged.
    pub pending: BTreeSet<NodeId>,
    /// Replicas that acknowledged (they get the advisory).
    pub acked: BTreeSet<NodeId>,
    /// The reply was sent (CommitMaster replies before the acks).
    pub replied: bool,
    /// Random crash point drawn for this write.
    pub crash_at: Option<Step>,
    /// The reply to send.
    pub result: Record,
}

/// A request waiting for the record's in-flight write.
#[derive(Debug, Clone)]
pub struct Waiting {
    /// The request message body.
    pub payload: Payload,
}

/// A node.
pub struct Node {
    /// Index in the cluster.
    pub id: NodeId,
    /// The node's database.
    pub db: Database,
    /// Role.
    pub role: Role,
    /// Running (false after a crash until restart).
    pub up: bool,
    /// Regime the node is in.
    pub regime: u32,
    /// Write sequence of this node as master.
    pub seq: u64,
    /// Tag of the version held per record.
    pub held: BTreeMap<RecKey, VersionTag>,
    /// Tag of the version advised as replicated per record.
    pub advised: BTreeMap<RecKey, VersionTag>,
    /// Master: writes in flight.
    pub in_flight: BTreeMap<RecKey, InFlight>,
    /// Master: requests waiting per record.
    pub waiting: BTreeMap<RecKey, VecDeque<Waiting>>,
    /// Attempts whose request this node already received (transport-level de-duplication),
    /// bounded by `SEEN_MAX`, oldest forgotten first.
    seen_requests: HashSet<AttemptId>,
    seen_order: VecDeque<AttemptId>,
    /// Incremented at every crash: a message sent to an earlier incarnation is never delivered
    /// (its connection died with the process).
    pub incarnation: u64,
}

/// Most remembered request attempts per node.
pub const SEEN_MAX: usize = 1 << 16;

impl Node {
    /// Open a node's database (background threads off: the simulation drives everything).
    pub fn open(id: NodeId, config: DatabaseConfig, role: Role) -> Result<Node> {
        let db = Database::open(config.background_threads(false))?;
        Ok(Node {
            id,
            db,
            role,
            up: true,
            regime: 1,
            seq: 0,
            held: BTreeMap::new(),
            advised: BTreeMap::new(),
            in_flight: BTreeMap::new(),
            waiting: BTreeMap::new(),
            seen_requests: HashSet::new(),
            seen_order: VecDeque::new(),
            incarnation: 0,
        })
    }

    /// The engine of a namespace (InvalidNamespace 20 if absent).
    pub fn ns(&self, name: &str) -> Result<&Arc<Namespace>> {
        self.db.namespace(name).ok_or_else(|| {
            Error::new(
                ResultCode::InvalidNamespace,
                format!("namespace {name:?} does not exist"),
            )
        })
    }

    /// The full stored version of a record.
    pub fn version(&self, rec: &RecKey) -> Result<Option<RecordVersion>> {
        self.ns(&rec.namespace)?.read_version(&rec.digest)
    }

    /// Every record (live, tombstone or expired) the node's namespace holds.
    pub fn records(&self, namespace: &str) -> Vec<RecKey> {
        let Ok(ns) = self.ns(namespace) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for p in 0..crate::record::key::PARTITIONS {
            for d in ns.index.partition(p).keys() {
                out.push(RecKey {
                    namespace: namespace.to_string(),
                    digest: *d,
                });
            }
        }
        out.sort();
        // A digest lives in one partition of one index: no record is listed twice.
        debug_assert!(out.windows(2).all(|w| w[0] < w[1]), "records are distinct");
        out
    }

    /// Crash: volatile replication state is lost; the database stays as stored.
    pub fn crash(&mut self) {
        self.up = false;
        self.in_flight.clear();
        self.waiting.clear();
        self.seen_requests.clear();
        self.seen_order.clear();
        self.incarnation += 1;
    }

    /// Record a request attempt; false if this node already received it.
    pub fn first_sight(&mut self, attempt: AttemptId) -> bool {
        if !self.seen_requests.insert(attempt) {
            return false;
        }
        self.seen_order.push_back(attempt);
        if self.seen_order.len() > SEEN_MAX {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen_requests.remove(&old);
            }
        }
        assert!(
            self.seen_order.len() <= SEEN_MAX && self.seen_order.len() == self.seen_requests.len(),
            "the de-duplication window is bounded and holds each attempt once"
        );
        true
    }
}

/// The read policy nodes serve client reads with: read-touch off (RTT-SETTING −1), because a
/// read-touch would change the node's copy outside the replicated write path.
pub fn node_read_policy() -> crate::policy::read::ReadPolicy {
    crate::policy::read::ReadPolicy {
        read_touch_ttl_percent: -1,
        ..Default::default()
    }
}

/// Serve a read from a stored version the way the read path would (R-*): missing, tombstone or
/// expired → 2; otherwise the selected bins and the metadata.
pub fn serve_version(v: Option<&RecordVersion>, bins: &Bins, now_s: u32) -> Result<Record> {
    let Some(v) = v else {
        return err(ResultCode::KeyNotFoundError, "record missing");
    };
    if v.tombstone {
        return err(ResultCode::KeyNotFoundError, "record is a tombstone");
    }
    if v.void_time != 0 && v.void_time < now_s {
        return err(ResultCode::KeyNotFoundError, "record expired");
    }
    let selected = match bins {
        Bins::All => v.bins.clone(),
        Bins::None => BinList::new(),
        Bins::Some(names) => {
            if names.is_empty() {
                return err(ResultCode::ParameterError, "explicit bin list is empty");
            }
            let mut out = BinList::new();
            for n in names {
                if let Some(x) = v.bins.get(n) {
                    out.push(n, x.clone());
                }
            }
            out
        }
    };
    Ok(Record {
        bins: selected,
        generation: u32::from(v.generation),
        expiration: v.void_time,
        last_update_time: v.lut,
        key: v
            .key
            .as_ref()
            .and_then(crate::record::key::UserKeyBytes::to_value),
    })
}
