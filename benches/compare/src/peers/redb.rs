//! redb 5 (a copy-on-write B-tree). Every operation is its own write transaction. Durability:
//! buffered = `Durability::None` (the commit is not persisted), except that the first commit at
//! least a second after the last durable one uses `Durability::Immediate`, which persists it and
//! everything before; sync = `Durability::Immediate` on every commit (`fdatasync`; redb has one
//! writer at a time, so commits cannot be grouped). Read-modify-write inside one write
//! transaction. Scan: `ReadableTable::range` over the share's keys in one read transaction.

use super::{e2s, io_stats, not_found, share_keys, tally, Mode, SYNC_INTERVAL};
use aerolite::bench::keys::key_string;
use aerolite::bench::target::{BenchTarget, OpResult, TargetStats};
use redb::{ReadableDatabase, ReadableTable};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("usertable");

/// redb.
pub struct Redb {
    db: redb::Database,
    mode: Mode,
    records: u64,
    start: Instant,
    last_durable_ms: AtomicU64,
}

impl Redb {
    /// Open `dir/redb.db`, for `records` records.
    pub fn open(dir: &Path, mode: Mode, records: u64) -> Result<Redb, String> {
        let db = redb::Database::create(dir.join("redb.db")).map_err(e2s)?;
        let tx = db.begin_write().map_err(e2s)?;
        tx.open_table(TABLE).map_err(e2s)?;
        tx.commit().map_err(e2s)?;
        Ok(Redb {
            db,
            mode,
            records,
            start: Instant::now(),
            last_durable_ms: AtomicU64::new(0),
        })
    }

    fn durability(&self) -> redb::Durability {
        if self.mode == Mode::Sync {
            return redb::Durability::Immediate;
        }
        let now = self.start.elapsed().as_millis() as u64;
        let last = self.last_durable_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= SYNC_INTERVAL.as_millis() as u64
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

    fn write_tx(
        &self,
        f: impl FnOnce(&mut redb::Table<&[u8], &[u8]>) -> OpResult<()>,
    ) -> OpResult<()> {
        let mut tx = self.db.begin_write().map_err(e2s)?;
        tx.set_durability(self.durability()).map_err(e2s)?;
        {
            let mut t = tx.open_table(TABLE).map_err(e2s)?;
            f(&mut t)?;
        }
        tx.commit().map_err(e2s)
    }
}

impl BenchTarget for Redb {
    fn name(&self) -> String {
        "redb 5".into()
    }
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.update(k, value)
    }
    fn read(&self, k: u64) -> OpResult<usize> {
        let tx = self.db.begin_read().map_err(e2s)?;
        let t = tx.open_table(TABLE).map_err(e2s)?;
        let key = key_string(k);
        let len = t.get(key.as_bytes()).map_err(e2s)?.map(|v| v.value().len());
        len.ok_or_else(|| not_found(k))
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
                None => return Err(not_found(k)),
            };
            modify(&mut v);
            t.insert(key.as_bytes(), v.as_slice())
                .map(|_| ())
                .map_err(e2s)
        })?;
        Ok(0)
    }
    fn scan_share(&self, share: usize, shares: usize) -> OpResult<(u64, u64)> {
        let (first, end) = share_keys(self.records, share, shares);
        let tx = self.db.begin_read().map_err(e2s)?;
        let t = tx.open_table(TABLE).map_err(e2s)?;
        let mut seen = (0, 0);
        for kv in t.range(first.as_bytes()..end.as_bytes()).map_err(e2s)? {
            let (key, value) = kv.map_err(e2s)?;
            tally(&mut seen, key.value(), value.value().len(), &end)?;
        }
        Ok(seen)
    }
    fn stats(&self) -> TargetStats {
        io_stats()
    }
}
