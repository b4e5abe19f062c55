//! `aerolite-compare`: aerolite against its embedded peers — fjall 3, redb 5, heed 0.23 (LMDB),
//! bitask 0.1 (Bitcask) and, with `--features rocksdb`, RocksDB — on the same workloads through
//! aerolite's own bench runner (same keys, values, key distribution, threads and durability).
//!
//! Every engine runs in its own process (this binary re-executes itself with `--engine NAME`),
//! so no engine inherits another's heap or page-cache pressure; `--rounds N` repeats the whole
//! list interleaved (round 1: every engine in the order given, round 2: every engine again in
//! another order, …: so no engine always follows the same one). The driver prints a
//! Markdown table per round with ops/s per engine per workload and the ratio aerolite ÷ best
//! peer, the 50:50 latencies, and writes every row with `--json`. See `peers/` for what each
//! engine's durability setting does.
//!
//! The single-thread setup (the defaults): 1,000,000 records of 16-byte keys and 200-byte
//! values, uniform keys, one thread, buffered:
//! `cd benches/compare && cargo run --release -- --rounds 2 --json /tmp/cmp.json`.
//! Update + fsync, one writer: `… -- --durability sync --workload update --records 20000`.

mod child;
mod driver;
mod peers;

use clap::Parser;
use std::path::PathBuf;

/// Every engine this build can run, in report order; `aerolite` is a device file (buffered
/// writes, the default configuration), `aerolite-dim` the same with `data_in_memory` (every
/// block in memory, the device for durability and restart; not in the default list: a mode, not
/// the default configuration), `aerolite-mem` the memory backend.
pub const ENGINES: [&str; 8] = [
    "aerolite",
    "aerolite-dim",
    "aerolite-mem",
    "fjall",
    "redb",
    "heed",
    "bitask",
    "rocksdb",
];

/// Command-line arguments (the driver passes the same ones on to each engine's process).
#[derive(Parser, Debug, Clone)]
#[command(about = "aerolite vs fjall, redb, heed (LMDB), bitask, RocksDB; one engine per process")]
pub struct Args {
    /// Workloads after the load, comma-separated: ycsb-c (point read), ycsb-a (50:50 read /
    /// overwrite), ycsb-b, ycsb-f, update (overwrites only), scan (full iteration, ops = records).
    #[arg(long, value_delimiter = ',', default_value = "ycsb-c,ycsb-a,scan")]
    pub workload: Vec<String>,
    /// Engines, comma-separated (aerolite, aerolite-dim, aerolite-mem, fjall, redb, heed, bitask, rocksdb).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "aerolite,aerolite-mem,fjall,redb,heed,bitask,rocksdb"
    )]
    pub engines: Vec<String>,
    /// Run only this engine, in this process, and print its results as tab-separated lines
    /// (what the driver does in each child process).
    #[arg(long)]
    pub engine: Option<String>,
    /// Rounds: the engine list is run this many times, interleaved.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,
    /// Records.
    #[arg(long, default_value_t = 1_000_000)]
    pub records: u64,
    /// Value bytes.
    #[arg(long, default_value_t = 200)]
    pub value_size: usize,
    /// uniform or zipfian.
    #[arg(long, default_value = "uniform")]
    pub distribution: String,
    /// Worker threads.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Seconds per workload after the load.
    #[arg(long, default_value_t = 5.0)]
    pub duration: f64,
    /// buffered, or sync (commit-to-device: acknowledged after the sync).
    #[arg(long, default_value = "buffered")]
    pub durability: String,
    /// Parent of the engines' data directories (each removed after its run).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Also write every result row as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let outcome = match &args.engine {
        Some(engine) => child::run(&args, engine),
        None => driver::run(&args),
    };
    match outcome {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("aerolite-compare: {e}");
            std::process::exit(2);
        }
    }
}
