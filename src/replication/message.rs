//! The messages of the write sequence (the seed's six steps) and the identities they carry.
//!
//! Steps: 1 client → master request; 2 master applies (local, no message); 3 master → replica
//! update; 4 replica → master acknowledgement; 5 master → client reply; 6 master → replica
//! "replicated" advisory. Reads use steps 1 and 5 only.
//!
//! Invariants: every message names the attempt it belongs to (requests, updates, acks, replies)
//! or the record version it concerns (updates, acks, advisories), so duplicates and stale copies
//! are recognised by the receiver, never applied twice.

use crate::engine::read::Bins;
use crate::engine::replica_apply::RecordVersion;
use crate::error::Result;
use crate::ops::Operation;
use crate::policy::write::WritePolicy;
use crate::record::key::{Digest, Key};
use crate::record::record::Record;

/// A node of the replica set (index into the cluster's node list).
pub type NodeId = usize;
/// A client of the cluster.
pub type ClientId = u32;

/// One client call (all its attempts share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId {
    /// The client.
    pub client: ClientId,
    /// Call number within the client, from 1.
    pub call: u64,
}

/// One attempt of one call (ID-SENT counts these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttemptId {
    /// The call.
    pub call: CallId,
    /// Attempt number, from 1.
    pub attempt: u32,
}

/// Identity of one record version produced by a master: its regime, then the master's write
/// sequence number. Ordered: a later regime, or the same regime and a greater sequence, is newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionTag {
    /// Regime of the master that produced the version.
    pub regime: u32,
    /// That master's write sequence number, from 1.
    pub seq: u64,
}

/// A record of one namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecKey {
    /// Namespace name.
    pub namespace: String,
    /// Record digest.
    pub digest: Digest,
}

impl RecKey {
    /// The record a key names.
    pub fn of(key: &Key) -> RecKey {
        RecKey {
            namespace: key.namespace.clone(),
            digest: key.digest,
        }
    }
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A node.
    Node(NodeId),
    /// A client.
    Client(ClientId),
}

/// The six steps of the seed's write sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// 1: the client sends the request to the master.
    Request = 1,
    /// 2: the master applies the write locally.
    Apply = 2,
    /// 3: the master sends the update to every replica.
    Replicate = 3,
    /// 4: each replica applies it and acknowledges.
    Ack = 4,
    /// 5: the master returns the result to the client.
    Reply = 5,
    /// 6: the master sends the "replicated" advisory.
    Advise = 6,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] = [
        Step::Request,
        Step::Apply,
        Step::Replicate,
        Step::Ack,
        Step::Reply,
        Step::Advise,
    ];
}

/// What a write request does.
#[derive(Debug, Clone)]
pub enum WriteKind {
    /// An operate with at least one write op (put and touch are operates of write / touch ops).
    Operate(Vec<Operation>),
    /// A delete (§12).
    Delete,
}

/// A client request.
#[derive(Debug, Clone)]
pub enum Request {
    /// A write.
    Write {
        /// The key.
        key: Key,
        /// The engine-side policy (the client's deadline and retries removed).
        policy: WritePolicy,
        /// What to do.
        kind: WriteKind,
    },
    /// A read of bins. `linearize` makes a read of a record whose write is still in flight wait
    /// for that write's outcome instead of returning the prior version.
    Read {
        /// The key.
        key: Key,
        /// Which bins.
        bins: Bins,
        /// Queue behind an in-flight write.
        linearize: bool,
    },
}

impl Request {
    /// The key.
    pub fn key(&self) -> &Key {
        match self {
            Request::Write { key, .. } | Request::Read { key, .. } => key,
        }
    }

    /// Whether this is a write (ID-READS).
    pub fn is_write(&self) -> bool {
        matches!(self, Request::Write { .. })
    }
}

/// A message body.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Step 1 (also a replica forwarding a read it may not serve to the master).
    Request {
        /// Attempt.
        attempt: AttemptId,
        /// Who gets the reply.
        reply_to: ClientId,
        /// The attempt's deadline, simulated ms; the master never applies a write after it
        /// (CL-NEVER-LATE).
        deadline_ms: u64,
        /// The request.
        request: Request,
    },
    /// Step 3: install this version (`None` = the record is now missing).
    Replicate {
        /// The write's attempt.
        attempt: AttemptId,
        /// Record.
        rec: RecKey,
        /// Version identity.
        tag: VersionTag,
        /// The version.
        version: Option<RecordVersion>,
    },
    /// Step 4.
    Ack {
        /// Record.
        rec: RecKey,
        /// The version acknowledged.
        tag: VersionTag,
    },
    /// Step 5.
    Reply {
        /// Attempt answered.
        attempt: AttemptId,
        /// Result.
        result: Result<Record>,
    },
    /// Step 6: the version `tag` of `rec` is on every replica; serve it without asking.
    Advise {
        /// Record.
        rec: RecKey,
        /// Version.
        tag: VersionTag,
    },
}

impl Payload {
    /// The step this message belongs to.
    pub fn step(&self) -> Step {
        match self {
            Payload::Request { .. } => Step::Request,
            Payload::Replicate { .. } => Step::Replicate,
            Payload::Ack { .. } => Step::Ack,
            Payload::Reply { .. } => Step::Reply,
            Payload::Advise { .. } => Step::Advise,
        }
    }
}

/// A message on the fabric.
#[derive(Debug, Clone)]
pub struct Message {
    /// Sender.
    pub from: Endpoint,
    /// Receiver.
    pub to: Endpoint,
    /// The receiver's incarnation when sent (nodes; 0 for clients).
    pub to_incarnation: u64,
    /// Body.
    pub payload: Payload,
}
