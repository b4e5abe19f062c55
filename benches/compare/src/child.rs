//! One engine in this process: open it in a fresh directory, load, run each workload, print one
//! tab-separated `result` line per phase on stdout (parsed by `driver.rs`), remove the directory.
//!
//! Invariants: the load runs first and inserts every record once; a workload an engine cannot
//! run (a scan on an engine without a full iteration here) is skipped, never reported as zero.

use crate::peers::{self, Mode};
use crate::Args;
use aerolite::bench::keys::Distribution;
use aerolite::bench::target::BenchTarget;
use aerolite::bench::workload::Workload;
use aerolite::bench::{self, AeroliteTarget, Durability, Options, Target};
use std::path::Path;
use std::time::Duration;

/// Engines whose full iteration the `scan` workload does not measure (every other one's it does).
const NOT_SCANNING: [&str; 2] = ["bitask", "rocksdb"];

/// The field separator of a result line (labels never hold a tab).
pub const SEP: char = '\t';

/// The durability mode `--durability` names.
pub fn mode(args: &Args) -> Result<Mode, String> {
    match args.durability.as_str() {
        "buffered" => Ok(Mode::Buffered),
        "sync" | "commit" | "commit-to-device" => Ok(Mode::Sync),
        d => Err(format!("unknown durability {d:?} (buffered or sync)")),
    }
}

/// The workloads of a run: the load, then `--workload` in order.
pub fn workloads(args: &Args) -> Result<Vec<Workload>, String> {
    let mut out = vec![Workload::Load];
    for w in &args.workload {
        match Workload::parse(w) {
            Some(Workload::Load) => {}
            Some(Workload::Act | Workload::Batch) | None => {
                return Err(format!("workload {w:?} is not compared"))
            }
            Some(w) => out.push(w),
        }
    }
    Ok(out)
}

fn bench_options(args: &Args, mode: Mode) -> Result<Options, String> {
    Ok(Options {
        records: args.records,
        value_size: Some(args.value_size),
        distribution: Distribution::parse(&args.distribution)
            .ok_or_else(|| format!("unknown distribution {:?}", args.distribution))?,
        threads: args.threads,
        duration: Some(Duration::try_from_secs_f64(args.duration).map_err(|e| e.to_string())?),
        durability: match mode {
            Mode::Sync => Durability::CommitToDevice,
            Mode::Buffered => Durability::Buffered,
        },
        progress: false,
        ..Options::default()
    })
}

fn open_aerolite(opts: &Options, target: Target) -> Result<Box<dyn BenchTarget>, String> {
    let opened = bench::open(&Options {
        target,
        ..opts.clone()
    })
    .map_err(|e| e.to_string())?;
    let label = if opened.target == "memory" {
        "memory".to_string()
    } else {
        format!("device, {}", opened.io)
    };
    Ok(Box::new(AeroliteTarget::new(
        opened.db,
        &label,
        opts.durability,
    )))
}

fn open_engine(
    name: &str,
    dir: &Path,
    mode: Mode,
    opts: &Options,
) -> Result<Box<dyn BenchTarget>, String> {
    let records = opts.records;
    match name {
        "aerolite" => open_aerolite(opts, Target::Path(dir.join("aerolite.dat"))),
        "aerolite-dim" => open_aerolite(
            &Options {
                data_in_memory: true,
                ..opts.clone()
            },
            Target::Path(dir.join("aerolite.dat")),
        ),
        "aerolite-mem" => open_aerolite(opts, Target::Memory),
        "fjall" => Ok(Box::new(peers::fjall::Fjall::open(dir, mode, records)?)),
        "redb" => Ok(Box::new(peers::redb::Redb::open(dir, mode, records)?)),
        "heed" => Ok(Box::new(peers::heed::Heed::open(dir, mode, records)?)),
        "bitask" => Ok(Box::new(peers::bitcask::Bitcask::open(dir, mode)?)),
        #[cfg(feature = "rocksdb")]
        "rocksdb" => Ok(Box::new(peers::rocks::Rocks::open(dir, mode)?)),
        other => Err(format!(
            "engine {other:?} is not built (rocksdb needs --features rocksdb)"
        )),
    }
}

/// Run `engine` alone; returns the exit code (1 if any operation failed).
pub fn run(args: &Args, engine: &str) -> Result<i32, String> {
    let mode = mode(args)?;
    let opts = bench_options(args, mode)?;
    let dir = args
        .dir
        .join(format!("compare-{engine}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|x| format!("{}: {x}", dir.display()))?;
    let target = match open_engine(engine, &dir, mode, &opts) {
        Ok(t) => t,
        Err(e) => {
            // Best effort: the open error is the one to report.
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    let label = target.name();
    let mut errors = 0;
    for (i, w) in workloads(args)?.into_iter().enumerate() {
        if w == Workload::Scan && NOT_SCANNING.contains(&engine) {
            continue;
        }
        let p = bench::run_one(
            target.as_ref(),
            &opts,
            w,
            args.value_size,
            opts.duration,
            opts.seed + i as u64,
        );
        errors += p.errors;
        if let Some(err) = &p.first_error {
            eprintln!("{engine} {}: {} errors, first: {err}", p.workload, p.errors);
        }
        println!(
            "result{SEP}{engine}{SEP}{label}{SEP}{}{SEP}{:.1}{SEP}{:.2}{SEP}{:.2}{SEP}{}{SEP}{}",
            p.workload, p.ops_per_s, p.all.p50_us, p.all.p99_us, p.ops, p.errors
        );
    }
    drop(target);
    std::fs::remove_dir_all(&dir).map_err(|x| format!("{}: {x}", dir.display()))?;
    Ok(if errors > 0 { 1 } else { 0 })
}
