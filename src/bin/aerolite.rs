//! The `aerolite` command line. Argument parsing only; the work is in `aerolite::cli`.

use aerolite::cli;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "aerolite",
    version,
    about = "aerolite: Aerospike's record model, embedded"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run scenario A (record-model.md §22.1) step by step on an embedded namespace.
    Demo,
    /// Print a device file's header and per-block summary; `--verify` checks every image and
    /// exits 2 on corruption.
    Inspect {
        /// Device file or raw device.
        path: std::path::PathBuf,
        /// Decode every image; exit 2 when anything is corrupt.
        #[arg(long)]
        verify: bool,
    },
    /// YCSB-like and ACT-like benchmarks (no options: a ~30 s mixed run).
    Bench(aerolite::bench::BenchArgs),
    /// Speak Aerospike's wire protocol so the official clients run against aerolite
    /// (docs/serve.md).
    Serve {
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Port.
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// In-memory namespace `test` (default: a device file in the data directory).
        #[arg(long, conflicts_with = "data")]
        memory: bool,
        /// Data directory for the device file.
        #[arg(long, default_value = "aerolite-data")]
        data: std::path::PathBuf,
        /// Configuration file: `key = value` lines (docs/serve.md).
        #[arg(long)]
        config: Option<std::path::PathBuf>,
    },
    /// Reproducible experiments from the seeds.
    Scenario {
        #[command(subcommand)]
        which: Scenario,
    },
}

#[derive(Subcommand)]
enum Scenario {
    /// Seed 000: read-modify-write with ExpectGenEqual racing durable deletes, TTL expiry, and
    /// scan-based cleanup cycles (filter expression, gen-checked durable deletes).
    GenRace {
        /// Interleaving seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Records.
        #[arg(long, default_value_t = 200)]
        records: u64,
        /// Logical updates per strategy and race mode (and per strategy against the cleanup).
        #[arg(long, default_value_t = 20_000)]
        updates: u64,
        /// Probability of a delete / expiry between read and write.
        #[arg(long, default_value_t = 0.05)]
        race_probability: f64,
        /// Probability of a competing writer between read and write.
        #[arg(long, default_value_t = 0.05)]
        conflict_probability: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Seed 003: in-doubt writes on a replicated cluster under faults; naive retry vs exactly-once.
    InDoubt(InDoubtArgs),
}

/// Options of `scenario in-doubt` (defaults: `replication::scenario::Options::default()`).
#[derive(clap::Args)]
struct InDoubtArgs {
    /// Seed of the cluster, its faults and the load.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Logical add(+1) writes per strategy.
    #[arg(long, default_value_t = 2000)]
    writes: u64,
    /// Records.
    #[arg(long, default_value_t = 16)]
    keys: u64,
    /// Replicas besides the master.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// Client total timeout per attempt, simulated ms.
    #[arg(long, default_value_t = 100)]
    timeout_ms: u64,
    /// Message drop chance per mille.
    #[arg(long, default_value_t = 20)]
    drop: u32,
    /// Message delay chance per mille.
    #[arg(long, default_value_t = 20)]
    delay: u32,
    /// Longest delay, ms.
    #[arg(long, default_value_t = 150)]
    delay_max_ms: u64,
    /// Message duplication chance per mille.
    #[arg(long, default_value_t = 10)]
    duplicate: u32,
    /// Master crash chance per applied write, per mille (after step 2, 3, 4 or 5).
    #[arg(long, default_value_t = 3)]
    crash: u32,
    /// Write with CommitMaster instead of CommitAll.
    #[arg(long)]
    commit_master: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn main() {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match cli.cmd {
        Cmd::Demo => cli::demo::run(&mut out),
        Cmd::Inspect { path, verify } => cli::inspect::run(&path, verify, &mut out),
        Cmd::Bench(args) => aerolite::bench::run_cli(&args, &mut out),
        Cmd::Serve {
            bind,
            port,
            memory,
            data,
            config,
        } => {
            let opts = cli::serve::Options {
                bind,
                port,
                memory,
                data,
                config,
            };
            cli::serve::run(&opts, &mut out).map_err(std::io::Error::other)
        }
        Cmd::Scenario { which } => match which {
            Scenario::GenRace {
                seed,
                records,
                updates,
                race_probability,
                conflict_probability,
                json,
            } => {
                let opts = cli::scenario_gen_race::Options {
                    seed,
                    records: records.max(1),
                    updates,
                    race_probability,
                    conflict_probability,
                };
                cli::scenario_gen_race::run(&opts, json, &mut out)
            }
            Scenario::InDoubt(a) => {
                let opts = aerolite::replication::scenario::Options {
                    seed: a.seed,
                    writes: a.writes,
                    keys: a.keys.max(1),
                    replicas: a.replicas,
                    timeout_ms: a.timeout_ms.max(1),
                    drop_per_mille: a.drop.min(1000),
                    delay_per_mille: a.delay.min(1000),
                    delay_ms_max: a.delay_max_ms,
                    duplicate_per_mille: a.duplicate.min(1000),
                    crash_per_mille: a.crash.min(1000),
                    commit_master: a.commit_master,
                    ..Default::default()
                };
                cli::scenario_in_doubt::run(&opts, a.json, &mut out)
            }
        },
    };
    let code = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("aerolite: {e}");
            1
        }
    };
    std::process::exit(code);
}
