//! Runtime threads drive the storage steps (flush, defrag): with `background_threads`, a partly
//! filled buffer reaches the device within `flush_max_ms` (DUR-BUFFERED's loss window is bounded),
//! and defrag keeps a small device writable under overwrites.

mod storage_support;

use aerolite::{Database, DatabaseConfig, ManualClock, NamespaceConfig, StorageConfig};
use std::sync::Arc;
use std::time::Duration;
use storage_support::*;

fn open_bg(dir: &std::path::Path, clock: &ManualClock, file: u64) -> Database {
    let mut d = file_config(dir);
    d.flush_max_ms = 20;
    d.file_size_bytes = file;
    let ns = NamespaceConfig::new("test").storage(StorageConfig::Device(d));
    Database::open(DatabaseConfig::with_namespaces(vec![ns]).clock(Arc::new(clock.clone())))
        .expect("open with runtime threads")
}

/// DUR-BUFFERED, CFG-FLUSH-MAX: after flush_max_ms the buffered write is durable.
#[test]
fn dur_buffered_flusher_bounds_the_loss_window() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_bg(dir.path(), &clock, 16 << 20);
    db.put(&wp(false), &key(1), &bins(1, 100)).expect("put");
    std::thread::sleep(Duration::from_millis(300));
    db.abandon();
    let db = open_bg(dir.path(), &clock, 16 << 20);
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}

/// Background defrag keeps a 1 MiB device (15 blocks, ~40 % live) writable through 30
/// device-fulls of random overwrites.
#[test]
fn background_defrag_keeps_space() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_bg(dir.path(), &clock, 1 << 20);
    let mut latest = [0i64; 250];
    let mut x = 1u64;
    for n in 0..20_000i64 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let k = ((x >> 33) % 250) as i64;
        latest[k as usize] = n;
        let mut tries = 0;
        while let Err(e) = db.put(&wp(false), &key(k), &bins(n, 1500)) {
            tries += 1;
            assert!(tries < 2000, "write {n} never got space: {e}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    for (k, v) in latest.iter().enumerate() {
        if *v > 0 {
            assert_eq!(read(&db, &key(k as i64)).map(|r| r.0), Some(*v));
        }
    }
    assert!(db.stats().defrag_bytes > 0);
}

/// Open with runtime threads on a 16 MiB file (256 blocks of 64 KiB) with the given
/// `defrag_free_hwm_pct`, write 300 records of ~1 KiB (about five blocks), then overwrite the
/// first 40 (so the first block falls below the 50 % low-water mark without emptying); the
/// stats once the maintenance thread had `wait` to act.
fn queued_block_after(hwm: u8, wait: Duration) -> aerolite::Stats {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let mut d = file_config(dir.path());
    d.flush_max_ms = 20;
    d.file_size_bytes = 16 << 20;
    d.defrag_free_hwm_pct = hwm;
    let ns = NamespaceConfig::new("test").storage(StorageConfig::Device(d));
    let db =
        Database::open(DatabaseConfig::with_namespaces(vec![ns]).clock(Arc::new(clock.clone())))
            .expect("open with runtime threads");
    for k in 0..300 {
        db.put(&wp(false), &key(k), &bins(k, 1000)).expect("load");
    }
    for k in 0..40 {
        db.put(&wp(false), &key(k), &bins(k + 1000, 1000))
            .expect("overwrite");
    }
    let deadline = std::time::Instant::now() + wait;
    while db.stats().defrag_bytes == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for k in 0..300 {
        let want = if k < 40 { k + 1000 } else { k };
        assert_eq!(read(&db, &key(k)).map(|r| r.0), Some(want), "record {k}");
    }
    db.stats()
}

/// `defrag_free_hwm_pct`: with almost every block free, the background defrag leaves a block
/// below the low-water mark queued (no read, no copy) at the default 50; at 100 (Aerospike's
/// eager defrag) it empties the block at once.
#[test]
fn background_defrag_waits_while_space_is_plentiful() {
    let waiting = queued_block_after(50, Duration::from_millis(500));
    assert!(waiting.defrag_queued >= 1, "a block is queued: {waiting:?}");
    assert_eq!(waiting.defrag_bytes, 0, "and left alone: {waiting:?}");
    let eager = queued_block_after(100, Duration::from_secs(10));
    assert!(
        eager.defrag_bytes > 0,
        "at 100 the block is emptied: {eager:?}"
    );
}
