//! `Database`: the public handle (in place of the official client's `Client`). Synchronous,
//! `Send + Sync`; share it across threads with `Arc`.
//!
//! Invariants: every error of a write request leaves here with `in_doubt` set by ID-FORMULA, or
//! kept set when storage reported it (a device write or sync failed after the image was handed
//! to the device: ID-DEVICE-HANDOFF, storage-format.md "Writing rules"); the engine never clears
//! or sets it from what it knows was applied (ID-NO-ORACLE); retries happen only after Timeout or a client-side error
//! (ID-RETRY-POLICY); once closed, every request fails with ClientError −1 and counts as not sent.

use crate::batch::{BatchOperation, BatchPolicy, BatchReadPolicy};
use crate::config::{DatabaseConfig, DeviceConfig, NamespaceConfig, StorageConfig};
use crate::engine::defrag::DefragStats;
use crate::engine::integrity::IntegrityReport;
use crate::engine::read::{Bins, ReadKind};
use crate::engine::runtime::Runtime;
use crate::format::record_ref::RecordRef;
use crate::engine::sweep::SweepStats;
use crate::engine::tombstones::{TombReclaimer, TombStats};
use crate::engine::Namespace;
use crate::error::{err, Error, Result, ResultCode};
use crate::ops::Operation;
use crate::policy::read::ReadPolicy;
use crate::policy::write::WritePolicy;
use crate::record::bin::Bin;
use crate::record::key::{Key, PARTITIONS};
use crate::record::record::Record;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

mod multi;
mod sindex;
mod stats;
pub use sindex::AdminPolicy;
#[cfg(feature = "server")]
pub(crate) use sindex::IndexState;
pub use stats::Stats;

/// Up to this many namespaces, a request finds its namespace by comparing names.
const NAMESPACES_SCANNED: usize = 4;

struct Inner {
    namespaces: HashMap<String, Arc<Namespace>>,
    closed: AtomicBool,
    /// Held (shared) by each background-task write; close takes it exclusively after setting
    /// `closed`, so no task write runs past the shutdown (QOP-CLOSE-1).
    task_writes: RwLock<()>,
}

/// An open database.
pub struct Database {
    inner: Arc<Inner>,
    runtime: Runtime,
    recovery: Vec<crate::engine::recovery::RecoveryStats>,
}

impl Database {
    /// Open with a configuration (validated: TTL-CONFIG and friends → 4).
    ///
    /// A device file, raw device or snapshot that another open database holds is refused at
    /// once with 4, naming the path as "in use". The hold is an `flock` on the path (and, for a
    /// raw device, an `O_EXCL` open). A child process that your program starts receives a copy
    /// of these descriptors and keeps it until it `exec`s. So if one thread closes a database
    /// and reopens its path while another thread starts a process, the reopen can be refused in
    /// that short window. Retry it, or do not start processes during the close and reopen.
    pub fn open(config: DatabaseConfig) -> Result<Database> {
        config.validate()?;
        let mut namespaces = HashMap::new();
        let mut recovery = Vec::new();
        for nc in &config.namespaces {
            let storage =
                crate::storage::open_backend(nc, config.background_threads, config.clock.clone())?;
            let mut nc = nc.clone();
            if let StorageConfig::Device(d) = &nc.storage {
                // L-RECORD-SIZE: never above the largest image one write block holds.
                let cap = d.block_size - crate::format::write_block::HEADER_LEN as u32;
                nc.max_record_size = nc.max_record_size.min(cap);
            }
            let ns = Namespace::new(nc.clone(), storage, config.clock.clone());
            let mut stats = crate::engine::recovery::open(&ns, config.progress.as_ref())?;
            // TRUNC-PERSIST-1: records below a persisted cut-off never come back.
            ns.bind_truncations();
            ns.reap_truncated(0, PARTITIONS);
            let (n, entries, took) = sindex::rebuild_at_open(&ns)?;
            (stats.sindexes, stats.sindex_entries, stats.sindex_rebuild) =
                (n as u64, entries, took);
            recovery.push(stats);
            namespaces.insert(nc.name.clone(), Arc::new(ns));
        }
        // DatabaseConfig::validate refused duplicate names: one engine per configured namespace.
        assert_eq!(
            namespaces.len(),
            config.namespaces.len(),
            "one engine per namespace"
        );
        assert_eq!(
            recovery.len(),
            namespaces.len(),
            "one recovery report per namespace"
        );
        let inner = Arc::new(Inner {
            namespaces,
            closed: AtomicBool::new(false),
            task_writes: RwLock::new(()),
        });
        let runtime = if config.background_threads {
            Runtime::start(inner.namespaces.values())?
        } else {
            Runtime::default()
        };
        Ok(Database {
            inner,
            runtime,
            recovery,
        })
    }

    /// One device namespace named `test` at `path` (a file, created if missing) with every
    /// default (1 GiB sparse file, 1 MiB blocks, buffered durability).
    pub fn open_default(path: impl Into<std::path::PathBuf>) -> Result<Database> {
        let ns =
            NamespaceConfig::new("test").storage(StorageConfig::Device(DeviceConfig::new(path)));
        Database::open(DatabaseConfig::with_namespaces(vec![ns]))
    }

    /// What each namespace's restart did (in configuration order).
    pub fn recovery_stats(&self) -> &[crate::engine::recovery::RecoveryStats] {
        &self.recovery
    }

    /// One in-memory namespace named `test` with every default.
    pub fn open_in_memory() -> Result<Database> {
        Database::open(DatabaseConfig::memory("test"))
    }

    fn ns(&self, key: &Key) -> Result<&Arc<Namespace>> {
        if self.inner.closed.load(Ordering::Acquire) {
            return err(ResultCode::ClientError, "database is closed");
        }
        let namespaces = &self.inner.namespaces;
        // A database holds a few namespaces: comparing their names costs less than hashing the
        // request's (SipHash) on every request.
        let found = if namespaces.len() <= NAMESPACES_SCANNED {
            namespaces
                .iter()
                .find_map(|(name, ns)| (*name == key.namespace).then_some(ns))
        } else {
            namespaces.get(&key.namespace)
        };
        debug_assert_eq!(
            found.map(Arc::as_ptr),
            namespaces.get(&key.namespace).map(Arc::as_ptr),
            "the scan finds what the map holds"
        );
        found.ok_or_else(|| {
            Error::new(
                ResultCode::InvalidNamespace,
                format!("namespace {:?} does not exist (WP-01)", key.namespace),
            )
        })
    }

    /// Run a write attempt loop with ID-RETRY-POLICY and ID-FORMULA.
    fn write_attempts<T>(
        &self,
        policy: &WritePolicy,
        mut attempt: impl FnMut() -> Result<T>,
    ) -> Result<T> {
        let mut sent = 0u32;
        loop {
            if self.inner.closed.load(Ordering::Acquire) {
                let e = Error::new(ResultCode::ClientError, "database is closed");
                let in_doubt = Error::in_doubt_formula(true, sent, e.code());
                return Err(e.with_in_doubt(in_doubt));
            }
            sent += 1;
            // ID-RETRY-POLICY: at most max_retries retries after the first attempt.
            assert!(
                u64::from(sent) <= u64::from(policy.max_retries) + 1,
                "write attempts are bounded by max_retries"
            );
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let retryable = e.code() == ResultCode::Timeout || e.code().code() <= 0;
                    if retryable && sent <= policy.max_retries {
                        std::thread::sleep(policy.sleep_between_retries);
                        continue;
                    }
                    // ID-FORMULA, or storage's own "in doubt" (ID-DEVICE-HANDOFF): the image
                    // reached the device before its write or sync failed.
                    let in_doubt = Error::in_doubt_formula(true, sent, e.code()) || e.in_doubt();
                    return Err(e.with_in_doubt(in_doubt));
                }
            }
        }
    }

    /// Write bins (create or update per the policy). Returns the new metadata (no bins).
    pub fn put(&self, policy: &WritePolicy, key: &Key, bins: &[Bin]) -> Result<Record> {
        let ns = self.ns(key)?;
        // Exactly an operate of one write op per bin (ops::WriteOps), without the op list.
        self.write_attempts(policy, || ns.put_bins(policy, key, bins))
    }

    /// Read all bins, named bins, or the header only.
    pub fn get(&self, policy: &ReadPolicy, key: &Key, bins: Bins) -> Result<Record> {
        let ns = self.ns(key)?;
        ns.read(policy, key, ReadKind::Bins(&bins))
    }

    /// A get of every bin whose answer `f` looks at in place: the [`RecordRef`] it is handed
    /// borrows the stored record, so strings and blobs are not copied and, for a record of up
    /// to 8 bins, nothing is allocated. Same answer and result codes as
    /// `get(policy, key, Bins::All)`; `f` runs once, only for a record that is found.
    ///
    /// ```
    /// use aerolite::{Bin, Database, Key, ReadPolicy, ValueRef, WritePolicy};
    /// let db = Database::open_in_memory()?;
    /// let key = Key::new("test", "users", "alice")?;
    /// db.put(&WritePolicy::default(), &key, &[Bin::new("photo", vec![1u8, 2, 3])])?;
    /// let len = db.get_with(&ReadPolicy::default(), &key, |r| match r.bin("photo") {
    ///     Ok(Some(ValueRef::Blob(b))) => b.len(),
    ///     _ => 0,
    /// })?;
    /// assert_eq!(len, 3);
    /// # Ok::<(), aerolite::Error>(())
    /// ```
    pub fn get_with<R>(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        f: impl FnOnce(&RecordRef<'_>) -> R,
    ) -> Result<R> {
        self.ns(key)?.read_with(policy, key, f)
    }

    /// Batch get (Aerospike's batch read of `bins` for many keys): one result per key, in order,
    /// each exactly what [`Database::get`] would return for it; the device reads of the batch are
    /// submitted together. A special case of [`Database::batch`].
    pub fn get_many(&self, policy: &ReadPolicy, keys: &[Key], bins: Bins) -> Vec<Result<Record>> {
        let rp = BatchReadPolicy {
            read_touch_ttl_percent: policy.read_touch_ttl_percent,
            filter_expression: policy.filter_expression.clone(),
        };
        let bp = BatchPolicy {
            filter_expression: None,
            total_timeout: policy.total_timeout,
        };
        let ops: Vec<BatchOperation> = keys
            .iter()
            .map(|k| BatchOperation::read(&rp, k.clone(), bins.clone()))
            .collect();
        let out = crate::batch::exec::run(&|k: &Key| self.ns(k).cloned(), &bp, &ops);
        assert_eq!(out.len(), keys.len(), "get_many answers one result per key");
        out
    }

    /// Metadata only (R-HEADER).
    pub fn get_header(&self, policy: &ReadPolicy, key: &Key) -> Result<Record> {
        self.get(policy, key, Bins::None)
    }

    /// R-EXISTS: true for 0, false for 2; other codes are errors.
    pub fn exists(&self, policy: &ReadPolicy, key: &Key) -> Result<bool> {
        match self.get(policy, key, Bins::None) {
            Ok(_) => Ok(true),
            Err(e) if e.code() == ResultCode::KeyNotFoundError => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Touch (§11): must exist; new generation and void-time.
    pub fn touch(&self, policy: &WritePolicy, key: &Key) -> Result<Record> {
        let ns = self.ns(key)?;
        self.write_attempts(policy, || ns.write(policy, key, &[Operation::Touch]))
    }

    /// Delete (§12). Returns whether a record existed (`false` where the code would be 2).
    pub fn delete(&self, policy: &WritePolicy, key: &Key) -> Result<bool> {
        let ns = self.ns(key)?;
        match self.write_attempts(policy, || ns.delete(policy, key)) {
            Ok(()) => Ok(true),
            Err(e) if e.code() == ResultCode::KeyNotFoundError && !e.in_doubt() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Operate (§15): the write path if any op writes (or there are no ops), else the read path.
    pub fn operate(&self, policy: &WritePolicy, key: &Key, ops: &[Operation]) -> Result<Record> {
        let ns = self.ns(key)?;
        if ops.is_empty() || ops.iter().any(Operation::is_write) {
            self.write_attempts(policy, || ns.write(policy, key, ops))
        } else {
            let rp = ReadPolicy {
                read_touch_ttl_percent: 0,
                filter_expression: policy.filter_expression.clone(),
                total_timeout: policy.total_timeout,
            };
            ns.read(&rp, key, ReadKind::Ops(ops, policy.respond_all_ops))
        }
    }

    /// Operate on the read path with a read policy (read-touch applies).
    pub fn operate_read(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        ops: &[Operation],
        respond_all_ops: bool,
    ) -> Result<Record> {
        if ops.iter().any(Operation::is_write) {
            return err(ResultCode::ParameterError, "operate_read with a write op");
        }
        let ns = self.ns(key)?;
        ns.read(policy, key, ReadKind::Ops(ops, respond_all_ops))
    }

    /// Run one full expiry sweep of every namespace now (EX-SWEEP), synchronously.
    ///
    /// This is an explicit request, so it reaps in every namespace, including one configured with
    /// `expiry_sweep_interval = 0`: EX-SWEEP-OFF ("nothing is reaped") is read as "no automatic
    /// sweeping" — with interval 0 no runtime thread ever reaps, and a record stays until it is
    /// overwritten, deleted, or swept by this call. Aerospike has no such call, so an
    /// Aerospike-faithful application simply never calls it with sweeping off.
    pub fn sweep_expired(&self) -> SweepStats {
        let mut total = SweepStats::default();
        for ns in self.inner.namespaces.values() {
            let s = ns.sweep_step(0, PARTITIONS);
            total.partitions += s.partitions;
            total.reaped += s.reaped;
            total.truncated += s.truncated;
        }
        total
    }

    /// A namespace's engine, for the crate's tools and (through `aerolite::testing`) white-box tests.
    pub(crate) fn namespace(&self, name: &str) -> Option<&Arc<Namespace>> {
        self.inner.namespaces.get(name)
    }

    /// Write every buffered image to the device now, without waiting for `flush_max_ms` (a
    /// partial write block is written and stays open). Durability follows the namespace's
    /// setting; this is not a sync. A memory namespace has nothing to flush.
    pub fn flush(&self) -> Result<()> {
        for ns in self.inner.namespaces.values() {
            ns.flush_step(true)?;
        }
        Ok(())
    }

    /// One bounded defragmentation step in `namespace`: rewrite the live images of at most
    /// `max_blocks` queued blocks and free those blocks once the copies are durable. The runtime
    /// thread calls this on its own; an embedder that opened with `background_threads(false)`
    /// drives it here.
    pub fn defrag_step(&self, namespace: &str, max_blocks: usize) -> Result<DefragStats> {
        self.namespace_or_err(namespace)?.defrag_step(max_blocks)
    }

    /// Run one whole tombstone-reclamation pass in `namespace` (Aerospike's tomb raider): drop
    /// durable-delete tombstones older than `tombstone_eligible_age_s` when no older image of
    /// their record can come back at a cold start.
    pub fn reclaim_tombstones(&self, namespace: &str) -> Result<TombStats> {
        let ns = self.namespace_or_err(namespace)?;
        let mut reclaimer = TombReclaimer::new();
        let mut total = TombStats::default();
        loop {
            let step = reclaimer.step(ns, 64)?;
            total.marked += step.marked;
            total.blocks_read += step.blocks_read;
            total.dropped += step.dropped;
            if step.finished {
                total.finished = true;
                return Ok(total);
            }
        }
    }

    fn namespace_or_err(&self, name: &str) -> Result<&Arc<Namespace>> {
        self.inner.namespaces.get(name).ok_or_else(|| {
            Error::new(
                ResultCode::InvalidNamespace,
                format!("namespace '{name}' is not configured in this database"),
            )
        })
    }

    /// Check the index against storage in every namespace (cheap: no image is read): each entry
    /// lies in its digest's partition with a valid generation and set, inside a used block of
    /// its storage without overlapping another image, and every block's used-byte count equals
    /// the sum of its live images. ServerError 1 lists the disagreements. Call it while no
    /// request or maintenance step runs (tests call it after restarts and at the end of runs).
    pub fn check_integrity(&self) -> Result<IntegrityReport> {
        self.integrity(false)
    }

    /// [`Database::check_integrity`] plus every image the index references loaded and compared
    /// with its entry (CRC, digest, generation, LUT, void-time, tombstone flag, set, stored key):
    /// one storage read per record.
    pub fn check_integrity_full(&self) -> Result<IntegrityReport> {
        self.integrity(true)
    }

    fn integrity(&self, full: bool) -> Result<IntegrityReport> {
        let mut report = IntegrityReport::default();
        let mut names: Vec<&String> = self.inner.namespaces.keys().collect();
        names.sort();
        for name in names {
            let ns = &self.inner.namespaces[name];
            let problems = crate::engine::integrity::check(ns, full, &mut report);
            if !problems.is_empty() {
                return Err(crate::engine::integrity::failure(name, &problems));
            }
        }
        Ok(report)
    }

    /// Counters over every namespace.
    pub fn stats(&self) -> Stats {
        Stats::collect(self.inner.namespaces.values(), &self.recovery)
    }

    /// Close: stop background threads, then shut storage down cleanly (flush, index snapshot,
    /// clean flag); later requests fail with ClientError −1. Errors are dropped; use
    /// [`Database::shutdown`] to see them.
    pub fn close(&mut self) {
        let _ = self.shutdown_inner();
    }

    /// Close and report a storage shutdown failure (the next open then cold-starts).
    pub fn shutdown(mut self) -> Result<()> {
        self.shutdown_inner()
    }

    fn stop_threads(&mut self) -> bool {
        let was_closed = self.inner.closed.swap(true, Ordering::AcqRel);
        // Wait for background-task writes in flight; later ones see `closed`.
        drop(self.inner.task_writes.write());
        // Index builds see `closed` before their next partition (SIDX-BUILD-1).
        for ns in self.inner.namespaces.values() {
            ns.sindexes.join_builds();
        }
        self.runtime.stop();
        was_closed
    }

    fn shutdown_inner(&mut self) -> Result<()> {
        if self.stop_threads() {
            return Ok(());
        }
        assert!(
            self.inner.closed.load(Ordering::Acquire),
            "storage closes only after requests are refused"
        );
        let mut first = Ok(());
        for ns in self.inner.namespaces.values() {
            if let Err(e) = crate::engine::recovery::close(ns) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    /// Simulate a process crash (tests, tools): stop runtime threads and drop whatever storage
    /// has not made durable; no flush, no snapshot, the device header stays unclean.
    pub fn abandon(mut self) {
        for ns in self.inner.namespaces.values() {
            ns.storage.abandon();
        }
        self.stop_threads();
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.close();
    }
}
