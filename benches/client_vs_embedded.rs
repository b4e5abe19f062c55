//! The same workload two ways, side by side in one run: the embedded API (`aerolite::Database`
//! called from threads) and the official Aerospike Rust client (`aerospike` 3.x, async on tokio)
//! against `aerolite serve` started in this process on a loopback port. Same namespace config
//! (in memory), same records, value size, thread count and key sequence; per command (get, put,
//! operate) ops/s, p50 and p99, and the ratio embedded / client. The two sides run interleaved
//! (rounds of get, put, operate, each first embedded then client), so a busy machine disturbs both
//! alike.
//!
//! Run: `cargo bench --bench client_vs_embedded -- [records] [value_bytes] [threads]
//! [ops_per_thread_per_round] [rounds]` (defaults 10000 100 4 5000 3). BENCHMARKS.md, section
//! "Through the official client", has the numbers.

use aerospike::{Client, ClientPolicy};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
struct Sizes {
    records: u64,
    value_bytes: usize,
    threads: u64,
    ops: u64,
    rounds: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cmd {
    Get,
    Put,
    Operate,
}

const CMDS: [Cmd; 3] = [Cmd::Get, Cmd::Put, Cmd::Operate];

/// Latencies (ns) and busy wall time of one side for one command, over all rounds.
#[derive(Default)]
struct Measure {
    lat_ns: Vec<u64>,
    wall: Duration,
}

impl Measure {
    fn ops_per_s(&self) -> f64 {
        self.lat_ns.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    fn pct_us(&mut self, p: f64) -> f64 {
        self.lat_ns.sort_unstable();
        let i = ((self.lat_ns.len() as f64 - 1.0) * p).round() as usize;
        self.lat_ns.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// xorshift64*: the key sequence of thread `t` in round `r`, identical on both sides.
fn keys(s: Sizes, t: u64, r: u64) -> impl Iterator<Item = u64> {
    let mut x = (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (r + 1) | 1;
    (0..s.ops).map(move |_| {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % s.records
    })
}

fn value(s: Sizes) -> Vec<u8> {
    (0..s.value_bytes).map(|i| (i * 31) as u8).collect()
}

fn embedded_round(db: &aerolite::Database, s: Sizes, cmd: Cmd, r: u64) -> (Vec<u64>, Duration) {
    use aerolite::{as_bin, operations, Bins, Key, ReadPolicy, WritePolicy};
    let (w, rp, v) = (WritePolicy::default(), ReadPolicy::default(), value(s));
    let start = Instant::now();
    let lat = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..s.threads)
            .map(|t| {
                let (w, rp, v) = (&w, &rp, &v);
                sc.spawn(move || {
                    let mut lat = Vec::with_capacity(s.ops as usize);
                    for i in keys(s, t, r) {
                        let key = Key::new("test", "bench", i as i64).expect("key");
                        let t0 = Instant::now();
                        let ok = match cmd {
                            Cmd::Get => db.get(rp, &key, Bins::All).is_ok(),
                            Cmd::Put => db.put(w, &key, &[as_bin!("v", v.clone())]).is_ok(),
                            Cmd::Operate => {
                                let ops =
                                    [operations::add(&as_bin!("n", 1)), operations::get_bin("n")];
                                db.operate(w, &key, &ops).is_ok()
                            }
                        };
                        assert!(ok, "embedded {cmd:?} failed");
                        lat.push(t0.elapsed().as_nanos() as u64);
                    }
                    lat
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("bench thread"))
            .collect()
    });
    (lat, start.elapsed())
}

async fn client_task(c: Arc<Client>, s: Sizes, cmd: Cmd, t: u64, r: u64) -> Vec<u64> {
    use aerospike::{as_bin, operations, Bins, Key, ReadPolicy, WritePolicy};
    let (w, rp, v) = (WritePolicy::default(), ReadPolicy::default(), value(s));
    let mut lat = Vec::with_capacity(s.ops as usize);
    for i in keys(s, t, r) {
        let key = Key::new("test", "bench", aerospike::Value::from(i as i64)).expect("key");
        let t0 = Instant::now();
        let ok = match cmd {
            Cmd::Get => c.get(&rp, &key, Bins::All).await.is_ok(),
            Cmd::Put => c.put(&w, &key, &[as_bin!("v", v.clone())]).await.is_ok(),
            Cmd::Operate => {
                let ops = [operations::add(&as_bin!("n", 1)), operations::get_bin("n")];
                c.operate(&w, &key, &ops).await.is_ok()
            }
        };
        assert!(ok, "client {cmd:?} failed");
        lat.push(t0.elapsed().as_nanos() as u64);
    }
    lat
}

fn client_round(
    rt: &tokio::runtime::Runtime,
    c: &Arc<Client>,
    s: Sizes,
    cmd: Cmd,
    r: u64,
) -> (Vec<u64>, Duration) {
    let start = Instant::now();
    let lat = rt.block_on(async {
        let hs: Vec<_> = (0..s.threads)
            .map(|t| tokio::spawn(client_task(c.clone(), s, cmd, t, r)))
            .collect();
        let mut all = Vec::new();
        for h in hs {
            all.extend(h.await.expect("client task"));
        }
        all
    });
    (lat, start.elapsed())
}

fn load(db: &aerolite::Database, s: Sizes) {
    use aerolite::{as_bin, Key, WritePolicy};
    let v = value(s);
    for i in 0..s.records {
        let key = Key::new("test", "bench", i as i64).expect("key");
        db.put(
            &WritePolicy::default(),
            &key,
            &[as_bin!("v", v.clone()), as_bin!("n", 0)],
        )
        .expect("load");
    }
}

/// The same records on the server, through the client.
async fn load_through(c: &Client, s: Sizes) {
    use aerospike::{as_bin, Key, WritePolicy};
    let v = value(s);
    for i in 0..s.records {
        let key = Key::new("test", "bench", aerospike::Value::from(i as i64)).expect("key");
        c.put(
            &WritePolicy::default(),
            &key,
            &[as_bin!("v", v.clone()), as_bin!("n", 0)],
        )
        .await
        .expect("load through the client");
    }
}

fn config() -> aerolite::DatabaseConfig {
    aerolite::DatabaseConfig::with_namespaces(vec![aerolite::NamespaceConfig::new("test")])
}

fn sizes() -> Sizes {
    let a: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let at = |i: usize, d: u64| a.get(i).copied().unwrap_or(d).max(1);
    Sizes {
        records: at(0, 10_000),
        value_bytes: at(1, 100) as usize,
        threads: at(2, 4),
        ops: at(3, 5_000),
        rounds: at(4, 3),
    }
}

fn main() {
    let s = sizes();
    let embedded = aerolite::Database::open(config()).expect("embedded database");
    load(&embedded, s);
    let server = aerolite::server::Server::start(config(), "127.0.0.1", 0).expect("server");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(s.threads as usize)
        .enable_all()
        .build()
        .expect("tokio");
    let host = server.local_addr().to_string();
    let client = Arc::new(
        rt.block_on(Client::new(&ClientPolicy::default(), &host))
            .expect("client connects"),
    );
    rt.block_on(load_through(&client, s));
    let mut m: Vec<(Measure, Measure)> = CMDS.iter().map(|_| Default::default()).collect();
    for r in 0..s.rounds {
        for (ci, cmd) in CMDS.iter().enumerate() {
            let (lat, wall) = embedded_round(&embedded, s, *cmd, r);
            m[ci].0.lat_ns.extend(lat);
            m[ci].0.wall += wall;
            let (lat, wall) = client_round(&rt, &client, s, *cmd, r);
            m[ci].1.lat_ns.extend(lat);
            m[ci].1.wall += wall;
        }
    }
    print_table(s, &mut m);
    drop(client);
    let _ = server.shutdown();
}

fn print_table(s: Sizes, m: &mut [(Measure, Measure)]) {
    println!(
        "{} records, {} B values, {} threads, {} ops/thread/round x {} rounds, in-memory namespace",
        s.records, s.value_bytes, s.threads, s.ops, s.rounds
    );
    println!("| command | embedded ops/s | p50 µs | p99 µs | client ops/s | p50 µs | p99 µs | embedded / client |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (ci, cmd) in CMDS.iter().enumerate() {
        let (e, c) = &mut m[ci];
        println!(
            "| {:?} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.1}x |",
            cmd,
            e.ops_per_s(),
            e.pct_us(0.5),
            e.pct_us(0.99),
            c.ops_per_s(),
            c.pct_us(0.5),
            c.pct_us(0.99),
            e.ops_per_s() / c.ops_per_s().max(1e-9)
        );
    }
}
