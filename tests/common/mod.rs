//! Shared test harness: opens a database on the backend named by `AEROLITE_BACKEND`
//! (`memory`, the default; the storage work adds `device`), so that the same semantic suite runs
//! unchanged on every backend (`AEROLITE_BACKEND=device cargo test`).
#![allow(dead_code)]

use aerolite::{Database, DatabaseConfig, ManualClock, NamespaceConfig};
use std::sync::Arc;

/// The backend under test.
pub fn backend() -> String {
    std::env::var("AEROLITE_BACKEND").unwrap_or_else(|_| "memory".to_string())
}

/// A test database: namespace "test" configured by `ns`, a manual clock, no background threads.
pub struct TestDb {
    pub db: Database,
    pub clock: ManualClock,
    /// Keeps a device backend's directory alive for the test's duration.
    pub dir: Option<std::path::PathBuf>,
}

/// Apply the backend under test to a namespace config.
pub fn with_backend(ns: NamespaceConfig) -> (NamespaceConfig, Option<std::path::PathBuf>) {
    match backend().as_str() {
        "memory" => (ns, None),
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
