//! Batch commands (docs/multi-record.md BATCH-*): reads (bins or read ops), writes (ops with
//! their own policy) and deletes, mixed in one call (the official client's `BatchOperation`,
//! `BatchPolicy`, `BatchRecord`). The records of all reads are fetched from the device together
//! first; the operations then run in the given order, each under its own record lock, each with
//! its own result code and in-doubt flag (BATCH-ORDER-1, BATCH-RESULT-1).
//!
//! Invariants: exactly one result per operation, at the operation's index; a read prefetched
//! before an earlier write of the same batch is never served from the stale image (the entry is
//! re-checked under the lock).

pub mod exec;
pub mod policy;

pub use policy::{BatchDeletePolicy, BatchPolicy, BatchReadPolicy, BatchWritePolicy};

use crate::engine::read::Bins;
use crate::error::ResultCode;
use crate::ops::Operation;
use crate::record::key::Key;
use crate::record::record::Record;

/// What one batch entry does.
#[derive(Debug, Clone)]
pub enum BatchOperationKind {
    /// Read bins.
    Read(Bins),
    /// Read ops (no write op).
    ReadOps(Vec<Operation>),
    /// Write ops (any op list `operate` accepts).
    Write(Vec<Operation>),
    /// Delete the record.
    Delete,
}

/// One entry of a batch, and after [`Database::batch`](crate::Database::batch) its outcome
/// (the official client's shape: the results are filled in place).
#[derive(Debug, Clone)]
pub struct BatchOperation {
    /// The record.
    pub key: Key,
    /// What to do.
    pub kind: BatchOperationKind,
    /// Read policy (reads).
    pub read_policy: Option<BatchReadPolicy>,
    /// Write policy (writes).
    pub write_policy: Option<BatchWritePolicy>,
    /// Delete policy (deletes).
    pub delete_policy: Option<BatchDeletePolicy>,
    /// The outcome, once the batch has run (None before).
    outcome: Option<BatchRecord>,
}

impl BatchOperation {
    fn new(key: Key, kind: BatchOperationKind) -> BatchOperation {
        BatchOperation {
            key,
            kind,
            read_policy: None,
            write_policy: None,
            delete_policy: None,
            outcome: None,
        }
    }

    /// Read `bins` of `key`.
    pub fn read(policy: &BatchReadPolicy, key: Key, bins: Bins) -> BatchOperation {
        BatchOperation {
            read_policy: Some(policy.clone()),
            ..BatchOperation::new(key, BatchOperationKind::Read(bins))
        }
    }

    /// Run read ops on `key`.
    pub fn read_ops(policy: &BatchReadPolicy, key: Key, ops: Vec<Operation>) -> BatchOperation {
        BatchOperation {
            read_policy: Some(policy.clone()),
            ..BatchOperation::new(key, BatchOperationKind::ReadOps(ops))
        }
    }

    /// Run write ops on `key` under `policy`.
    pub fn write(policy: &BatchWritePolicy, key: Key, ops: Vec<Operation>) -> BatchOperation {
        BatchOperation {
            write_policy: Some(policy.clone()),
            ..BatchOperation::new(key, BatchOperationKind::Write(ops))
        }
    }

    /// Delete `key` under `policy`.
    pub fn delete(policy: &BatchDeletePolicy, key: Key) -> BatchOperation {
        BatchOperation {
            delete_policy: Some(policy.clone()),
            ..BatchOperation::new(key, BatchOperationKind::Delete)
        }
    }

    /// Whether the entry may change the record.
    pub fn is_write(&self) -> bool {
        matches!(
            self.kind,
            BatchOperationKind::Write(_) | BatchOperationKind::Delete
        )
    }

    /// The record the entry answered (reads: the bins; writes: op results and metadata;
    /// deletes and failures: none).
    pub fn record(&self) -> Option<&Record> {
        self.outcome.as_ref().and_then(|o| o.record.as_ref())
    }

    /// Take the answered record out of the entry.
    pub fn take_record(&mut self) -> Option<Record> {
        self.outcome.as_mut().and_then(|o| o.record.take())
    }

    /// The entry's result code; None until the batch has run.
    pub fn result_code(&self) -> Option<ResultCode> {
        self.outcome.as_ref().map(|o| o.result_code)
    }

    /// Whether the entry failed in doubt (a write that may have been applied).
    pub fn in_doubt(&self) -> bool {
        self.outcome.as_ref().is_some_and(|o| o.in_doubt)
    }

    /// The whole outcome; None until the batch has run.
    pub fn batch_record(&self) -> Option<&BatchRecord> {
        self.outcome.as_ref()
    }

    /// The outcome, consuming the entry; None if the batch has not run.
    pub fn into_batch_record(self) -> Option<BatchRecord> {
        self.outcome
    }

    /// Record the outcome (the batch runner, once per run).
    pub(crate) fn set_outcome(&mut self, r: BatchRecord) {
        debug_assert!(r.key == self.key, "an outcome belongs to its own entry");
        self.outcome = Some(r);
    }
}

/// The outcome of one batch entry.
#[derive(Debug, Clone)]
pub struct BatchRecord {
    /// The entry's key.
    pub key: Key,
    /// The record (reads: bins; writes: op results and metadata; deletes: none).
    pub record: Option<Record>,
    /// The entry's result code (`Ok` on success).
    pub result_code: ResultCode,
    /// Whether a failed write may nevertheless have been applied (ID-FORMULA).
    pub in_doubt: bool,
    /// The failed check in words (empty on success).
    pub detail: String,
}
