//! Crash safety (b): a child process writes in commit-to-device mode and logs each
//! acknowledgement; the parent kills it with SIGKILL at a pseudo-random moment, reopens the
//! store and checks every acknowledged write is present (DUR-DEVICE) and nothing served is
//! corrupt. 50 rounds by default; `AEROLITE_KILL9_ROUNDS=N` for more.
//!
//! The child is this test binary re-run with `AEROLITE_KILL9_CHILD` set (see `child_writer`).

mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::{Database, DatabaseConfig, NamespaceConfig, StorageConfig};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use storage_support::{bins, key, read, wp, BLOCK};

const KEYS: i64 = 64;

fn config(dir: &Path) -> DatabaseConfig {
    let mut d = DeviceConfig::new(dir.join("kill9.dev"))
        .block_size(BLOCK)
        .file_size(32 << 20)
        .commit_to_device(true);
    d.defrag_reserve_blocks = 4;
    DatabaseConfig::with_namespaces(vec![
        NamespaceConfig::new("test").storage(StorageConfig::Device(d))
    ])
}

/// Child mode: write values `start, start+1, …` to key `v % KEYS`, printing `v` after each ack.
#[test]
fn child_writer() {
    let Ok(dir) = std::env::var("AEROLITE_KILL9_CHILD") else {
        return;
    };
    let start: i64 = std::env::var("AEROLITE_KILL9_START")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let db = Database::open(config(Path::new(&dir))).expect("child open");
    let mut out = std::io::stdout().lock();
    for v in start.. {
        db.put(&wp(false), &key(v % KEYS), &bins(v, 900))
            .expect("child write");
        writeln!(out, "{v}").expect("log ack");
        out.flush().expect("flush ack log");
    }
}

fn lcg(x: &mut u64) -> u64 {
    *x = x
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *x >> 33
}

/// DUR-DEVICE across SIGKILL.
#[test]
fn dur_device_kill9_rounds() {
    if std::env::var("AEROLITE_KILL9_CHILD").is_ok() {
        return;
    }
    let rounds: u64 = std::env::var("AEROLITE_KILL9_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let dir = storage_support::tmp();
    let exe = std::env::current_exe().expect("test binary path");
    let mut acked = vec![-1i64; KEYS as usize];
    let mut next = 0i64;
    let mut seed = 0x5eed_u64;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
            .env("AEROLITE_KILL9_CHILD", dir.path())
            .env("AEROLITE_KILL9_START", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let want = 1 + lcg(&mut seed) % 40;
        let mut got = 0;
        let mut last_written = next;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(v) = line.trim().parse::<i64>() else {
                continue; // libtest's own output
            };
            acked[(v % KEYS) as usize] = v;
            last_written = v + 1;
            got += 1;
            if got >= want {
                break;
            }
        }
        if lcg(&mut seed).is_multiple_of(2) {
            std::thread::sleep(std::time::Duration::from_micros(lcg(&mut seed) % 3000));
        }
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        assert!(got > 0, "round {round}: the child acknowledged nothing");
        // The child may have written more than it logged; values never repeat.
        next = last_written + 1000;
        let db = Database::open(config(dir.path())).expect("reopen after SIGKILL");
        for k in 0..KEYS {
            let a = acked[k as usize];
            match read(&db, &key(k)) {
                Some((v, _)) => assert!(
                    v >= a && v % KEYS == k,
                    "round {round} key {k}: value {v} older than acknowledged {a}"
                ),
                None => assert_eq!(a, -1, "round {round} key {k}: acknowledged {a} lost"),
            }
        }
        // Adopt what is there as the new baseline (unacked writes may have survived).
        for k in 0..KEYS {
            if let Some((v, _)) = read(&db, &key(k)) {
                acked[k as usize] = v;
            }
        }
        if round % 3 == 0 {
            db.shutdown()
                .expect("clean shutdown: the next child fast-restarts");
        } else {
            db.abandon();
        }
    }
}
