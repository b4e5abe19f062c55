//! Command-line subcommands as library functions (so tests can run them): each takes its options
//! and a writer, and returns the process exit code. `src/bin/aerolite.rs` only parses arguments.

pub mod demo;
pub mod inspect;
pub mod scenario_gen_race;
pub mod scenario_in_doubt;
pub mod serve;
pub mod serve_config;
