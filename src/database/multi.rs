//! The multi-record commands of `Database` (docs/multi-record.md): `query`, `query_operate`,
//! `batch` and `truncate`. Each checks that the database is open and hands the work to its
//! subsystem (`crate::query`, `crate::batch`, `crate::engine::truncate`).

use super::Database;
use crate::batch::{BatchOperation, BatchOperationKind, BatchPolicy, BatchRecord};
use crate::engine::read::Bins;
use crate::engine::Namespace;
use crate::error::{err, Error, Result, ResultCode};
use crate::ops::Operation;
use crate::policy::write::WritePolicy;
use crate::query::{ExecuteTask, PartitionFilter, QueryPolicy, Recordset, Statement};
use crate::record::key::Key;
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl Database {
    /// Batch (BATCH-*): reads, writes and deletes mixed, run in order; each entry receives its
    /// own outcome in place ([`BatchOperation::record`], `result_code`, `in_doubt`,
    /// `batch_record`), as the official client fills its `&mut [BatchOperation]`; the reads'
    /// device reads are submitted together. Err only when the database is closed.
    ///
    /// ```
    /// use aerolite::{as_bin, BatchOperation, BatchPolicy, BatchReadPolicy, Bins, Database, Key};
    /// use aerolite::{ResultCode, WritePolicy};
    ///
    /// let db = Database::open_in_memory()?;
    /// let k1 = Key::new("test", "users", 1)?;
    /// db.put(&WritePolicy::default(), &k1, &[as_bin!("name", "ada")])?;
    /// let rp = BatchReadPolicy::default();
    /// let mut ops = vec![
    ///     BatchOperation::read(&rp, k1, Bins::from(["name"])),
    ///     BatchOperation::read(&rp, Key::new("test", "users", 2)?, Bins::All),
    /// ];
    /// db.batch(&BatchPolicy::default(), &mut ops)?;
    /// assert_eq!(ops[0].result_code(), Some(ResultCode::Ok));
    /// assert!(ops[0].record().is_some_and(|r| r.bin("name").is_some()));
    /// assert_eq!(ops[1].result_code(), Some(ResultCode::KeyNotFoundError));
    /// # Ok::<(), aerolite::Error>(())
    /// ```
    pub fn batch(&self, policy: &BatchPolicy, ops: &mut [BatchOperation]) -> Result<()> {
        if self.inner.closed.load(Ordering::Acquire) {
            return err(ResultCode::ClientError, "database is closed");
        }
        let results = crate::batch::exec::run(&|k: &Key| self.ns(k).cloned(), policy, ops);
        assert_eq!(results.len(), ops.len(), "one result per batch entry");
        for (op, r) in ops.iter_mut().zip(results) {
            let outcome = match r {
                Ok(rec) => BatchRecord {
                    key: op.key.clone(),
                    record: (!matches!(op.kind, BatchOperationKind::Delete)).then_some(rec),
                    result_code: ResultCode::Ok,
                    in_doubt: false,
                    detail: String::new(),
                },
                Err(e) => BatchRecord {
                    key: op.key.clone(),
                    record: None,
                    result_code: e.code(),
                    in_doubt: e.in_doubt(),
                    detail: e.detail().to_string(),
                },
            };
            op.set_outcome(outcome);
        }
        Ok(())
    }

    pub(super) fn ns_named(&self, name: &str) -> Result<&Arc<Namespace>> {
        if self.inner.closed.load(Ordering::Acquire) {
            return err(ResultCode::ClientError, "database is closed");
        }
        self.inner.namespaces.get(name).ok_or_else(|| {
            Error::new(
                ResultCode::InvalidNamespace,
                format!("namespace {name:?} does not exist"),
            )
        })
    }

    /// Scan / primary-index query (docs/multi-record.md SCAN-*): the statement's records in the
    /// filter's partitions, streamed; `Recordset::partition_filter` is the cursor to resume.
    pub fn query(
        &self,
        policy: &QueryPolicy,
        partition_filter: PartitionFilter,
        statement: Statement,
    ) -> Result<Recordset> {
        crate::query::predicate::check_query_filter(policy.filter_expression.as_ref())?;
        let ns = self.ns_named(&statement.namespace)?.clone();
        let inner = self.inner.clone();
        let alive = Box::new(move || !inner.closed.load(Ordering::Acquire));
        Recordset::new(ns, alive, policy, partition_filter, statement)
    }

    /// Background operation (QOP-*): apply `ops` (or `operations::delete()`) to every record the
    /// statement and `policy.filter_expression` select, each with the generation it was read at.
    pub fn query_operate(
        &self,
        policy: &WritePolicy,
        partition_filter: PartitionFilter,
        statement: Statement,
        ops: &[Operation],
    ) -> Result<ExecuteTask> {
        self.query_operate_hooked(policy, partition_filter, statement, ops, None)
    }

    /// As [`Database::query_operate`], running `before_write` just before each record's write
    /// (white-box tests use it to change a record between the task's read and its write).
    pub(crate) fn query_operate_hooked(
        &self,
        policy: &WritePolicy,
        partition_filter: PartitionFilter,
        statement: Statement,
        ops: &[Operation],
        before_write: Option<Box<dyn Fn() + Send>>,
    ) -> Result<ExecuteTask> {
        if !ops.iter().any(Operation::is_write) {
            return err(
                ResultCode::ParameterError,
                "query_operate needs at least one write op (or operations::delete())",
            );
        }
        let qp = QueryPolicy {
            filter_expression: policy.filter_expression.clone(),
            total_timeout: policy.total_timeout,
            ..QueryPolicy::default()
        };
        let statement = Statement {
            bins: Bins::None,
            ..statement
        };
        let ns = self.ns_named(&statement.namespace)?.clone();
        let records = self.query(&qp, partition_filter, statement)?;
        let inner = self.inner.clone();
        let gate: crate::query::operate::WriteGate = Box::new(move |write: &mut dyn FnMut()| {
            let _shared = inner.task_writes.read();
            if inner.closed.load(Ordering::Acquire) {
                return false;
            }
            if let Some(hook) = &before_write {
                hook();
            }
            write();
            true
        });
        ExecuteTask::start(ns, policy, records, ops.to_vec(), gate)
    }

    /// Truncate (TRUNC-*): every record of `set_name` ("" = the whole namespace) last updated
    /// before `before_nanos` (Unix nanoseconds; 0 = now) disappears at once; the cut-off is
    /// persisted before this returns, and space is reclaimed by the sweeper.
    pub fn truncate(&self, namespace: &str, set_name: &str, before_nanos: u64) -> Result<()> {
        let ns = self.ns_named(namespace)?;
        let cutoff = crate::engine::truncate::cutoff_of(before_nanos, ns.clock.now_ms())?;
        assert!(
            cutoff <= crate::index::entry::LUT_MAX,
            "a cut-off is a LUT (40 bits)"
        );
        ns.truncate(set_name, cutoff)
    }
}
