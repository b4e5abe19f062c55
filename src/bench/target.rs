//! The engine boundary of the benchmark: the workloads drive anything that implements
//! [`BenchTarget`], so the same code runs against aerolite here and against peer engines in
//! `benches/compare`. Records are named by number (`0..records`); each target forms its own key
//! from [`crate::bench::keys::key_string`].
//!
//! Contract: `insert` and `update` make `value` the record's whole value; `read` returns the
//! value's length and fails for a missing record; `read_modify_write` reads, lets `modify` change
//! the bytes, and writes back only if nobody wrote in between (retrying internally), returning how
//! many retries it needed.

/// An engine operation failed; the text says how.
pub type OpResult<T> = std::result::Result<T, String>;

/// Counters a target can report after a phase (`None` where the engine does not expose them).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TargetStats {
    /// Bytes the engine has written to its device or files in total.
    pub device_bytes_written: Option<u64>,
    /// Bytes of the in-memory index.
    pub index_bytes: Option<u64>,
    /// Live records.
    pub records: Option<u64>,
    /// Device syncs (group commits) so far.
    pub syncs: Option<u64>,
    /// Reads that went to the device (not served from the write buffer or post-write cache).
    pub device_reads: Option<u64>,
    /// Writes the engine refused for back-pressure (18, 8) and the target resent after a pause.
    pub overload_retries: Option<u64>,
}

/// One engine under test.
pub trait BenchTarget: Sync {
    /// Short engine name for reports.
    fn name(&self) -> String;
    /// Create record `k` (it does not exist yet).
    fn insert(&self, k: u64, value: &[u8]) -> OpResult<()>;
    /// Read record `k`; returns the value length.
    fn read(&self, k: u64) -> OpResult<usize>;
    /// Overwrite record `k`'s value.
    fn update(&self, k: u64, value: &[u8]) -> OpResult<()>;
    /// Read, modify, write back atomically with respect to other writers; returns retries.
    fn read_modify_write(&self, k: u64, modify: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32>;
    /// Counters (called between phases).
    fn stats(&self) -> TargetStats;
    /// Read every record of share `share` of `shares` (a disjoint split of the data set);
    /// returns (records, value bytes). Engines without a scan say so.
    fn scan_share(&self, _share: usize, _shares: usize) -> OpResult<(u64, u64)> {
        Err(format!("{} has no scan", self.name()))
    }
    /// Read records `ks` together; returns the value bytes. Default: one read after another.
    fn read_batch(&self, ks: &[u64]) -> OpResult<usize> {
        ks.iter().map(|k| self.read(*k)).sum()
    }
}
