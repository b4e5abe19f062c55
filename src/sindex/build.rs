//! Building an index from the records already stored (SIDX-BUILD-1): on creation in a
//! background thread, and at open for every persisted definition (SIDX-RESTART-1). The index is
//! registered before the build starts, so writes during the build maintain it through the commit
//! hooks; the build visits each partition's records under their record locks, so a record is
//! never indexed from a version older than one a writer already indexed.
//!
//! Invariants: `load_pct` only grows and reaches 100 only after every partition was visited;
//! a dropped index's build stops at the next partition.

use crate::engine::runtime::spawn_task;
use crate::engine::Namespace;
use crate::error::{Error, Result, ResultCode};
use crate::query::TaskStatus;
use crate::record::key::{Digest, PARTITIONS};
use crate::sindex::registry::SIndex;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Index the live records of partition `pid`; returns how many records were visited.
fn build_partition(ns: &Namespace, ix: &SIndex, pid: usize) -> u64 {
    let digests: Vec<Digest> = ns
        .index
        .partition(pid)
        .iter()
        .filter(|(_, e)| !e.is_tombstone())
        .map(|(d, _)| *d)
        .collect();
    let mut visited = 0;
    for d in digests {
        let Ok(_guard) = ns.locks.acquire(d, 0, None) else {
            continue;
        };
        let Some(e) = ns.index.get(&d) else {
            continue;
        };
        if e.is_tombstone() {
            continue;
        }
        // A damaged image is skipped: reads of it answer 1 anyway, and its next write indexes it.
        if let Ok(img) = ns.load(&d, &e) {
            if ix.def.covers_set(&img.meta.set_name) {
                ix.tree.replace(&d, ix.def.keys_of(&d, &img.bins));
            }
        }
        visited += 1;
    }
    visited
}

/// Build `ix` over every partition of `ns` while `alive()`; returns the records visited.
pub fn build(ns: &Namespace, ix: &SIndex, alive: &dyn Fn() -> bool) -> u64 {
    let mut visited = 0;
    for pid in 0..PARTITIONS {
        if ix.dropped.load(Ordering::Acquire) || !alive() {
            ix.end_build(false);
            return visited;
        }
        visited += build_partition(ns, ix, pid);
        let pct = (pid * 100 / PARTITIONS).min(99) as u8;
        assert!(
            pct >= ix.load_pct.load(Ordering::Acquire),
            "load_pct only grows"
        );
        ix.load_pct.store(pct, Ordering::Release);
    }
    assert!(
        ix.load_pct.load(Ordering::Acquire) < 100,
        "load_pct reaches 100 only once every partition was visited"
    );
    ix.end_build(true);
    visited
}

/// The task of an index creation (the official client's `IndexTask`): its build progress.
pub struct IndexTask {
    index: Arc<SIndex>,
}

impl IndexTask {
    /// Start building `ix` in a background thread (or nothing when `fresh` is false: the index
    /// existed, its own build is running or done).
    pub(crate) fn start(
        ns: Arc<Namespace>,
        ix: Arc<SIndex>,
        fresh: bool,
        alive: Box<dyn Fn() -> bool + Send>,
    ) -> Result<IndexTask> {
        if fresh {
            let (ns2, ix2) = (ns.clone(), ix.clone());
            let handle = spawn_task(format!("sindex-{}", ix.def.name), move || {
                build(&ns2, &ix2, &*alive);
            })
            .map_err(|e| {
                ix.end_build(false);
                Error::io(ResultCode::ServerError, "cannot start the index build", e)
            })?;
            ns.sindexes.track_build(handle);
        }
        Ok(IndexTask { index: ix })
    }

    /// Percent of the namespace the build has visited (100 = queries can use the index).
    pub fn percent_loaded(&self) -> u8 {
        self.index.load_pct.load(Ordering::Acquire)
    }

    /// `Complete` once the index is loaded.
    pub fn query_status(&self) -> TaskStatus {
        if self.index.loaded() {
            TaskStatus::Complete
        } else {
            TaskStatus::InProgress
        }
    }

    /// Block until the build ended; 201 when the index was dropped (or the database closed)
    /// before it was loaded.
    pub fn wait_till_complete(&self) -> Result<()> {
        self.index.wait_build();
        if self.index.loaded() {
            Ok(())
        } else {
            Err(Error::new(
                ResultCode::IndexNotFound,
                format!(
                    "index {:?} was dropped (or the database closed) before its build ended",
                    self.index.def.name
                ),
            ))
        }
    }
}
