//! bitask 0.1 (a Bitcask store: append-only log files rotated at 4 MiB and an in-memory key
//! directory, the design closest to aerolite's). Its API takes `&mut self` for every call, so it
//! sits behind one mutex (one operation at a time: fine for the one-thread runs, a handicap with
//! threads). Durability: buffered = bitask's only mode, each put written to the OS (its
//! `BufWriter` flushed per put) and never synced by the store; sync is not offered (bitask has no
//! sync call), so the engine refuses `Mode::Sync`. Read-modify-write under the same mutex. No scan
//! (bitask has no iteration).
//!
//! bitcasky 0.1.2, the Bitcask crate the issue author named, cannot open a database with today's
//! standard library: it opens its lock file with no access mode ("must specify at least one of
//! read, write, or append access"), so it is not measured.

use super::{e2s, io_stats, not_found, Mode};
use aerolite::bench::keys::key_string;
use aerolite::bench::target::{BenchTarget, OpResult, TargetStats};
use bitask::db::{Bitask, Error};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

/// bitask.
pub struct Bitcask {
    db: Mutex<Bitask>,
}

impl Bitcask {
    /// Open in `dir`; `Mode::Sync` is refused (bitask cannot sync).
    pub fn open(dir: &Path, mode: Mode) -> Result<Bitcask, String> {
        if mode == Mode::Sync {
            return Err("bitask has no sync call: it runs buffered only".to_string());
        }
        let db = Bitask::open(dir).map_err(e2s)?;
        Ok(Bitcask { db: Mutex::new(db) })
    }

    fn db(&self) -> OpResult<MutexGuard<'_, Bitask>> {
        self.db.lock().map_err(e2s)
    }

    fn get(db: &mut Bitask, k: u64) -> OpResult<Vec<u8>> {
        match db.ask(key_string(k).as_bytes()) {
            Ok(v) => Ok(v),
            Err(Error::KeyNotFound) => Err(not_found(k)),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl BenchTarget for Bitcask {
    fn name(&self) -> String {
        "bitask 0.1 (Bitcask)".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.update(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        Self::get(&mut *self.db()?, k).map(|v| v.len())
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.db()?
            .put(key_string(k).into_bytes(), value.to_vec())
            .map_err(e2s)
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let mut db = self.db()?;
        let mut v = Self::get(&mut db, k)?;
        modify(&mut v);
        db.put(key_string(k).into_bytes(), v).map_err(e2s)?;
        Ok(0)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}
