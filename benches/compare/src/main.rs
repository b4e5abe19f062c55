//! `aerolite-compare`: the same YCSB-like workloads (aerolite's own `bench` runner, same keys,
//! value sizes, key distribution, threads and durability) through aerolite, fjall, redb and, with
//! `--features rocksdb`, RocksDB, one engine after the other in one process, each in a fresh
//! directory; prints each engine's ops/s and the ratio aerolite ÷ engine. See `peers.rs` for what
//! each engine's durability setting does.
//!
//! Run: `cd benches/compare && cargo run --release -- --records 100000 --duration 10`.

mod peers;

use aerolite::bench::json::Json;
use aerolite::bench::keys::Distribution;
use aerolite::bench::report::PhaseReport;
use aerolite::bench::target::BenchTarget;
use aerolite::bench::workload::Workload;
use aerolite::bench::{self, AeroliteTarget, Durability, Options, Target};
use clap::Parser;
use peers::Mode;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser)]
#[command(about = "aerolite vs fjall, redb, RocksDB on YCSB-like workloads")]
struct Args {
    /// Workloads after the load, comma-separated (ycsb-a, ycsb-b, ycsb-c, ycsb-f).
    #[arg(long, value_delimiter = ',', default_value = "ycsb-a,ycsb-b,ycsb-c")]
    workload: Vec<String>,
    /// Engines, comma-separated (aerolite, fjall, redb, rocksdb).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "aerolite,fjall,redb,rocksdb"
    )]
    engines: Vec<String>,
    /// Records.
    #[arg(long, default_value_t = 100_000)]
    records: u64,
    /// Value bytes.
    #[arg(long, default_value_t = 1024)]
    value_size: usize,
    /// uniform or zipfian.
    #[arg(long, default_value = "zipfian")]
    distribution: String,
    /// Worker threads.
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Seconds per workload.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// buffered or sync (commit-to-device).
    #[arg(long, default_value = "buffered")]
    durability: String,
    /// Parent of the engines' data directories (each removed after its run).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// aerolite's target: auto (device in the data directory when built, else memory) or memory.
    #[arg(long, default_value = "auto")]
    aerolite_target: String,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn main() {
    match run(&Args::parse()) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("aerolite-compare: {e}");
            std::process::exit(2);
        }
    }
}

fn open_engine(
    name: &str,
    dir: &Path,
    mode: Mode,
    args: &Args,
) -> Result<Box<dyn BenchTarget>, String> {
    match name {
        "aerolite" => {
            let mut o = Options {
                durability: if mode == Mode::Sync {
                    Durability::CommitToDevice
                } else {
                    Durability::Buffered
                },
                ..Options::default()
            };
            o.target = match args.aerolite_target.as_str() {
                "memory" => Target::Memory,
                _ if bench::device_backend_available() => Target::Path(dir.join("aerolite.dat")),
                _ => Target::Memory,
            };
            let opened = bench::open(&o).map_err(|e| e.to_string())?;
            let label = if opened.target == "memory" {
                "memory".to_string()
            } else {
                format!("device, {}", opened.io)
            };
            Ok(Box::new(AeroliteTarget::new(
                opened.db,
                &label,
                o.durability,
            )))
        }
        "fjall" => Ok(Box::new(peers::Fjall::open(dir, mode)?)),
        "redb" => Ok(Box::new(peers::Redb::open(dir, mode)?)),
        #[cfg(feature = "rocksdb")]
        "rocksdb" => Ok(Box::new(peers::Rocks::open(dir, mode)?)),
        other => Err(format!(
            "engine {other:?} is not built (rocksdb needs --features rocksdb)"
        )),
    }
}

fn run(args: &Args) -> Result<i32, String> {
    let mode = match args.durability.as_str() {
        "buffered" => Mode::Buffered,
        "sync" | "commit" | "commit-to-device" => Mode::Sync,
        d => return Err(format!("unknown durability {d:?}")),
    };
    let mut workloads = vec![Workload::Load];
    for w in &args.workload {
        match Workload::parse(w) {
            Some(Workload::Load) => {}
            // Peers have no scan target yet (BenchTarget::scan_share); batch reads fall back to
            // one read after another for them.
            Some(Workload::Act | Workload::Scan) | None => {
                return Err(format!("workload {w:?} is not compared"))
            }
            Some(w) => workloads.push(w),
        }
    }
    let opts = Options {
        records: args.records,
        value_size: Some(args.value_size),
        distribution: Distribution::parse(&args.distribution).ok_or("unknown distribution")?,
        threads: args.threads,
        duration: Some(Duration::try_from_secs_f64(args.duration).map_err(|e| e.to_string())?),
        progress: true,
        ..Options::default()
    };
    let mut engines: Vec<&str> = args.engines.iter().map(String::as_str).collect();
    if !cfg!(feature = "rocksdb") && engines.contains(&"rocksdb") {
        eprintln!("aerolite-compare: rocksdb skipped (build with --features rocksdb)");
        engines.retain(|e| *e != "rocksdb");
    }
    let mut results: Vec<(String, String, Vec<PhaseReport>)> = Vec::new();
    let mut errors = 0;
    for e in &engines {
        let dir = args.dir.join(format!("compare-{e}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|x| format!("{}: {x}", dir.display()))?;
        let target = open_engine(e, &dir, mode, args)?;
        let label = target.name();
        eprintln!("== {label}");
        let mut phases = Vec::new();
        for (i, w) in workloads.iter().enumerate() {
            let p = bench::run_one(
                target.as_ref(),
                &opts,
                *w,
                args.value_size,
                opts.duration,
                opts.seed + i as u64,
            );
            errors += p.errors;
            if let Some(err) = &p.first_error {
                eprintln!("{e} {}: {} errors, first: {err}", p.workload, p.errors);
            }
            phases.push(p);
        }
        drop(target);
        std::fs::remove_dir_all(&dir).map_err(|x| format!("{}: {x}", dir.display()))?;
        results.push((e.to_string(), label, phases));
    }
    let ops = |engine: &str, w: &str| -> Option<f64> {
        results
            .iter()
            .find(|r| r.0 == engine)
            .and_then(|r| r.2.iter().find(|p| p.workload == w))
            .map(|p| p.ops_per_s)
    };
    if let Some(path) = &args.json {
        let mut arr = Vec::new();
        for (e, label, phases) in &results {
            for p in phases {
                let ratio = ops("aerolite", &p.workload).map(|a| a / p.ops_per_s.max(1e-9));
                arr.push(
                    p.to_json()
                        .with("engine", e.as_str())
                        .with("engine_setup", label.as_str())
                        .with("aerolite_ratio", ratio),
                );
            }
        }
        let j = Json::obj()
            .with("durability", args.durability.as_str())
            .with("records", args.records)
            .with("value_size", args.value_size)
            .with("threads", args.threads)
            .with("distribution", args.distribution.as_str())
            .with("results", Json::Arr(arr));
        std::fs::write(path, format!("{j}\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    {
        println!(
            "{} records × {} B · {} keys · {} threads · {} s per workload · durability {}",
            args.records,
            args.value_size,
            args.distribution,
            args.threads,
            args.duration,
            args.durability
        );
        println!(
            "{:<8} {:<40} {:>11} {:>9} {:>9} {:>14}",
            "workload", "engine", "ops/s", "p50 µs", "p99 µs", "aerolite ÷ it"
        );
        for w in &workloads {
            for (e, label, phases) in &results {
                let Some(p) = phases.iter().find(|p| p.workload == w.name()) else {
                    continue;
                };
                let ratio = ops("aerolite", w.name()).map_or("-".to_string(), |a| {
                    format!("{:.2}", a / p.ops_per_s.max(1e-9))
                });
                let _ = e;
                println!(
                    "{:<8} {:<40} {:>11.0} {:>9.1} {:>9.1} {:>14}",
                    w.name(),
                    label,
                    p.ops_per_s,
                    p.all.p50_us,
                    p.all.p99_us,
                    ratio
                );
            }
            let best = results
                .iter()
                .filter(|r| r.0 != "aerolite")
                .filter_map(|r| ops(&r.0, w.name()).map(|o| (r.0.clone(), o)))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let (Some(a), Some((name, b))) = (ops("aerolite", w.name()), best) {
                println!(
                    "{:<8} aerolite ÷ best peer ({name}): {:.2}",
                    w.name(),
                    a / b.max(1e-9)
                );
            }
        }
    }
    Ok(if errors > 0 { 1 } else { 0 })
}
