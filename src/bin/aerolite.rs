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
    /// Reproducible experiments from the seeds.
    Scenario {
        #[command(subcommand)]
        which: Scenario,
    },
}

#[derive(Subcommand)]
enum Scenario {
    /// Seed 000: read-modify-write with ExpectGenEqual racing durable deletes and TTL expiry.
    GenRace {
        /// Interleaving seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Records.
        #[arg(long, default_value_t = 200)]
        records: u64,
        /// Logical updates per strategy and race mode.
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
}

fn main() {
    let cli = Cli::parse();
    let mut out = std::io::stdout().lock();
    let result = match cli.cmd {
        Cmd::Demo => cli::demo::run(&mut out),
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
