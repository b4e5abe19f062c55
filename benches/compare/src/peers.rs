//! Peer engines as `BenchTarget`s: fjall, redb and (feature `rocksdb`) RocksDB, each opened in
//! its own fresh directory, with the same keys (`user` + 12 digits) and values as aerolite.
//!
//! Durability, exactly (`Mode::Buffered` / `Mode::Sync`):
//! - fjall 2: buffered = every insert is written to the journal and flushed to the OS
//!   (`PersistMode::Buffer`, survives a process crash) and a background thread fsyncs the journal
//!   every 1000 ms (`Config::fsync_ms(Some(1000))`); sync = after each insert,
//!   `Keyspace::persist(PersistMode::SyncData)` (one `fdatasync` per write; concurrent writers
//!   serialize on the journal lock, no group commit).
//! - redb 2: every operation is its own write transaction. buffered = `Durability::None` (the
//!   commit is not persisted), except that the first commit after 1000 ms since the last durable
//!   one uses `Durability::Immediate`, which persists it and everything before; sync =
//!   `Durability::Immediate` on every commit (`fdatasync` on Linux; redb has one writer at a time,
//!   so commits cannot be grouped).
//! - RocksDB: buffered = `WriteOptions::sync = false` (WAL written to the OS per write) and a
//!   background `flush_wal(true)` every 1000 ms; sync = `sync = true` (WAL fsync before the write
//!   returns; RocksDB's write group lets concurrent writers share one sync).
//!
//! aerolite for comparison: buffered = acknowledged once in the write buffer, flushed every
//! `flush_max_ms` (1000 ms); sync = commit-to-device with group commit (SN-REQ-ACK-*).
//!
//! Read-modify-write (YCSB-F): redb does it inside one write transaction; fjall and RocksDB under
//! a striped in-process lock (their plain key-value APIs have no compare-and-set).

use aerolite::bench::keys::key_string;
use aerolite::bench::sys::process_write_bytes;
use aerolite::bench::target::{BenchTarget, OpResult, TargetStats};
use redb::ReadableTable;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Durability mode of a comparison run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Acknowledge before the device sync; sync about every second.
    Buffered,
    /// Acknowledge after the write is durable.
    Sync,
}

const STRIPES: usize = 256;

fn stripes() -> Vec<Mutex<()>> {
    (0..STRIPES).map(|_| Mutex::new(())).collect()
}

fn e2s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn io_stats() -> TargetStats {
    TargetStats {
        device_bytes_written: process_write_bytes(),
        index_bytes: None,
        records: None,
        syncs: None,
        device_reads: None,
    }
}

/// fjall.
pub struct Fjall {
    ks: fjall::Keyspace,
    part: fjall::PartitionHandle,
    mode: Mode,
    locks: Vec<Mutex<()>>,
}

impl Fjall {
    /// Open in `dir`.
    pub fn open(dir: &Path, mode: Mode) -> Result<Fjall, String> {
        let mut cfg = fjall::Config::new(dir);
        if mode == Mode::Buffered {
            cfg = cfg.fsync_ms(Some(1000));
        }
        let ks = cfg.open().map_err(e2s)?;
        let part = ks
            .open_partition("usertable", fjall::PartitionCreateOptions::default())
            .map_err(e2s)?;
        Ok(Fjall { ks, part, mode, locks: stripes() })
    }

    fn put(&self, k: u64, v: &[u8]) -> OpResult<()> {
        self.part.insert(key_string(k), v).map_err(e2s)?;
        if self.mode == Mode::Sync {
            self.ks.persist(fjall::PersistMode::SyncData).map_err(e2s)?;
        }
        Ok(())
    }
}

impl BenchTarget for Fjall {
    fn name(&self) -> String {
        "fjall".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.put(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        match self.part.get(key_string(k)).map_err(e2s)? {
            Some(v) => Ok(v.len()),
            None => Err(format!("record {k} not found")),
        }
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.put(k, value)
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let _g = self.locks[k as usize % STRIPES].lock().map_err(e2s)?;
        let mut v = match self.part.get(key_string(k)).map_err(e2s)? {
            Some(v) => v.to_vec(),
            None => return Err(format!("record {k} not found")),
        };
        modify(&mut v);
        self.put(k, &v)?;
        Ok(0)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}

const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("usertable");

/// redb.
pub struct Redb {
    db: redb::Database,
    mode: Mode,
    start: Instant,
    last_durable_ms: AtomicU64,
}

impl Redb {
    /// Open `dir/redb.db`.
    pub fn open(dir: &Path, mode: Mode) -> Result<Redb, String> {
        let db = redb::Database::create(dir.join("redb.db")).map_err(e2s)?;
        let tx = db.begin_write().map_err(e2s)?;
        tx.open_table(TABLE).map_err(e2s)?;
        tx.commit().map_err(e2s)?;
        Ok(Redb { db, mode, start: Instant::now(), last_durable_ms: AtomicU64::new(0) })
    }

    fn durability(&self) -> redb::Durability {
        if self.mode == Mode::Sync {
            return redb::Durability::Immediate;
        }
        let now = self.start.elapsed().as_millis() as u64;
        let last = self.last_durable_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= Duration::from_secs(1).as_millis() as u64
            && self
                .last_durable_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            redb::Durability::Immediate
        } else {
            redb::Durability::None
        }
    }

    fn write_tx(&self, f: impl FnOnce(&mut redb::Table<&[u8], &[u8]>) -> OpResult<()>) -> OpResult<()> {
        let mut tx = self.db.begin_write().map_err(e2s)?;
        tx.set_durability(self.durability());
        {
            let mut t = tx.open_table(TABLE).map_err(e2s)?;
            f(&mut t)?;
        }
        tx.commit().map_err(e2s)
    }
}

impl BenchTarget for Redb {
    fn name(&self) -> String {
        "redb".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.update(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        let tx = self.db.begin_read().map_err(e2s)?;
        let t = tx.open_table(TABLE).map_err(e2s)?;
        let key = key_string(k);
        match t.get(key.as_bytes()).map_err(e2s)? {
            Some(v) => Ok(v.value().len()),
            None => Err(format!("record {k} not found")),
        }
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        let key = key_string(k);
        self.write_tx(|t| t.insert(key.as_bytes(), value).map(|_| ()).map_err(e2s))
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let key = key_string(k);
        self.write_tx(|t| {
            let mut v = match t.get(key.as_bytes()).map_err(e2s)? {
                Some(v) => v.value().to_vec(),
                None => return Err(format!("record {k} not found")),
            };
            modify(&mut v);
            t.insert(key.as_bytes(), v.as_slice()).map(|_| ()).map_err(e2s)
        })?;
        Ok(0)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}

/// RocksDB (feature `rocksdb`).
#[cfg(feature = "rocksdb")]
pub struct Rocks {
    db: std::sync::Arc<rocksdb::DB>,
    wo: rocksdb::WriteOptions,
    locks: Vec<Mutex<()>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

#[cfg(feature = "rocksdb")]
impl Rocks {
    /// Open in `dir`.
    pub fn open(dir: &Path, mode: Mode) -> Result<Rocks, String> {
        let mut o = rocksdb::Options::default();
        o.create_if_missing(true);
        let db = std::sync::Arc::new(rocksdb::DB::open(&o, dir).map_err(e2s)?);
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(mode == Mode::Sync);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        if mode == Mode::Buffered {
            let (db, stop) = (db.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_secs(1));
                    let _ = db.flush_wal(true);
                }
            });
        }
        Ok(Rocks { db, wo, locks: stripes(), stop })
    }
}

#[cfg(feature = "rocksdb")]
impl Drop for Rocks {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[cfg(feature = "rocksdb")]
impl BenchTarget for Rocks {
    fn name(&self) -> String {
        "rocksdb".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.update(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        match self.db.get_pinned(key_string(k)).map_err(e2s)? {
            Some(v) => Ok(v.len()),
            None => Err(format!("record {k} not found")),
        }
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.db.put_opt(key_string(k), value, &self.wo).map_err(e2s)
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let _g = self.locks[k as usize % STRIPES].lock().map_err(e2s)?;
        let mut v = match self.db.get(key_string(k)).map_err(e2s)? {
            Some(v) => v,
            None => return Err(format!("record {k} not found")),
        };
        modify(&mut v);
        self.update(k, &v)?;
        Ok(0)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}
