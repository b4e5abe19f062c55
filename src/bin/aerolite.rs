//! The `aerolite` command line: demo (and later bench, inspect, scenario).

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
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.cmd {
        Cmd::Demo => aerolite_cli::demo(),
    };
    std::process::exit(code);
}

mod aerolite_cli {
    pub fn demo() -> i32 {
        0
    }
}
