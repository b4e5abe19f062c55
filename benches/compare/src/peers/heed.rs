//! heed 0.23 over LMDB (a memory-mapped copy-on-write B-tree). Every write is its own write
//! transaction (LMDB has one writer at a time). Durability: buffered = the environment opened
//! with `MDB_NOSYNC` (a commit is written to the OS, not synced) and a thread calling
//! `Env::force_sync` every second; sync = LMDB's default (each commit is synced before it
//! returns). Read-modify-write inside one write transaction. Scan: `Database::range` over the
//! share's keys in one read transaction.

use super::{e2s, io_stats, not_found, periodic_sync, share_keys, tally, Mode};
use aerolite::bench::keys::key_string;
use aerolite::bench::target::{BenchTarget, OpResult, TargetStats};
use heed::types::Bytes;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Largest size the memory map may grow to (LMDB reserves address space, the file stays sparse).
const MAP_SIZE_BYTES: usize = 16 << 30;

/// heed / LMDB.
pub struct Heed {
    env: heed::Env,
    db: heed::Database<'static, Bytes, Bytes>,
    records: u64,
    stop: Option<Arc<AtomicBool>>,
}

impl Heed {
    /// Open an environment in `dir`, for `records` records.
    pub fn open(dir: &Path, mode: Mode, records: u64) -> Result<Heed, String> {
        let mut options = heed::EnvOpenOptions::new();
        options.map_size(MAP_SIZE_BYTES).max_dbs(1);
        // SAFETY: the directory is fresh and private to this process, and nothing else maps or
        // writes its files; MDB_NOSYNC only trades durability of the last second for speed, the
        // same promise aerolite's buffered mode makes.
        let env = unsafe {
            if mode == Mode::Buffered {
                options.flags(heed::EnvFlags::NO_SYNC);
            }
            options.open(dir)
        }
        .map_err(e2s)?;
        let tx = env.write_txn().map_err(e2s)?;
        let created = env
            .create_databases_and_commit(tx, |opener, tx| -> Result<_, heed::Error> {
                let db = opener.create_database::<Bytes, Bytes>(tx, Some("usertable"))?;
                Ok(heed::CommitOrAbort::<_, ()>::Commit(db))
            })
            .map_err(e2s)?;
        let heed::CommitOrAbort::Commit(db) = created else {
            return Err("heed: creating the database was aborted".to_string());
        };
        let stop = (mode == Mode::Buffered).then(|| {
            let env = env.clone();
            periodic_sync(move || env.force_sync().map_err(e2s))
        });
        Ok(Heed {
            env,
            db,
            records,
            stop,
        })
    }
}

impl Drop for Heed {
    fn drop(&mut self) {
        if let Some(s) = &self.stop {
            s.store(true, Ordering::Relaxed);
        }
    }
}

impl BenchTarget for Heed {
    fn name(&self) -> String {
        "heed 0.23 (LMDB)".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.update(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        let tx = self.env.read_txn().map_err(e2s)?;
        match self.db.get(&tx, key_string(k).as_bytes()).map_err(e2s)? {
            Some(v) => Ok(v.len()),
            None => Err(not_found(k)),
        }
    }
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        let mut tx = self.env.write_txn().map_err(e2s)?;
        self.db
            .put(&mut tx, key_string(k).as_bytes(), value)
            .map_err(e2s)?;
        tx.commit().map_err(e2s)
    }
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let key = key_string(k);
        let mut tx = self.env.write_txn().map_err(e2s)?;
        let mut v = match self.db.get(&tx, key.as_bytes()).map_err(e2s)? {
            Some(v) => v.to_vec(),
            None => return Err(not_found(k)),
        };
        modify(&mut v);
        self.db.put(&mut tx, key.as_bytes(), &v).map_err(e2s)?;
        tx.commit().map_err(e2s)?;
        Ok(0)
    }
    fn scan_share(&self, share: usize, shares: usize) -> OpResult<(u64, u64)> {
        let (first, end) = share_keys(self.records, share, shares);
        let tx = self.env.read_txn().map_err(e2s)?;
        let range = (
            Bound::Included(first.as_bytes()),
            Bound::Excluded(end.as_bytes()),
        );
        let mut seen = (0, 0);
        for kv in self.db.range(&tx, &range).map_err(e2s)? {
            let (key, value) = kv.map_err(e2s)?;
            tally(&mut seen, key, value.len(), &end)?;
        }
        Ok(seen)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}
