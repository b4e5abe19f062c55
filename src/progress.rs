//! Progress of long work at open, reported to an optional observer (SN-REQ-SCAN-PROGRESS).
//!
//! A cold start reads every written block of a namespace's devices and can take seconds to
//! minutes; the engine reports how far it got at most every [`REPORT_EVERY`] and once at the end.
//! The library prints nothing itself: a [`ProgressFn`] set with
//! [`DatabaseConfig::progress`](crate::DatabaseConfig::progress) decides (the `aerolite` CLI and
//! [`stderr_progress`] print a line to stderr).
//!
//! Invariants: counters only grow between reports of one cold start; the last report of a cold
//! start has `done = true` and carries the scan's skip counters and the total duration.
//!
//! ```
//! use aerolite::{progress, Database, DatabaseConfig, NamespaceConfig, StorageConfig};
//! use aerolite::config::DeviceConfig;
//! use std::sync::{Arc, Mutex};
//!
//! # fn main() -> aerolite::Result<()> {
//! let dir = tempfile::tempdir().expect("temporary directory");
//! let dev = DeviceConfig::new(dir.path().join("ns.dat")).file_size(64 << 20);
//! let ns = NamespaceConfig::new("test").storage(StorageConfig::Device(dev));
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let sink = seen.clone();
//! let cfg = DatabaseConfig::with_namespaces(vec![ns.clone()]).progress(Arc::new(
//!     move |p: &progress::ColdStartProgress| sink.lock().expect("not poisoned").push(p.done),
//! ));
//! let db = Database::open(cfg.clone())?;
//! let bins = [aerolite::Bin::new("v", aerolite::Value::Int(1))];
//! db.put(&Default::default(), &aerolite::Key::new("test", "s", 1)?, &bins)?;
//! db.abandon(); // a crash: the next open cold-starts
//! let db = Database::open(cfg)?;
//! assert_eq!(seen.lock().expect("not poisoned").last(), Some(&true));
//! # drop(db);
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;
use std::time::Duration;

/// Minimum time between two reports of one cold start.
pub const REPORT_EVERY: Duration = Duration::from_secs(1);

/// Where a namespace's cold start is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColdStartProgress {
    /// Namespace name.
    pub namespace: String,
    /// Blocks with accepted images seen so far.
    pub blocks_with_images: u64,
    /// Write blocks of the namespace's devices (an upper bound of what the scan reads).
    pub blocks_total: u64,
    /// Images accepted by the scan so far.
    pub images: u64,
    /// Of those, images superseded by another image of the same record.
    pub duplicates: u64,
    /// Images skipped as stale (earlier block incarnation); known at the end.
    pub stale: u64,
    /// Images skipped as corrupt; known at the end.
    pub corrupt: u64,
    /// Records indexed after resolution and expiry; known at the end.
    pub records: u64,
    /// Time since the cold start began.
    pub elapsed: Duration,
    /// Whether this is the final report.
    pub done: bool,
}

impl std::fmt::Display for ColdStartProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cold start {}: {}/{} blocks with images, {} images, {} duplicates",
            self.namespace,
            self.blocks_with_images,
            self.blocks_total,
            self.images,
            self.duplicates
        )?;
        if self.done {
            write!(
                f,
                ", {} stale, {} corrupt skipped, {} records indexed in {:.2} s",
                self.stale,
                self.corrupt,
                self.records,
                self.elapsed.as_secs_f64()
            )?;
        }
        Ok(())
    }
}

/// An observer of progress (called on the opening thread).
pub type ProgressFn = Arc<dyn Fn(&ColdStartProgress) + Send + Sync>;

/// An observer printing each report as one line on stderr.
pub fn stderr_progress() -> ProgressFn {
    Arc::new(|p: &ColdStartProgress| eprintln!("{p}"))
}
