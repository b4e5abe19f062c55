//! fjall 3 (an LSM tree). Durability: buffered = every insert is written to the journal and
//! handed to the OS (the default `manual_journal_persist(false)`: survives a process crash) and a
//! thread calls `Database::persist(PersistMode::SyncData)` every second (fjall 3 has no fsync
//! timer of its own); sync = `persist(SyncData)` after each insert (one `fdatasync` per write;
//! concurrent writers serialize on the journal lock). Read-modify-write under a striped lock.
//! Scan: `Keyspace::range` over the share's keys.

use super::{e2s, io_stats, not_found, periodic_sync, share_keys, stripes, tally, Mode, STRIPES};
use aerolite::bench::keys::key_string;
use aerolite::bench::target::{BenchTarget, OpResult, TargetStats};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// fjall.
pub struct Fjall {
    db: fjall::Database,
    ks: fjall::Keyspace,
    mode: Mode,
    records: u64,
    locks: Vec<Mutex<()>>,
    stop: Option<Arc<AtomicBool>>,
}

impl Fjall {
    /// Open in `dir`, for `records` records.
    pub fn open(dir: &Path, mode: Mode, records: u64) -> Result<Fjall, String> {
        let db = fjall::Database::builder(dir).open().map_err(e2s)?;
        let ks = db
            .keyspace("usertable", fjall::KeyspaceCreateOptions::default)
            .map_err(e2s)?;
        let stop = (mode == Mode::Buffered).then(|| {
            let db = db.clone();
            periodic_sync(move || db.persist(fjall::PersistMode::SyncData).map_err(e2s))
        });
        Ok(Fjall {
            db,
            ks,
            mode,
            records,
            locks: stripes(),
            stop,
        })
    }

    fn put(&self, k: u64, v: &[u8]) -> OpResult<()> {
        self.ks.insert(key_string(k), v).map_err(e2s)?;
        if self.mode == Mode::Sync {
            self.db.persist(fjall::PersistMode::SyncData).map_err(e2s)?;
        }
        Ok(())
    }
}

impl Drop for Fjall {
    fn drop(&mut self) {
        if let Some(s) = &self.stop {
            s.store(true, Ordering::Relaxed);
        }
    }
}

impl BenchTarget for Fjall {
    fn name(&self) -> String {
        "fjall 3".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.put(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        match self.ks.get(key_string(k)).map_err(e2s)? {
            Some(v) => Ok(v.len()),
            None => Err(not_found(k)),
        }
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.put(k, value)
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let _g = self.locks[k as usize % STRIPES].lock().map_err(e2s)?;
        let mut v = match self.ks.get(key_string(k)).map_err(e2s)? {
            Some(v) => v.to_vec(),
            None => return Err(not_found(k)),
        };
        modify(&mut v);
        self.put(k, &v)?;
        Ok(0)
    }
    fn scan_share(&self, share: usize, shares: usize) -> OpResult<(u64, u64)> {
        let (first, end) = share_keys(self.records, share, shares);
        let mut seen = (0, 0);
        for kv in self.ks.range(first.as_str()..end.as_str()) {
            let (key, value) = kv.into_inner().map_err(e2s)?;
            tally(&mut seen, &key, value.len(), &end)?;
        }
        Ok(seen)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}
