//! `aerolite bench`'s command line: [`BenchArgs`] (clap) turned into [`Options`], and
//! [`run_cli`], which runs them and prints the report.
//!
//! Invariants: every argument is validated into `Options` before anything opens a database;
//! a bad argument is a ParameterError naming it.

use super::*;
use std::io::Write;

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
    /// Keep every block with live records in memory (`DeviceConfig::data_in_memory`): reads
    /// never reach the device.
    #[arg(long)]
    pub data_in_memory: bool,
    /// Write the data file with zeros before the store opens it (file targets), as fio's file is
    /// before a fio run: every first write is then an overwrite, not the conversion of a
    /// fallocated extent that a commit-to-device sync must journal.
    #[arg(long)]
    pub prewrite: bool,
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
        o.data_in_memory = self.data_in_memory;
        o.prewrite = self.prewrite;
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
