//! `query_operate` (Aerospike's background operation): write ops — or `operations::delete()` —
//! applied to every record a query selects. Each record is written under its own lock with the
//! generation it was read at (`ExpectGenEqual`), so a record changed since the scan read it is
//! left alone and counted (QOP-GEN-1); deletes honour the policy's durable delete (QOP-DELETE-1).
//! The work runs on its own thread; the returned [`ExecuteTask`] is polled or waited for.
//!
//! Invariants: `applied + generation_changed + not_found + filtered_out + failed ≤ selected`, all counters only
//! grow, and `status()` is `Complete` exactly once the worker has stopped.

use crate::engine::Namespace;
use crate::error::{err, Error, Result, ResultCode};
use crate::ops::Operation;
use crate::policy::write::{GenerationPolicy, WritePolicy};
use crate::query::recordset::Recordset;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Runs one task write unless the database is closed (then returns false without running it);
/// close waits for a write in progress (QOP-CLOSE-1).
pub type WriteGate = Box<dyn Fn(&mut dyn FnMut()) -> bool + Send>;

/// Status of a background task (the official client's task status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// Still running.
    InProgress,
    /// Finished (successfully or not; see [`ExecuteTask::wait`]).
    Complete,
}

/// Counters of a background task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TaskCounts {
    /// Records the query selected.
    pub selected: u64,
    /// Records written or deleted.
    pub applied: u64,
    /// Records skipped because their generation changed after the scan read them (QOP-GEN-1).
    pub generation_changed: u64,
    /// Records gone (deleted, expired or truncated) between the read and the write.
    pub not_found: u64,
    /// Records the write policy's filter rejected at write time.
    pub filtered_out: u64,
    /// Records whose write failed with another code (the first error is kept).
    pub failed: u64,
}

#[derive(Default)]
struct Shared {
    done: AtomicBool,
    selected: AtomicU64,
    applied: AtomicU64,
    generation_changed: AtomicU64,
    not_found: AtomicU64,
    filtered_out: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<Error>>,
}

/// A running `query_operate`.
pub struct ExecuteTask {
    shared: Arc<Shared>,
    handle: Option<JoinHandle<()>>,
}

impl ExecuteTask {
    /// Start applying `ops` to every record of `records` on a new thread.
    pub(crate) fn start(
        ns: Arc<Namespace>,
        policy: &WritePolicy,
        records: Recordset,
        ops: Vec<Operation>,
        gate: WriteGate,
    ) -> Result<ExecuteTask> {
        let shared = Arc::new(Shared::default());
        let (sh, policy) = (shared.clone(), policy.clone());
        let name = format!("aerolite-qop-{}", ns.config.name);
        let spawned = crate::engine::runtime::spawn_task(name, move || {
            run(&ns, &policy, records, &ops, &sh, &gate);
            sh.done.store(true, Ordering::Release);
        });
        match spawned {
            Ok(h) => Ok(ExecuteTask {
                shared,
                handle: Some(h),
            }),
            Err(e) => err(
                ResultCode::ServerError,
                format!("cannot start the query_operate thread: {e}"),
            ),
        }
    }

    /// Whether the task has finished.
    pub fn status(&self) -> TaskStatus {
        if self.shared.done.load(Ordering::Acquire) {
            TaskStatus::Complete
        } else {
            TaskStatus::InProgress
        }
    }

    /// Counters so far.
    pub fn counts(&self) -> TaskCounts {
        let s = &self.shared;
        TaskCounts {
            selected: s.selected.load(Ordering::Acquire),
            applied: s.applied.load(Ordering::Acquire),
            generation_changed: s.generation_changed.load(Ordering::Acquire),
            not_found: s.not_found.load(Ordering::Acquire),
            filtered_out: s.filtered_out.load(Ordering::Acquire),
            failed: s.failed.load(Ordering::Acquire),
        }
    }

    /// Wait for the end: the final counters, or the first error that was neither a generation
    /// change nor a vanished record.
    pub fn wait(mut self) -> Result<TaskCounts> {
        if let Some(h) = self.handle.take() {
            if h.join().is_err() {
                return err(ResultCode::ServerError, "query_operate thread panicked");
            }
        }
        // `status()` is Complete exactly once the worker stopped: it sets `done` before it ends.
        assert!(
            self.shared.done.load(Ordering::Acquire),
            "a joined worker has marked the task done"
        );
        let counts = self.counts();
        assert!(
            counts.applied
                + counts.generation_changed
                + counts.not_found
                + counts.filtered_out
                + counts.failed
                <= counts.selected,
            "every outcome is of a selected record: {counts:?}"
        );
        let first = self.shared.first_error.lock().map(|mut e| e.take());
        match first {
            Ok(Some(e)) => Err(e),
            _ => Ok(counts),
        }
    }
}

fn run(
    ns: &Namespace,
    policy: &WritePolicy,
    records: Recordset,
    ops: &[Operation],
    sh: &Shared,
    gate: &WriteGate,
) {
    for item in records {
        let (key, record) = match item {
            Ok(r) => r,
            Err(e) => {
                let stop = e.code() == ResultCode::ClientError;
                note_error(sh, e);
                if stop {
                    return;
                }
                continue;
            }
        };
        sh.selected.fetch_add(1, Ordering::AcqRel);
        let mut wp = policy.clone();
        wp.generation_policy = GenerationPolicy::ExpectGenEqual;
        wp.generation = record.generation;
        let mut outcome = None;
        if !gate(&mut || outcome = Some(ns.write(&wp, &key, ops))) {
            note_error(
                sh,
                Error::new(ResultCode::ClientError, "database closed during the task"),
            );
            return;
        }
        let Some(outcome) = outcome else { return };
        match outcome {
            Ok(_) => sh.applied.fetch_add(1, Ordering::AcqRel),
            Err(e) if e.code() == ResultCode::GenerationError => {
                sh.generation_changed.fetch_add(1, Ordering::AcqRel)
            }
            Err(e) if e.code() == ResultCode::KeyNotFoundError => {
                sh.not_found.fetch_add(1, Ordering::AcqRel)
            }
            Err(e) if e.code() == ResultCode::FilteredOut => {
                sh.filtered_out.fetch_add(1, Ordering::AcqRel)
            }
            Err(e) => {
                note_error(sh, e);
                sh.failed.fetch_add(1, Ordering::AcqRel)
            }
        };
        // One worker updates the counters: each selected record has at most one outcome.
        debug_assert!(
            [
                &sh.applied,
                &sh.generation_changed,
                &sh.not_found,
                &sh.filtered_out,
                &sh.failed
            ]
            .iter()
            .map(|c| c.load(Ordering::Acquire))
            .sum::<u64>()
                == sh.selected.load(Ordering::Acquire),
            "one outcome per selected record"
        );
    }
}

fn note_error(sh: &Shared, e: Error) {
    if let Ok(mut first) = sh.first_error.lock() {
        if first.is_none() {
            *first = Some(e);
        }
    }
}
