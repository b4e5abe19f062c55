//! Benchmark reports: one [`PhaseReport`] per workload phase, derived from the raw
//! [`PhaseResult`] and the engine's counters before and after, printed as a table or as JSON.
//!
//! Definitions (also in BENCHMARKS.md): ops/s = operations issued ÷ wall time; MB/s = value bytes
//! read + written ÷ wall time, in 10⁶ bytes; write amplification = device bytes written during
//! the phase ÷ value bytes written by the workload; index bytes/record = the index's memory
//! (by capacity) ÷ live records after the phase.

use crate::bench::act::{ActResult, BUCKETS_MS};
use crate::bench::histogram::{LatencyHistogram, LatencySummary};
use crate::bench::json::Json;
use crate::bench::target::TargetStats;
use crate::bench::workload::PhaseResult;
use std::io::{self, Write};

/// One phase, reported.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    /// Workload name.
    pub workload: String,
    /// Worker threads.
    pub threads: usize,
    /// Operations issued.
    pub ops: u64,
    /// Failed operations.
    pub errors: u64,
    /// The first failure.
    pub first_error: Option<String>,
    /// Wall time, seconds.
    pub duration_s: f64,
    /// Operations per second.
    pub ops_per_s: f64,
    /// Value megabytes (10⁶ B) per second, reads + writes.
    pub mb_per_s: f64,
    /// Read latencies.
    pub read: LatencySummary,
    /// Write latencies (insert, update, read-modify-write).
    pub write: LatencySummary,
    /// All operations.
    pub all: LatencySummary,
    /// `(quantile, µs)` of all operations, for CDF plots.
    pub cdf: Vec<(f64, f64)>,
    /// Read-modify-write retries (YCSB-F).
    pub rmw_retries: u64,
    /// Device bytes written during the phase.
    pub device_bytes_written: Option<u64>,
    /// Device bytes written ÷ value bytes written.
    pub write_amplification: Option<f64>,
    /// Index bytes per live record after the phase.
    pub index_bytes_per_record: Option<f64>,
    /// Live records after the phase.
    pub records: Option<u64>,
    /// Writes per device sync during the phase (group commit size; SN-REQ-ACK-DEVICE).
    pub writes_per_sync: Option<f64>,
    /// Share of reads that went to the device.
    pub device_read_fraction: Option<f64>,
    /// Writes resent after back-pressure (DeviceOverload 18, stop-writes 8) during the phase.
    pub overload_retries: Option<u64>,
    /// ACT slices and verdict (ACT phases only).
    pub act: Option<ActResult>,
}

impl PhaseReport {
    /// Derive the report of a phase.
    pub fn new(
        workload: &str,
        threads: usize,
        r: &PhaseResult,
        before: TargetStats,
        after: TargetStats,
    ) -> PhaseReport {
        let secs = r.elapsed.as_secs_f64().max(1e-9);
        let mut all = LatencyHistogram::new();
        all.merge(&r.reads);
        all.merge(&r.writes);
        let device_bytes_written = match (before.device_bytes_written, after.device_bytes_written) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b)),
            _ => None,
        };
        let write_amplification = device_bytes_written
            .filter(|_| r.bytes_written > 0)
            .map(|d| d as f64 / r.bytes_written as f64);
        let index_bytes_per_record = match (after.index_bytes, after.records) {
            (Some(i), Some(n)) if n > 0 => Some(i as f64 / n as f64),
            _ => None,
        };
        let delta = |b: Option<u64>, a: Option<u64>| match (b, a) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b)),
            _ => None,
        };
        let writes_per_sync = delta(before.syncs, after.syncs)
            .filter(|&n| n > 0)
            .map(|n| r.writes.count() as f64 / n as f64);
        let device_read_fraction = delta(before.device_reads, after.device_reads)
            .filter(|_| r.reads.count() > 0)
            .map(|n| n as f64 / r.reads.count() as f64);
        let overload_retries = delta(before.overload_retries, after.overload_retries);
        PhaseReport {
            workload: workload.to_string(),
            threads,
            ops: r.ops,
            errors: r.errors,
            first_error: r.first_error.clone(),
            duration_s: secs,
            ops_per_s: r.ops as f64 / secs,
            mb_per_s: (r.bytes_read + r.bytes_written) as f64 / secs / 1e6,
            read: r.reads.summary(),
            write: r.writes.summary(),
            all: all.summary(),
            cdf: all.cdf(),
            rmw_retries: r.rmw_retries,
            device_bytes_written,
            write_amplification,
            index_bytes_per_record,
            records: after.records,
            writes_per_sync,
            device_read_fraction,
            overload_retries,
            act: None,
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> Json {
        let cdf: Vec<Json> = self
            .cdf
            .iter()
            .map(|&(q, us)| Json::Arr(vec![Json::Num(q), Json::Num(us)]))
            .collect();
        let mut j = Json::obj()
            .with("workload", self.workload.as_str())
            .with("threads", self.threads)
            .with("ops", self.ops)
            .with("errors", self.errors)
            .with("first_error", self.first_error.clone())
            .with("duration_s", self.duration_s)
            .with("ops_per_s", self.ops_per_s)
            .with("mb_per_s", self.mb_per_s)
            .with("latency_us", summary_json(&self.all))
            .with("read_latency_us", summary_json(&self.read))
            .with("write_latency_us", summary_json(&self.write))
            .with("latency_cdf_us", Json::Arr(cdf))
            .with("rmw_retries", self.rmw_retries)
            .with("device_bytes_written", self.device_bytes_written)
            .with("write_amplification", self.write_amplification)
            .with("index_bytes_per_record", self.index_bytes_per_record)
            .with("records", self.records)
            .with("writes_per_sync", self.writes_per_sync)
            .with("device_read_fraction", self.device_read_fraction)
            .with("overload_retries", self.overload_retries);
        if let Some(a) = &self.act {
            j = j.with("act", act_json(a));
        }
        j
    }
}

fn summary_json(s: &LatencySummary) -> Json {
    Json::obj()
        .with("count", s.count)
        .with("p50", s.p50_us)
        .with("p99", s.p99_us)
        .with("p999", s.p999_us)
        .with("max", s.max_us)
        .with("mean", s.mean_us)
}

fn act_json(a: &ActResult) -> Json {
    let slices: Vec<Json> = a
        .slices
        .iter()
        .map(|s| {
            let reads: Vec<Json> = (0..BUCKETS_MS.len())
                .map(|i| Json::Num(s.read_pct_over(i)))
                .collect();
            let writes: Vec<Json> = (0..BUCKETS_MS.len())
                .map(|i| Json::Num(s.write_pct_over(i)))
                .collect();
            Json::obj()
                .with("reads", s.reads)
                .with("writes", s.writes)
                .with("read_pct_over_ms", Json::Arr(reads))
                .with("write_pct_over_ms", Json::Arr(writes))
                .with("pass", s.passes())
        })
        .collect();
    Json::obj()
        .with("multiple", a.multiple)
        .with("slice_s", a.slice.as_secs_f64())
        .with(
            "buckets_ms",
            Json::Arr(BUCKETS_MS.iter().map(|&b| Json::UInt(b)).collect()),
        )
        .with("slices", Json::Arr(slices))
        .with("max_lag_ms", a.max_lag.as_secs_f64() * 1e3)
        .with("performance_pass", a.performance_pass)
        .with("stress_pass", a.stress_pass)
        .with("pass", a.pass())
}

/// A whole run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Engine name.
    pub engine: String,
    /// Where the data lived (`memory`, or the device/file path).
    pub target: String,
    /// Durability mode.
    pub durability: String,
    /// I/O backend that ran.
    pub io_backend: String,
    /// Key distribution.
    pub distribution: String,
    /// Records in the data set.
    pub records: u64,
    /// Value bytes per record.
    pub value_size: usize,
    /// Seed.
    pub seed: u64,
    /// Phases in run order.
    pub phases: Vec<PhaseReport>,
    /// Peak resident set size of the process.
    pub peak_rss_bytes: Option<u64>,
}

impl Report {
    /// Total failed operations over every phase.
    pub fn errors(&self) -> u64 {
        self.phases.iter().map(|p| p.errors).sum()
    }

    /// As JSON.
    pub fn to_json(&self) -> Json {
        Json::obj()
            .with("engine", self.engine.as_str())
            .with("target", self.target.as_str())
            .with("durability", self.durability.as_str())
            .with("io_backend", self.io_backend.as_str())
            .with("distribution", self.distribution.as_str())
            .with("records", self.records)
            .with("value_size", self.value_size)
            .with("seed", self.seed)
            .with("peak_rss_bytes", self.peak_rss_bytes)
            .with(
                "phases",
                Json::Arr(self.phases.iter().map(PhaseReport::to_json).collect()),
            )
    }

    /// The human-readable table.
    pub fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "aerolite bench · engine {} · target {} · durability {} · io {} · {} records × {} B values · keys {} · seed {}",
            self.engine, self.target, self.durability, self.io_backend, self.records, self.value_size,
            self.distribution, self.seed
        )?;
        writeln!(
            out,
            "{:<8} {:>3} {:>10} {:>11} {:>8} {:>9} {:>9} {:>9} {:>10} {:>7}",
            "workload",
            "thr",
            "ops",
            "ops/s",
            "MB/s",
            "p50 µs",
            "p99 µs",
            "p99.9 µs",
            "max µs",
            "errors"
        )?;
        for p in &self.phases {
            writeln!(
                out,
                "{:<8} {:>3} {:>10} {:>11.0} {:>8.1} {:>9.1} {:>9.1} {:>9.1} {:>10.0} {:>7}",
                p.workload,
                p.threads,
                p.ops,
                p.ops_per_s,
                p.mb_per_s,
                p.all.p50_us,
                p.all.p99_us,
                p.all.p999_us,
                p.all.max_us,
                p.errors
            )?;
        }
        writeln!(
            out,
            "{:<8} {:>14} {:>9} {:>12} {:>10} {:>9} {:>9} {:>10} {:>9}",
            "workload",
            "device B writ.",
            "write amp",
            "index B/rec",
            "records",
            "read p99",
            "write p99",
            "writes/sync",
            "dev reads"
        )?;
        for p in &self.phases {
            writeln!(
                out,
                "{:<8} {:>14} {:>9} {:>12} {:>10} {:>9.1} {:>9.1} {:>10} {:>9}",
                p.workload,
                opt(p.device_bytes_written.map(|b| b as f64), 0),
                opt(p.write_amplification, 2),
                opt(p.index_bytes_per_record, 1),
                opt(p.records.map(|r| r as f64), 0),
                p.read.p99_us,
                p.write.p99_us,
                opt(p.writes_per_sync, 1),
                p.device_read_fraction
                    .map_or_else(|| "-".to_string(), |f| format!("{:.0}%", f * 100.0))
            )?;
            if let Some(n) = p.overload_retries.filter(|&n| n > 0) {
                writeln!(
                    out,
                    "         writes resent after back-pressure (18 or 8): {n}"
                )?;
            }
            if p.rmw_retries > 0 {
                writeln!(out, "         read-modify-write retries: {}", p.rmw_retries)?;
            }
            if let Some(e) = &p.first_error {
                writeln!(out, "         first error: {e}")?;
            }
        }
        for p in &self.phases {
            if let Some(a) = &p.act {
                write_act(out, a)?;
            }
        }
        match self.peak_rss_bytes {
            Some(b) => writeln!(out, "peak RSS: {:.1} MiB", b as f64 / (1u64 << 20) as f64)?,
            None => writeln!(out, "peak RSS: not reported on this platform")?,
        }
        Ok(())
    }
}

fn opt(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

fn write_act(out: &mut dyn Write, a: &ActResult) -> io::Result<()> {
    writeln!(
        out,
        "ACT {}x · slice {:.0} s · % of reads (writes) slower than 1/2/4/8/16/32/64 ms",
        a.multiple,
        a.slice.as_secs_f64()
    )?;
    for (i, s) in a.slices.iter().enumerate() {
        let reads: Vec<String> = (0..BUCKETS_MS.len())
            .map(|b| format!("{:.2}", s.read_pct_over(b)))
            .collect();
        let writes: Vec<String> = (0..BUCKETS_MS.len())
            .map(|b| format!("{:.2}", s.write_pct_over(b)))
            .collect();
        let verdict = match s.passes() {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "-",
        };
        writeln!(
            out,
            "  slice {i:>3}: reads {:>7} [{}] writes {:>7} [{}] {verdict}",
            s.reads,
            reads.join(" "),
            s.writes,
            writes.join(" ")
        )?;
    }
    writeln!(
        out,
        "ACT verdict: {} (performance {}, stress {}: max lag {:.1} ms)",
        if a.pass() { "PASS" } else { "FAIL" },
        if a.performance_pass { "pass" } else { "fail" },
        if a.stress_pass { "pass" } else { "fail" },
        a.max_lag.as_secs_f64() * 1e3
    )
}
