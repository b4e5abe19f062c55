//! Seeds 000 and 003 through the official Rust client against `aerolite serve` started
//! in-process on an ephemeral port: the code of `examples/client_seeds` (included by path, so the
//! example and this test cannot drift) with small sizes. Proves that, over the wire, the seed-000
//! retry loop loses no update while a scan-based cleanup durably deletes with generation checks
//! (the audience counts add up exactly), that a TTL passing between read and write answers 3
//! then 2 (scenario B), and that seed 003's tagged debit is exactly-once when
//! replies are really lost (a proxy drops them; every in-doubt retry answers 24).

mod serve_support;

#[path = "../examples/client_seeds/proxy.rs"]
mod proxy;
#[path = "../examples/client_seeds/seed000.rs"]
mod seed000;
#[path = "../examples/client_seeds/seed000_ttl.rs"]
mod seed000_ttl;
#[path = "../examples/client_seeds/seed003.rs"]
mod seed003;

use aerospike::{Client, ClientPolicy};
use std::sync::Arc;

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects")
}

#[tokio::test(flavor = "multi_thread")]
async fn seed000_race_loses_no_update_over_the_wire() {
    let s = serve_support::start();
    let client = Arc::new(connect(&s.host()).await);
    let cfg = seed000::RaceConfig {
        profiles: 64,
        writers: 4,
        duration_ms: 1200,
        period_ms: 300,
        stale_ms: 20,
        think_ms_max: 5,
        ..seed000::RaceConfig::default()
    };
    let report = seed000::run(client.clone(), &cfg)
        .await
        .expect("seed 000 runs");
    report.print(&cfg);
    report.check().expect("seed 000 check");
    assert!(report.cycles >= 3, "cleanup cycles ran: {}", report.cycles);
    let deleted: u64 = report.buckets.values().map(|b| b.deleted).sum();
    assert!(deleted > 0, "the cleanup deleted stale or empty profiles");
}

#[tokio::test(flavor = "multi_thread")]
async fn seed000_ttl_expiry_between_read_and_write_answers_3_then_2() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let report = seed000_ttl::run(&client, "test", "profiles")
        .await
        .expect("scenario B runs");
    report.print();
    report.check().expect("scenario B codes");
    assert!(report.recreated_generation >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn seed003_lost_replies_are_in_doubt_and_the_tagged_retry_is_exactly_once() {
    let s = serve_support::start();
    let direct = connect(&s.host()).await;
    let px = proxy::Proxy::start(&s.host()).expect("proxy");
    let through = connect(&px.host()).await;
    let cfg = seed003::OnceConfig {
        debits: 30,
        ..seed003::OnceConfig::default()
    };
    let report = seed003::run(&through, &direct, &px, &cfg)
        .await
        .expect("seed 003 runs");
    report.print(&cfg);
    assert!(report.blind_in_doubt, "a lost reply is in doubt");
    assert_eq!(
        report.blind_balance,
        1_000_000 - 2 * cfg.amount,
        "the blind retry debits twice"
    );
    assert!(report.replies_lost > 0, "the proxy lost some replies");
    report.check().expect("seed 003 check");
}
