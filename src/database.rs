//! `Database`: the public handle (in place of the official client's `Client`). Synchronous,
//! `Send + Sync`; share it across threads with `Arc`.
//!
//! Invariants: every error of a write request leaves here with `in_doubt` set by ID-FORMULA and
//! nothing else (ID-NO-ORACLE); retries happen only after Timeout or a client-side error
//! (ID-RETRY-POLICY); once closed, every request fails with ClientError −1 and counts as not sent.

use crate::config::{DatabaseConfig, StorageConfig};
use crate::engine::read::{Bins, ReadKind};
use crate::engine::sweep::SweepStats;
use crate::engine::Namespace;
use crate::error::{err, Error, Result, ResultCode};
use crate::ops::Operation;
use crate::policy::read::ReadPolicy;
use crate::policy::write::WritePolicy;
use crate::record::bin::Bin;
use crate::record::key::{Key, PARTITIONS};
use crate::record::record::Record;
use crate::storage::memory::MemoryStorage;
use crate::storage::Storage;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

struct Inner {
    namespaces: HashMap<String, Arc<Namespace>>,
    closed: AtomicBool,
    stop: Mutex<bool>,
    wake: Condvar,
}

/// An open database.
pub struct Database {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
}

/// A point-in-time snapshot of counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Index entries that are live or expired-not-reaped records.
    pub records: u64,
    /// Tombstones.
    pub tombstones: u64,
    /// Bytes of the index maps (by capacity).
    pub index_bytes: u64,
    /// Bytes of live images in storage.
    pub used_bytes: u64,
    /// Bytes written to storage.
    pub bytes_written: u64,
}

impl Database {
    /// Open with a configuration (validated: TTL-CONFIG and friends → 4).
    pub fn open(config: DatabaseConfig) -> Result<Database> {
        config.validate()?;
        let mut namespaces = HashMap::new();
        for nc in &config.namespaces {
            let storage: Box<dyn Storage> = match nc.storage {
                StorageConfig::Memory { capacity_bytes } => {
                    Box::new(MemoryStorage::new(capacity_bytes, nc.stop_writes_used_pct))
                }
            };
            let ns = Namespace::new(nc.clone(), storage, config.clock.clone());
            namespaces.insert(nc.name.clone(), Arc::new(ns));
        }
        let inner = Arc::new(Inner {
            namespaces,
            closed: AtomicBool::new(false),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let mut threads = Vec::new();
        if config.background_threads {
            for ns in inner.namespaces.values() {
                let interval = ns.config.expiry_sweep_interval_s;
                if interval == 0 {
                    continue;
                }
                let (ns, inner) = (ns.clone(), inner.clone());
                let spawned = std::thread::Builder::new()
                    .name(format!("aerolite-sweep-{}", ns.config.name))
                    .spawn(move || {
                        sweeper_loop(&inner, &ns, Duration::from_secs(u64::from(interval)))
                    });
                match spawned {
                    Ok(h) => threads.push(h),
                    Err(e) => {
                        return err(
                            ResultCode::ServerError,
                            format!("cannot start sweeper thread: {e}"),
                        )
                    }
                }
            }
        }
        Ok(Database { inner, threads })
    }

    /// One in-memory namespace named `test` with every default.
    pub fn open_in_memory() -> Result<Database> {
        Database::open(DatabaseConfig::memory("test"))
    }

    fn ns(&self, key: &Key) -> Result<&Arc<Namespace>> {
        if self.inner.closed.load(Ordering::Acquire) {
            return err(ResultCode::ClientError, "database is closed");
        }
        self.inner.namespaces.get(&key.namespace).ok_or_else(|| {
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
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let retryable = e.code() == ResultCode::Timeout || e.code().code() <= 0;
                    if retryable && sent <= policy.max_retries {
                        std::thread::sleep(policy.sleep_between_retries);
                        continue;
                    }
                    let in_doubt = Error::in_doubt_formula(true, sent, e.code());
                    return Err(e.with_in_doubt(in_doubt));
                }
            }
        }
    }

    /// Write bins (create or update per the policy). Returns the new metadata (no bins).
    pub fn put(&self, policy: &WritePolicy, key: &Key, bins: &[Bin]) -> Result<Record> {
        let ns = self.ns(key)?;
        let ops: Vec<Operation> = bins.iter().map(|b| Operation::Write(b.clone())).collect();
        self.write_attempts(policy, || ns.write(policy, key, &ops))
    }

    /// Read all bins, named bins, or the header only.
    pub fn get(&self, policy: &ReadPolicy, key: &Key, bins: Bins) -> Result<Record> {
        let ns = self.ns(key)?;
        ns.read(policy, key, ReadKind::Bins(&bins))
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
        }
        total
    }

    /// A namespace's engine, for tools and tests that drive step functions directly.
    pub fn namespace(&self, name: &str) -> Option<&Arc<Namespace>> {
        self.inner.namespaces.get(name)
    }

    /// Counters over every namespace.
    pub fn stats(&self) -> Stats {
        let mut s = Stats::default();
        for ns in self.inner.namespaces.values() {
            for p in 0..PARTITIONS {
                for e in ns.index.partition(p).values() {
                    if e.is_tombstone() {
                        s.tombstones += 1;
                    } else {
                        s.records += 1;
                    }
                }
            }
            s.index_bytes += ns.index.memory_bytes() as u64;
            let st = ns.storage.stats();
            s.used_bytes += st.used_bytes;
            s.bytes_written += st.bytes_written;
        }
        s
    }

    /// Close: stop background threads; later requests fail with ClientError −1.
    pub fn close(&mut self) {
        self.inner.closed.store(true, Ordering::Release);
        if let Ok(mut stop) = self.inner.stop.lock() {
            *stop = true;
        }
        self.inner.wake.notify_all();
        for t in self.threads.drain(..) {
            // A panicked sweeper already broke an invariant; its panic was reported when it happened.
            let _ = t.join();
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        self.close();
    }
}

fn sweeper_loop(inner: &Inner, ns: &Namespace, interval: Duration) {
    let mut next = 0usize;
    // Spread one full sweep over the interval: 64 partitions per tick.
    let per_tick = 64;
    let tick = interval / (PARTITIONS / per_tick) as u32;
    loop {
        let Ok(stop) = inner.stop.lock() else { return };
        let Ok((stop, _)) = inner.wake.wait_timeout_while(stop, tick, |s| !*s) else {
            return;
        };
        if *stop {
            return;
        }
        drop(stop);
        ns.sweep_step(next, per_tick);
        next = (next + per_tick) % PARTITIONS;
    }
}
