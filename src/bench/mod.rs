//! `aerolite bench`: YCSB-like and ACT-like workloads against an embedded database, with a live
//! progress bar and a report table (or JSON). The library function [`run`] does the work so tests
//! and other tools call it directly; `src/bin/aerolite.rs` only parses [`BenchArgs`].
//!
//! Modules: [`keys`] (uniform / zipfian choosers), [`workload`] (closed-loop phases), [`act`]
//! (fixed-rate ACT model and verdict), [`histogram`], [`report`], [`json`], [`target`] (the engine
//! boundary, shared with the peer comparison in `benches/compare`), [`sys`] (peak RSS).
//!
//! Invariants: every run starts from an empty database it opens itself (a `load` phase is put
//! first when the workloads do not start with one), so results do not depend on earlier runs; a
//! data directory the run creates is removed at the end unless `keep` is set.

pub mod act;
mod aerolite_target;
mod args;
pub mod histogram;
pub mod json;
pub mod keys;
pub mod multi;
mod prewrite;
pub mod report;
pub mod sindex;
pub mod sys;
pub mod target;
pub mod workload;

use crate::bench::act::{run_act, ActSpec, ACT_RECORD_BYTES};
use crate::bench::keys::{key_string, Distribution};
use crate::bench::report::{PhaseReport, Report};
use crate::bench::target::{BenchTarget, OpResult, TargetStats};
use crate::bench::workload::{run_phase, PhaseSpec, Workload};
use crate::config::{DatabaseConfig, DeviceConfig, NamespaceConfig, StorageConfig};
use crate::error::{err, Result, ResultCode};
use crate::format::record_image::{self, ImageMeta};
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::storage::device::{self, IoBackend as DeviceIo};
use crate::{
    Bin, Bins, Database, GenerationPolicy, Key, ReadPolicy, RecordExistsAction, Value, WritePolicy,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use aerolite_target::AeroliteTarget;
pub use args::{run_cli, BenchArgs};

/// Namespace the benchmark writes into.
pub const NAMESPACE: &str = "bench";
/// Set the benchmark writes into.
pub const SET: &str = "usertable";
/// Bin holding each record's value.
pub const BIN: &str = "v";

/// When a write is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// When the image is in the write buffer (SN-REQ-ACK-BUFFERED).
    Buffered,
    /// When the image is durable on the device (SN-REQ-ACK-DEVICE, group commit).
    CommitToDevice,
}

impl Durability {
    /// Parse `buffered` or `commit-to-device` (`commit`, `sync`).
    pub fn parse(s: &str) -> Option<Durability> {
        match s {
            "buffered" => Some(Durability::Buffered),
            "commit-to-device" | "commit" | "sync" => Some(Durability::CommitToDevice),
            _ => None,
        }
    }

    /// Report name.
    pub fn name(self) -> &'static str {
        match self {
            Durability::Buffered => "buffered",
            Durability::CommitToDevice => "commit-to-device",
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The device backend in a fresh data directory when this build has one, else memory.
    Auto,
    /// The in-memory backend.
    Memory,
    /// A file or block device (the device backend).
    Path(PathBuf),
}

impl Target {
    /// Parse `auto`, `memory`, or a path.
    pub fn parse(s: &str) -> Target {
        match s {
            "auto" => Target::Auto,
            "memory" | "mem" => Target::Memory,
            p => Target::Path(PathBuf::from(p)),
        }
    }
}

/// I/O backend of the device store (SN-REQ-BACKENDS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoBackend {
    /// io_uring where available, else portable.
    Auto,
    /// io_uring.
    Uring,
    /// Positional reads and writes on a small thread pool.
    Portable,
}

impl IoBackend {
    /// Parse `auto`, `io_uring` (`uring`) or `portable`.
    pub fn parse(s: &str) -> Option<IoBackend> {
        match s {
            "auto" => Some(IoBackend::Auto),
            "io_uring" | "io-uring" | "uring" => Some(IoBackend::Uring),
            "portable" => Some(IoBackend::Portable),
            _ => None,
        }
    }

    /// Report name.
    pub fn name(self) -> &'static str {
        match self {
            IoBackend::Auto => "auto",
            IoBackend::Uring => "io_uring",
            IoBackend::Portable => "portable",
        }
    }
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Phases in order (a `load` is put first if missing).
    pub workloads: Vec<Workload>,
    /// Records in the data set.
    pub records: u64,
    /// Value bytes per record; `None` = 1024, or the ACT record size when ACT runs.
    pub value_size: Option<usize>,
    /// Key distribution of the non-load phases.
    pub distribution: Distribution,
    /// Worker threads.
    pub threads: usize,
    /// Length of each non-load phase.
    pub duration: Option<Duration>,
    /// Operations of each non-load phase (with `duration`, whichever ends first).
    pub ops: Option<u64>,
    /// Durability mode.
    pub durability: Durability,
    /// Data location.
    pub target: Target,
    /// I/O backend.
    pub io: IoBackend,
    /// Keep the data directory the run created.
    pub keep: bool,
    /// Seed of every random choice.
    pub seed: u64,
    /// ACT load multiple.
    pub act_multiple: f64,
    /// ACT slice length.
    pub act_slice: Duration,
    /// Show a progress bar on stderr (drawn only when stderr is a terminal).
    pub progress: bool,
    /// Device reads through the page cache (`DeviceConfig::read_page_cache`).
    pub read_page_cache: bool,
    /// Post-write cache bytes; `None` = the `DeviceConfig` default.
    pub post_write_cache: Option<u64>,
    /// Every block with live records in memory (`DeviceConfig::data_in_memory`).
    pub data_in_memory: bool,
    /// Write a file target's data file with zeros before the store opens it (`prewrite`).
    pub prewrite: bool,
}

impl Default for Options {
    /// The default run: load, then YCSB A, B, C and F for 6 s each (about 30 s in all).
    fn default() -> Options {
        Options {
            workloads: vec![
                Workload::Load,
                Workload::YcsbA,
                Workload::YcsbB,
                Workload::YcsbC,
                Workload::YcsbF,
            ],
            records: 200_000,
            value_size: None,
            distribution: Distribution::Zipfian,
            threads: 4,
            duration: Some(Duration::from_secs(6)),
            ops: None,
            durability: Durability::Buffered,
            target: Target::Auto,
            io: IoBackend::Auto,
            keep: false,
            seed: 1,
            act_multiple: 4.0,
            act_slice: Duration::from_secs(10),
            progress: true,
            read_page_cache: DeviceConfig::new("").read_page_cache,
            post_write_cache: None,
            data_in_memory: false,
            prewrite: false,
        }
    }
}

/// Value bytes that make the record image exactly `ACT_RECORD_BYTES` (or just under it).
pub fn act_value_size() -> usize {
    let meta = ImageMeta {
        digest: Digest::default(),
        generation: 1,
        lut: 0,
        void_time: 0,
        tombstone: false,
        set_name: SET.to_string(),
        key: None,
        block_seq: 0,
    };
    let image_len = |n: usize| {
        let mut bins = BinList::new();
        bins.set(BIN, Value::Blob(vec![0; n]));
        record_image::encoded_size(&meta, &bins)
    };
    let mut n = ACT_RECORD_BYTES;
    while n > 0 && image_len(n) > ACT_RECORD_BYTES {
        n -= 1;
    }
    n
}

/// Whether this build has the device backend (`Target::Auto` picks it when true).
pub fn device_backend_available() -> bool {
    true
}

/// The database a run uses and what to report about it.
pub struct Opened {
    /// The open database.
    pub db: Database,
    /// Where the data lives, for the report.
    pub target: String,
    /// The I/O backend that runs (`Device::kind`: backend and whether `O_DIRECT` is on).
    pub io: String,
    /// A data directory this run created (removed at the end unless `keep`).
    pub created_dir: Option<PathBuf>,
}

/// Size of a data file for `records` images of `value_size`-byte values: four times the live
/// data (so stop-writes at 70 % used is never near and defrag has room), at least 1 GiB.
pub fn data_file_bytes(records: u64, value_size: usize) -> u64 {
    let image = record_image::padded_len(value_size + 96) as u64;
    (records.saturating_mul(image).saturating_mul(4)).max(1 << 30)
}

/// Open the database `opts` describe: the storage configuration of `target`, `durability` and
/// `io`. A regular file target is replaced (deleted with its snapshot, then created), so every run
/// starts empty; a block device is used as it is (the load rewrites every record).
pub fn open(opts: &Options) -> Result<Opened> {
    let ns = NamespaceConfig::new(NAMESPACE).expiry_sweep_interval(0);
    let (path, created_dir) = match &opts.target {
        Target::Memory => {
            let ns = ns.storage(StorageConfig::Memory { capacity_bytes: 0 });
            let db = Database::open(DatabaseConfig::with_namespaces(vec![ns]))?;
            return Ok(Opened {
                db,
                target: "memory".to_string(),
                io: "none (memory)".to_string(),
                created_dir: None,
            });
        }
        Target::Auto => {
            let dir = std::env::current_dir()
                .map_err(|e| {
                    crate::Error::new(ResultCode::ClientError, format!("current directory: {e}"))
                })?
                .join(format!("aerolite-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir).map_err(|e| {
                crate::Error::new(
                    ResultCode::ClientError,
                    format!("creating {}: {e}", dir.display()),
                )
            })?;
            (dir.join("data.aerolite"), Some(dir))
        }
        Target::Path(p) => {
            let is_file = std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false);
            if is_file {
                let mut snap = p.clone().into_os_string();
                snap.push(".snapshot");
                for f in [p.clone(), PathBuf::from(snap)] {
                    if f.exists() {
                        std::fs::remove_file(&f).map_err(|e| {
                            crate::Error::new(
                                ResultCode::ClientError,
                                format!("replacing {}: {e}", f.display()),
                            )
                        })?;
                    }
                }
            }
            (p.clone(), None)
        }
    };
    let value_size = opts.value_size.unwrap_or(1024);
    let backend = match opts.io {
        IoBackend::Auto => DeviceIo::Auto,
        IoBackend::Uring => DeviceIo::Uring,
        IoBackend::Portable => DeviceIo::Portable,
    };
    let mut dc = DeviceConfig::new(&path)
        .commit_to_device(opts.durability == Durability::CommitToDevice)
        .file_size(data_file_bytes(opts.records, value_size));
    let block_device = std::fs::metadata(&path).is_ok_and(|m| !m.is_file());
    if opts.prewrite && !block_device {
        if let Err(e) = prewrite::zero_file(&path, dc.file_size_bytes) {
            if let Some(d) = &created_dir {
                // Best effort: the prewrite error is the one to report.
                let _ = std::fs::remove_dir_all(d);
            }
            return Err(e);
        }
    }
    // A directory this run created goes away again if the database cannot be opened.
    let cleanup = |e: crate::Error| {
        if let Some(d) = &created_dir {
            // Best effort: the open error is the one to report.
            let _ = std::fs::remove_dir_all(d);
        }
        e
    };
    let device =
        device::open_path(&path, dc.file_size_bytes, dc.direct_io, backend).map_err(cleanup)?;
    let io = format!(
        "{}{}",
        device.kind(),
        if opts.data_in_memory {
            ", data in memory"
        } else if opts.read_page_cache {
            ", page-cache reads"
        } else {
            ""
        }
    );
    let snapshot = dc.snapshot_path.take();
    dc = DeviceConfig {
        commit_to_device: dc.commit_to_device,
        file_size_bytes: dc.file_size_bytes,
        io_backend: backend,
        read_page_cache: opts.read_page_cache,
        post_write_cache: opts.post_write_cache.unwrap_or(dc.post_write_cache),
        data_in_memory: opts.data_in_memory,
        ..DeviceConfig::with_devices(vec![device], snapshot)
    };
    let ns = ns.storage(StorageConfig::Device(dc));
    let db = Database::open(DatabaseConfig::with_namespaces(vec![ns])).map_err(cleanup)?;
    Ok(Opened {
        db,
        target: path.display().to_string(),
        io,
        created_dir,
    })
}

fn progress_bar(opts: &Options) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    let style =
        ProgressStyle::with_template("{spinner} {msg:<28} [{bar:30}] {percent:>3}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar
}

/// Run the benchmark and return its report.
pub fn run(opts: &Options) -> Result<Report> {
    if opts.records == 0 || opts.threads == 0 {
        return err(
            ResultCode::ParameterError,
            "records and threads must be ≥ 1",
        );
    }
    let has_act = opts.workloads.contains(&Workload::Act);
    let value_size = opts
        .value_size
        .unwrap_or(if has_act { act_value_size() } else { 1024 });
    let mut workloads = opts.workloads.clone();
    if workloads.first() != Some(&Workload::Load) {
        workloads.insert(0, Workload::Load);
    }
    let duration = match (opts.duration, opts.ops) {
        (None, None) => Some(Duration::from_secs(10)),
        (d, _) => d,
    };
    let opened = open(&Options {
        value_size: Some(value_size),
        ..opts.clone()
    })?;
    let target = AeroliteTarget::new(opened.db, &opened.target, opts.durability);
    let mut report = Report {
        engine: "aerolite".to_string(),
        target: opened.target.clone(),
        durability: opts.durability.name().to_string(),
        io_backend: opened.io.clone(),
        distribution: opts.distribution.name().to_string(),
        records: opts.records,
        value_size,
        seed: opts.seed,
        ..Report::default()
    };
    for (i, w) in workloads.iter().enumerate() {
        let seed = opts.seed.wrapping_add(i as u64);
        report
            .phases
            .push(run_one(&target, opts, *w, value_size, duration, seed));
    }
    report.peak_rss_bytes = sys::peak_rss_bytes();
    drop(target);
    if let Some(dir) = &opened.created_dir {
        if !opts.keep {
            std::fs::remove_dir_all(dir).map_err(|e| {
                crate::Error::new(
                    ResultCode::ClientError,
                    format!("removing {}: {e}", dir.display()),
                )
            })?;
        }
    }
    Ok(report)
}

/// Run one phase against any target (used by `run` and by `benches/compare`).
pub fn run_one(
    target: &dyn BenchTarget,
    opts: &Options,
    w: Workload,
    value_size: usize,
    duration: Option<Duration>,
    seed: u64,
) -> PhaseReport {
    let bar = progress_bar(opts);
    let before = target.stats();
    let (result, act) = if w == Workload::Act {
        bar.set_message(format!("act {}x", opts.act_multiple));
        let spec = ActSpec {
            multiple: opts.act_multiple,
            threads: opts.threads,
            records: opts.records,
            value_size,
            duration: duration.unwrap_or(Duration::from_secs(10)),
            slice: opts.act_slice,
            seed,
        };
        let (r, a) = run_act(target, &spec);
        (r, Some(a))
    } else {
        let spec = PhaseSpec {
            workload: w,
            threads: opts.threads,
            records: opts.records,
            value_size,
            distribution: opts.distribution,
            duration,
            ops: opts.ops,
            seed,
        };
        (run_phase(target, &spec, &bar), None)
    };
    bar.finish_and_clear();
    let after = target.stats();
    let mut p = PhaseReport::new(w.name(), opts.threads, &result, before, after);
    p.act = act;
    p
}
