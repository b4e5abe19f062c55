//! The index pool's spares are made ahead by the runtime (issue 16 [K], BENCHMARKS.md
//! "Session 24"): once the pool holds a chunk, a device namespace's maintenance thread maps and
//! populates `MAX_SPARES` one-huge-page spares, so the writer whose insert grows a table past
//! the free ranges does not wait for the kernel to find and zero a page. A database whose
//! runtime threads are off makes none.
//!
//! One test in its own binary: the pool is the process's, so no other test may use it here.

mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::huge_pages::HUGE;
use aerolite::index::pool::{self, PoolSlice, MAX_SPARES};
use aerolite::{Database, DatabaseConfig, NamespaceConfig, StorageConfig};
use std::path::Path;
use std::time::{Duration, Instant};

fn open(path: &Path, background: bool) -> Database {
    let d = DeviceConfig::new(path).file_size(16 << 20);
    Database::open(
        DatabaseConfig::with_namespaces(vec![
            NamespaceConfig::new("test").storage(StorageConfig::Device(d))
        ])
        .background_threads(background),
    )
    .expect("open")
}

/// Poll `done` for up to `limit`.
fn eventually(limit: Duration, done: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

#[test]
fn the_maintenance_thread_keeps_spares_once_the_pool_is_in_use() {
    let dir = storage_support::tmp();
    // The pool in use: a block as large as a big partition table's slots.
    let held = PoolSlice::filled(60_000, 0u64, true);
    if !held.is_pooled() {
        return; // no huge-page mappings here: every table uses the heap
    }
    let in_use = pool::free_bytes();
    assert!(
        in_use < HUGE,
        "one chunk, no spare yet: {in_use} free bytes"
    );

    let quiet = open(&dir.path().join("quiet.dat"), false);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(pool::free_bytes(), in_use, "no runtime threads, no spares");
    drop(quiet);

    let db = open(&dir.path().join("d.dat"), true);
    let want = in_use + MAX_SPARES * HUGE;
    assert!(
        eventually(Duration::from_secs(10), || pool::free_bytes() == want),
        "MAX_SPARES spares made ahead: {} free bytes, want {want}",
        pool::free_bytes()
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(pool::free_bytes(), want, "no more than MAX_SPARES (P4)");
    drop(db);
    drop(held);
}
