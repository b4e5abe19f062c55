//! RocksDB (feature `rocksdb`; needs clang and libclang-dev). Durability: buffered =
//! `WriteOptions::sync = false` (the WAL is written to the OS per write) and a thread calling
//! `flush_wal(true)` every second; sync = `sync = true` (the WAL is synced before the write
//! returns; RocksDB's write group lets concurrent writers share one sync). Read-modify-write
//! under a striped lock. No scan is measured for it.

use super::{e2s, io_stats, not_found, periodic_sync, stripes, Mode, STRIPES};
use aerolite::bench::keys::key_string;
use aerolite::bench::target::{BenchTarget, OpResult, TargetStats};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// RocksDB.
pub struct Rocks {
    db: Arc<rocksdb::DB>,
    wo: rocksdb::WriteOptions,
    locks: Vec<Mutex<()>>,
    stop: Option<Arc<AtomicBool>>,
}

impl Rocks {
    /// Open in `dir`.
    pub fn open(dir: &Path, mode: Mode) -> Result<Rocks, String> {
        let mut o = rocksdb::Options::default();
        o.create_if_missing(true);
        let db = Arc::new(rocksdb::DB::open(&o, dir).map_err(e2s)?);
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(mode == Mode::Sync);
        let stop = (mode == Mode::Buffered).then(|| {
            let db = db.clone();
            periodic_sync(move || db.flush_wal(true).map_err(e2s))
        });
        Ok(Rocks {
            db,
            wo,
            locks: stripes(),
            stop,
        })
    }
}

impl Drop for Rocks {
    fn drop(&mut self) {
        if let Some(s) = &self.stop {
            s.store(true, Ordering::Relaxed);
        }
    }
}

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
            None => Err(not_found(k)),
        }
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.db.put_opt(key_string(k), value, &self.wo).map_err(e2s)
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let _g = self.locks[k as usize % STRIPES].lock().map_err(e2s)?;
        let mut v = match self.db.get(key_string(k)).map_err(e2s)? {
            Some(v) => v,
            None => return Err(not_found(k)),
        };
        modify(&mut v);
        self.update(k, &v)?;
        Ok(0)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}
