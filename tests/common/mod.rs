//! Shared test harness: opens a database on the backend named by `AEROLITE_BACKEND`
//! (`memory`, the default, or `device`: the log-structured store on a file in a fresh
//! temporary directory), so that the same semantic suite runs unchanged on every backend
//! (`AEROLITE_BACKEND=device cargo test`).
#![allow(dead_code)]

use aerolite::config::DeviceConfig;
use aerolite::{Database, DatabaseConfig, ManualClock, NamespaceConfig, StorageConfig};
use std::path::PathBuf;
use std::sync::Arc;

/// The backend under test.
pub fn backend() -> String {
    std::env::var("AEROLITE_BACKEND").unwrap_or_else(|_| "memory".to_string())
}

/// A test database: namespace "test" configured by `ns`, a manual clock, no background threads.
pub struct TestDb {
    pub db: Database,
    pub clock: ManualClock,
    /// A device backend's directory; removed when the `TestDb` is dropped.
    pub dir: Option<PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(d) = &self.dir {
            self.db.close();
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Device settings for tests in `dir`: 1 MiB blocks (so the default `max_record_size` of 1 MiB
/// keeps its meaning), a 128 MiB file, a small post-write cache.
pub fn test_device(dir: &std::path::Path) -> DeviceConfig {
    let mut d = DeviceConfig::new(dir.join("data.dev"))
        .block_size(1 << 20)
        .file_size(128 << 20);
    d.post_write_cache = 8 << 20;
    d
}

/// A fresh temporary directory that outlives this call (the caller removes it).
pub fn temp_dir() -> PathBuf {
    tempfile::Builder::new()
        .prefix("aerolite-test-")
        .tempdir()
        .expect("temporary directory")
        .keep()
}

/// Apply the backend under test to a namespace config. A namespace that configures its own
/// storage (e.g. a small memory capacity) keeps it.
pub fn with_backend(ns: NamespaceConfig) -> (NamespaceConfig, Option<PathBuf>) {
    match backend().as_str() {
        "memory" => (ns, None),
        "device" if ns.storage == (StorageConfig::Memory { capacity_bytes: 0 }) => {
            let dir = temp_dir();
            let ns = ns.storage(StorageConfig::Device(test_device(&dir)));
            (ns, Some(dir))
        }
        "device" => (ns, None),
        other => panic!("unknown AEROLITE_BACKEND {other:?}"),
    }
}

/// Open namespace "test" with `configure` applied to the defaults.
pub fn open_with(configure: impl FnOnce(NamespaceConfig) -> NamespaceConfig) -> TestDb {
    let clock = ManualClock::at_2026();
    let (ns, dir) = with_backend(configure(NamespaceConfig::new("test")));
    let config = DatabaseConfig::with_namespaces(vec![ns])
        .clock(Arc::new(clock.clone()))
        .background_threads(false);
    let db = Database::open(config).expect("open test database");
    TestDb { db, clock, dir }
}

/// Open namespace "test" with defaults.
pub fn open() -> TestDb {
    open_with(|ns| ns)
}
