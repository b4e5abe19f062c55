//! Seeds 000 and 003 through the official Aerospike Rust client (`aerospike` 3.x) against
//! `aerolite serve` — or, unchanged, against an Aerospike cluster (only `--hosts` changes).
//!
//! - seed 000 (`seed000.rs`): read-modify-write with `Update` + `ExpectGenEqual` racing a
//!   scan-based cleanup that durably deletes with a generation check; the bursts of 3 and 2 and
//!   the retry that loses nothing; scenario B (`seed000_ttl.rs`): the TTL passes between the
//!   read and the write.
//! - seed 003 (`seed003.rs`): an in-doubt write (its reply lost by a proxy, `proxy.rs`) retried
//!   safely with a txn id in a create-only map bin; exactly-once checked at the end.
//!
//! Run: `aerolite serve --memory &` then
//! `cargo run --release --example client_seeds -- --hosts 127.0.0.1:3000 [--seconds 5]
//! [--writers 16] [--profiles 200] [--debits 200]`. Exits 1 if a check fails.
//! `tests/client_seeds.rs` runs the same code against a test server with small sizes.

mod proxy;
mod seed000;
mod seed000_ttl;
mod seed003;

use aerospike::{Client, ClientPolicy};
use std::sync::Arc;

struct Args {
    hosts: String,
    race: seed000::RaceConfig,
    once: seed003::OnceConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        hosts: "127.0.0.1:3000".into(),
        race: seed000::RaceConfig::default(),
        once: seed003::OnceConfig::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let num = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: `{value}` is not a number"))
        };
        match flag.as_str() {
            "--hosts" => a.hosts = value.clone(),
            "--seconds" => a.race.duration_ms = num()? * 1000,
            "--writers" => a.race.writers = num()?,
            "--profiles" => a.race.profiles = num()?,
            "--debits" => a.once.debits = num()?,
            _ => {
                return Err(format!(
                    "unknown flag {flag} (see the top of examples/client_seeds/main.rs)"
                ))
            }
        }
    }
    Ok(a)
}

async fn run(args: Args) -> Result<(), String> {
    let policy = ClientPolicy::default();
    let client = Client::new(&policy, &args.hosts)
        .await
        .map_err(|e| format!("connecting to {}: {e}", args.hosts))?;
    let client = Arc::new(client);
    let race = seed000::run(client.clone(), &args.race).await?;
    race.print(&args.race);
    let ttl = seed000_ttl::run(&client, &args.race.namespace, &args.race.set).await?;
    ttl.print();
    let px = proxy::Proxy::start(&args.hosts).map_err(|e| format!("proxy: {e}"))?;
    let through = Client::new(&policy, &px.host())
        .await
        .map_err(|e| format!("connecting through the proxy: {e}"))?;
    let once = seed003::run(&through, &client, &px, &args.once).await?;
    once.print(&args.once);
    let checks = [
        ("seed 000", race.check()),
        ("seed 000 scenario B", ttl.check()),
        ("seed 003", once.check()),
    ];
    let mut ok = true;
    for (name, c) in checks {
        match c {
            Ok(()) => println!("{name}: check passed"),
            Err(e) => {
                println!("{name}: CHECK FAILED: {e}");
                ok = false;
            }
        }
    }
    if ok {
        Ok(())
    } else {
        Err("a check failed".into())
    }
}

fn main() {
    let result = parse_args().and_then(|args| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?
            .block_on(run(args))
    });
    if let Err(e) = result {
        eprintln!("client_seeds: {e}");
        std::process::exit(1);
    }
}
