//! aerolite as a [`BenchTarget`](crate::bench::target::BenchTarget): the benchmark's requests
//! through the public `Database` API (a digest per call, as a client computes it).
//!
//! Invariants: a write refused with DeviceOverload (18) or stop-writes (8) is resent after
//! [`OVERLOAD_PAUSE`], at most [`OVERLOAD_MAX_RETRIES`] times, and every resend is counted in
//! the target's stats; any other error goes back to the workload as it is.

use super::*;
use crate::ValueRef;

/// aerolite as a [`BenchTarget`].
pub struct AeroliteTarget {
    db: Database,
    label: String,
    durability: Durability,
    overload_retries: AtomicU64,
}

/// Pause before resending a write refused with DeviceOverload (18) or stop-writes (8).
pub const OVERLOAD_PAUSE: Duration = Duration::from_micros(500);
/// Resends of one refused write before it counts as failed (≈ 10 s).
pub const OVERLOAD_MAX_RETRIES: u32 = 20_000;

impl AeroliteTarget {
    /// Wrap an open database that has the [`NAMESPACE`] namespace.
    pub fn new(db: Database, label: &str, durability: Durability) -> AeroliteTarget {
        AeroliteTarget {
            db,
            label: label.to_string(),
            durability,
            overload_retries: AtomicU64::new(0),
        }
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    fn key(k: u64) -> OpResult<Key> {
        Key::new(NAMESPACE, SET, key_string(k)).map_err(|e| e.to_string())
    }

    /// Put, resending after DeviceOverload (18) or stop-writes (8) as a client that waits out
    /// back-pressure would (L-OVERLOAD: the flusher is behind; L-STOP-WRITES: defrag has not yet
    /// freed blocks), so the measured rate is what the device and defrag sustain.
    fn put(&self, policy: &WritePolicy, key: &Key, bins: &[Bin]) -> crate::Result<crate::Record> {
        let mut retries = 0;
        loop {
            match self.db.put(policy, key, bins) {
                Err(e)
                    if matches!(
                        e.code(),
                        ResultCode::DeviceOverload | ResultCode::ServerMemError
                    ) && retries < OVERLOAD_MAX_RETRIES =>
                {
                    retries += 1;
                    self.overload_retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(OVERLOAD_PAUSE);
                }
                r => return r,
            }
        }
    }

    fn write(&self, k: u64, value: &[u8], policy: &WritePolicy) -> OpResult<()> {
        let key = Self::key(k)?;
        let bin = Bin::new(BIN, Value::Blob(value.to_vec()));
        self.put(policy, &key, &[bin])
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Attempts of one read-modify-write before it counts as failed.
pub const RMW_MAX_ATTEMPTS: u32 = 16;

impl BenchTarget for AeroliteTarget {
    fn name(&self) -> String {
        format!("aerolite ({}, {})", self.label, self.durability.name())
    }

    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.write(k, value, &WritePolicy::default())
    }

    /// A point read looking at the value in place (`Database::get_with`), as the peers' reads
    /// borrow theirs: the bin is checked to be a blob and its length returned.
    fn read(&self, k: u64) -> OpResult<usize> {
        let key = Self::key(k)?;
        self.db
            .get_with(&ReadPolicy::default(), &key, |r| match r.bin(BIN) {
                Ok(Some(ValueRef::Blob(b))) => Ok(b.len()),
                other => Err(format!("bin {BIN:?} holds {other:?}, not a blob")),
            })
            .map_err(|e| e.to_string())?
    }

    /// A whole-value overwrite, like the peers' `put`: `Replace`, so no old image is read.
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()> {
        self.write(
            k,
            value,
            &WritePolicy::with_action(RecordExistsAction::Replace),
        )
    }

    fn scan_share(&self, share: usize, shares: usize) -> OpResult<(u64, u64)> {
        multi::aerolite_scan(&self.db, NAMESPACE, BIN, share, shares)
    }

    fn read_batch(&self, ks: &[u64]) -> OpResult<usize> {
        let keys = ks
            .iter()
            .map(|k| Self::key(*k))
            .collect::<OpResult<Vec<Key>>>()?;
        multi::aerolite_batch(&self.db, &keys, BIN)
    }

    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        let key = Self::key(k)?;
        for attempt in 0..RMW_MAX_ATTEMPTS {
            let r = self
                .db
                .get(&ReadPolicy::default(), &key, Bins::All)
                .map_err(|e| e.to_string())?;
            let mut v = match r.bin(BIN) {
                Some(Value::Blob(b)) => b.clone(),
                other => return Err(format!("bin {BIN:?} holds {other:?}, not a blob")),
            };
            modify(&mut v);
            let wp = WritePolicy::with_generation(GenerationPolicy::ExpectGenEqual, r.generation);
            match self.put(&wp, &key, &[Bin::new(BIN, Value::Blob(v))]) {
                Ok(_) => return Ok(attempt),
                Err(e) if e.code() == ResultCode::GenerationError => continue,
                Err(e) => return Err(e.to_string()),
            }
        }
        Err(format!(
            "read-modify-write gave up after {RMW_MAX_ATTEMPTS} generation conflicts"
        ))
    }

    fn stats(&self) -> TargetStats {
        let s = self.db.stats();
        TargetStats {
            device_bytes_written: Some(s.bytes_written),
            // The bench's process holds this one database: the huge-page pool's free ranges
            // are part of its index's footprint.
            index_bytes: Some(s.index_bytes + s.index_pool_free_bytes),
            records: Some(s.records),
            syncs: Some(s.syncs),
            device_reads: Some(s.cache_misses),
            overload_retries: Some(self.overload_retries.load(Ordering::Relaxed)),
        }
    }
}
