//! Truncate under SIGKILL (docs/multi-record.md TRUNC-PERSIST-1): a child process in
//! commit-to-device mode writes set "s", truncates it, logs `T` once the truncate returned,
//! then keeps writing set "s" with values above 1_000_000 and logging each ack. The parent
//! kills it at a pseudo-random moment, reopens (alternately after a clean shutdown of the
//! previous check, so both fast restart and cold start are exercised) and checks: no record
//! written before an acknowledged truncate is back, and every acknowledged later write is there.
//! 10 rounds by default; `AEROLITE_KILL9_ROUNDS=N` for more.
//!
//! The child is this test binary re-run with `AEROLITE_TRUNC_CHILD` set (see `child_truncator`).

mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::{Database, DatabaseConfig, NamespaceConfig, StorageConfig};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use storage_support::{bins, key, read, wp, BLOCK};

const KEYS: i64 = 64;
const AFTER: i64 = 1_000_000;

fn config(dir: &Path) -> DatabaseConfig {
    let mut d = DeviceConfig::new(dir.join("trunc.dev"))
        .block_size(BLOCK)
        .file_size(32 << 20)
        .commit_to_device(true);
    d.defrag_reserve_blocks = 4;
    DatabaseConfig::with_namespaces(vec![
        NamespaceConfig::new("test").storage(StorageConfig::Device(d))
    ])
}

/// Child mode: load every key, truncate, then write `AFTER + v` to key `v % KEYS`, logging.
#[test]
fn child_truncator() {
    let Ok(dir) = std::env::var("AEROLITE_TRUNC_CHILD") else {
        return;
    };
    let db = Database::open(config(Path::new(&dir))).expect("child open");
    for k in 0..KEYS {
        db.put(&wp(false), &key(k), &bins(k, 200))
            .expect("child load");
    }
    // Commit-to-device: the loads are durable; the truncate must still win over them.
    db.truncate("test", "s", 0).expect("child truncate");
    let mut out = std::io::stdout().lock();
    // A newline first: libtest's "test child_truncator ... " line has none.
    writeln!(out, "\nT").expect("log truncate");
    out.flush().expect("flush log");
    for v in 0.. {
        db.put(&wp(false), &key(v % KEYS), &bins(AFTER + v, 200))
            .expect("child write");
        writeln!(out, "{v}").expect("log ack");
        out.flush().expect("flush log");
    }
}

fn lcg(x: &mut u64) -> u64 {
    *x = x
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *x >> 33
}

/// Run one child in a fresh directory; returns (truncate acknowledged, last acked v per key).
fn run_child(dir: &Path, seed: &mut u64) -> (bool, Vec<i64>) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(&exe)
        .args([
            "--exact",
            "child_truncator",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("AEROLITE_TRUNC_CHILD", dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let want = lcg(seed) % 80;
    let (mut truncated, mut acked, mut got) = (false, vec![-1i64; KEYS as usize], 0);
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if line.trim() == "T" {
            truncated = true;
        } else if let Ok(v) = line.trim().parse::<i64>() {
            acked[(v % KEYS) as usize] = v;
            got += 1;
        } else {
            continue; // libtest's own output
        }
        if truncated && got >= want {
            break;
        }
    }
    if lcg(seed).is_multiple_of(2) {
        std::thread::sleep(std::time::Duration::from_micros(lcg(seed) % 2000));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    (truncated, acked)
}

/// TRUNC-PERSIST-1 across SIGKILL, then across a clean restart of the recovered store.
#[test]
fn trunc_persist_1_kill9_rounds() {
    if std::env::var("AEROLITE_TRUNC_CHILD").is_ok() {
        return;
    }
    let rounds: u64 = std::env::var("AEROLITE_KILL9_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let mut seed = 0x7a11_u64;
    for round in 0..rounds {
        let dir = storage_support::tmp();
        let (truncated, acked) = run_child(dir.path(), &mut seed);
        assert!(truncated, "round {round}: the child never truncated");
        for restart in ["cold start", "fast restart"] {
            let db = Database::open(config(dir.path())).expect("reopen");
            assert_eq!(db.stats().fast_restart, restart == "fast restart");
            for k in 0..KEYS {
                let a = acked[k as usize];
                match read(&db, &key(k)) {
                    Some((v, _)) => assert!(
                        v >= AFTER && v - AFTER >= a && (v - AFTER) % KEYS == k,
                        "round {round} {restart} key {k}: value {v} (acknowledged {a})"
                    ),
                    None => assert_eq!(a, -1, "round {round} {restart} key {k}: ack {a} lost"),
                }
            }
            db.shutdown().expect("clean shutdown");
        }
    }
}
