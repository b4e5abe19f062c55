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
