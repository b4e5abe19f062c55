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
pub mod histogram;
pub mod json;
pub mod keys;
pub mod multi;
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
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

    fn blob_len(r: &crate::Record) -> OpResult<usize> {
        match r.bin(BIN) {
            Some(Value::Blob(b)) => Ok(b.len()),
            other => Err(format!("bin {BIN:?} holds {other:?}, not a blob")),
        }
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

    fn read(&self, k: u64) -> OpResult<usize> {
        let key = Self::key(k)?;
        let r = self
            .db
            .get(&ReadPolicy::default(), &key, Bins::All)
            .map_err(|e| e.to_string())?;
        Self::blob_len(&r)
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
            index_bytes: Some(s.index_bytes),
            records: Some(s.records),
            syncs: Some(s.syncs),
            device_reads: Some(s.cache_misses),
            overload_retries: Some(self.overload_retries.load(Ordering::Relaxed)),
        }
    }
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
        if opts.read_page_cache {
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

/// Command-line arguments of `aerolite bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Workloads, comma-separated: load, ycsb-a, ycsb-b, ycsb-c, ycsb-f, update, act, scan
    /// (full scans, ops = records), batch (batch reads of 64 keys, ops = batches). Default: load then
    /// YCSB A, B, C, F for 6 s each. `sindex` runs alone: 1 % range queries through a secondary
    /// index vs scan + filter expression (`bench::sindex`; --duration / --ops per side).
    #[arg(long, short = 'w', value_delimiter = ',')]
    pub workload: Vec<String>,
    /// Records in the data set (default 200,000; 1,000,000 for the sindex workload).
    #[arg(long, short = 'n')]
    pub records: Option<u64>,
    /// Value bytes per record (default 1024; with act, the size that makes 1536-byte images).
    #[arg(long)]
    pub value_size: Option<usize>,
    /// Key distribution: uniform or zipfian.
    #[arg(long, default_value = "zipfian")]
    pub distribution: String,
    /// Worker threads.
    #[arg(long, short = 't', default_value_t = 4)]
    pub threads: usize,
    /// Seconds per non-load phase (default 6 for the default run, else 10 unless --ops is given).
    #[arg(long, short = 'd')]
    pub duration: Option<f64>,
    /// Operations per non-load phase.
    #[arg(long)]
    pub ops: Option<u64>,
    /// Durability: buffered or commit-to-device.
    #[arg(long, default_value = "buffered")]
    pub durability: String,
    /// Where the data lives: auto, memory, or a file / block device path.
    #[arg(long, default_value = "auto")]
    pub target: String,
    /// I/O backend: auto, io_uring or portable.
    #[arg(long, default_value = "auto")]
    pub io: String,
    /// Keep the data directory the run created.
    #[arg(long)]
    pub keep: bool,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// ACT load multiple N (N × 2000 reads/s + N × 1000 writes/s).
    #[arg(long, default_value_t = 4.0)]
    pub act_multiple: f64,
    /// ACT slice length in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub act_slice: f64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Device reads through the OS page cache: on or off (`DeviceConfig::read_page_cache`; off
    /// measures device reads, as `scripts/device-limits` needs).
    #[arg(long, default_value = "on")]
    pub read_page_cache: String,
    /// Post-write cache in MiB (default: the `DeviceConfig` default).
    #[arg(long)]
    pub post_write_cache_mib: Option<u64>,
}

fn seconds(s: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            crate::Error::new(
                ResultCode::ParameterError,
                format!("{what}: {s} is not a positive number of seconds"),
            )
        })
}

impl BenchArgs {
    /// Options from the arguments.
    pub fn options(&self) -> Result<Options> {
        let mut o = Options::default();
        if !self.workload.is_empty() {
            o.workloads = Vec::new();
            for w in &self.workload {
                match Workload::parse(w.trim()) {
                    // Its own runner (`sindex::run`), not a phase of the mixed run.
                    None if w.trim() == "sindex" => {}
                    Some(w) => o.workloads.push(w),
                    None => {
                        return err(
                            ResultCode::ParameterError,
                            format!("unknown workload {w:?}"),
                        )
                    }
                }
            }
            o.duration = None;
        }
        let sindex = self.workload.iter().any(|w| w.trim() == "sindex");
        o.records = self
            .records
            .unwrap_or(if sindex { 1_000_000 } else { 200_000 });
        o.value_size = self.value_size;
        o.distribution = Distribution::parse(&self.distribution).ok_or_else(|| {
            crate::Error::new(
                ResultCode::ParameterError,
                format!("unknown distribution {:?}", self.distribution),
            )
        })?;
        o.threads = self.threads;
        if let Some(d) = self.duration {
            o.duration = Some(seconds(d, "--duration")?);
        }
        o.ops = self.ops;
        if o.ops.is_some() && self.duration.is_none() {
            o.duration = None;
        }
        o.durability = Durability::parse(&self.durability).ok_or_else(|| {
            crate::Error::new(
                ResultCode::ParameterError,
                format!("unknown durability {:?}", self.durability),
            )
        })?;
        o.target = Target::parse(&self.target);
        o.io = IoBackend::parse(&self.io).ok_or_else(|| {
            crate::Error::new(
                ResultCode::ParameterError,
                format!("unknown I/O backend {:?}", self.io),
            )
        })?;
        o.keep = self.keep;
        o.seed = self.seed;
        o.act_multiple = self.act_multiple;
        o.act_slice = seconds(self.act_slice, "--act-slice")?;
        o.progress = !self.quiet;
        o.read_page_cache = match self.read_page_cache.as_str() {
            "on" => true,
            "off" => false,
            other => {
                return err(
                    ResultCode::ParameterError,
                    format!("--read-page-cache {other:?}: on or off"),
                )
            }
        };
        o.post_write_cache = self.post_write_cache_mib.map(|m| m << 20);
        Ok(o)
    }
}

/// `aerolite bench`: run and print; exit code 1 when any operation failed. Setup errors come back
/// as I/O errors carrying the aerolite error's text (the CLI prints them).
pub fn run_cli(args: &BenchArgs, out: &mut dyn Write) -> std::io::Result<i32> {
    if args.workload.iter().any(|w| w.trim() == "sindex") {
        return sindex::run_cli(args, out);
    }
    let report = args
        .options()
        .and_then(|opts| run(&opts))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if args.json {
        writeln!(out, "{}", report.to_json())?;
    } else {
        report.write_table(out)?;
    }
    Ok(if report.errors() > 0 { 1 } else { 0 })
}
