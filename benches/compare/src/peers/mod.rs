//! Peer engines as `BenchTarget`s, each opened in its own fresh directory with the same keys
//! (`user` + 12 digits, so key order is record order) and values as aerolite:
//! fjall 3 (`fjall.rs`), redb 5 (`redb.rs`), heed over LMDB (`heed.rs`), bitask, a Bitcask
//! store (`bitcask.rs`), and RocksDB behind the feature `rocksdb` (`rocks.rs`). Each file states
//! what its engine's `Mode::Buffered` and `Mode::Sync` do.
//!
//! Invariants: every peer holds exactly one value per record number; `read` fails for a missing
//! record (so a lost write shows up as an error, not as a fast read); `scan_share(s, n)` visits
//! the key range of records `[s·records/n, (s+1)·records/n)` once, so the shares of one pass are
//! disjoint and cover the data set.

pub mod bitcask;
pub mod fjall;
pub mod heed;
pub mod redb;
#[cfg(feature = "rocksdb")]
pub mod rocks;

use aerolite::bench::keys::key_string;
use aerolite::bench::sys::process_write_bytes;
use aerolite::bench::target::{OpResult, TargetStats};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Durability mode of a comparison run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Acknowledge before the device sync; sync about every second.
    Buffered,
    /// Acknowledge after the write is durable.
    Sync,
}

/// How often a buffered peer makes its writes durable (aerolite's `flush_max_ms`).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// Lock stripes of the peers without compare-and-set (read-modify-write only).
pub const STRIPES: usize = 256;

/// Fresh lock stripes.
pub fn stripes() -> Vec<Mutex<()>> {
    (0..STRIPES).map(|_| Mutex::new(())).collect()
}

/// Any engine error as the bench's error text.
pub fn e2s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// The counters a peer can report: bytes this process wrote.
pub fn io_stats() -> TargetStats {
    TargetStats {
        device_bytes_written: process_write_bytes(),
        ..TargetStats::default()
    }
}

/// The key range `[first, end)` of scan share `share` of `shares` over `records` records.
pub fn share_keys(records: u64, share: usize, shares: usize) -> (String, String) {
    let shares = shares.max(1) as u64;
    let share = share as u64;
    assert!(share < shares, "share {share} of {shares}");
    let first = records * share / shares;
    let end = records * (share + 1) / shares;
    (key_string(first), key_string(end))
}

/// A missing record as an error.
pub fn not_found(k: u64) -> String {
    format!("record {k} not found")
}

/// Tally of one scan: (records, value bytes); fails on a record outside the share's range.
pub fn tally(seen: &mut (u64, u64), key: &[u8], value_len: usize, end: &str) -> OpResult<()> {
    if key >= end.as_bytes() {
        return Err(format!(
            "scan returned key {:?} at or past the share's end {end:?}",
            String::from_utf8_lossy(key)
        ));
    }
    seen.0 += 1;
    seen.1 += value_len as u64;
    Ok(())
}

/// A thread that calls `sync` every [`SYNC_INTERVAL`] until the returned flag is set (the
/// buffered peers' stand-in for aerolite's flush timer). The thread ends within one interval.
pub fn periodic_sync(sync: impl Fn() -> OpResult<()> + Send + 'static) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            std::thread::sleep(SYNC_INTERVAL);
            if let Err(e) = sync() {
                eprintln!("aerolite-compare: periodic sync failed: {e}");
                return;
            }
        }
    });
    stop
}
