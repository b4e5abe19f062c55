//! Reads that skip the record lock (record-model.md §7.2 served optimistically, read.rs) never
//! answer a torn, foreign or stale-after-ack record, whatever overwrites, deletes, flushes and
//! defrag moves (blocks freed and reused under the reader) run at the same time — through `get`
//! and through `get_with` (the record looked at in place), alternately.
//!
//! How: a device file with 64 KiB blocks and a 4-block post-write cache, so reads come from the
//! open buffer, the flush queue, the cache and the page cache, and defrag frees and reuses blocks
//! continuously. Two writers own disjoint keys and number their operations per key (a put of
//! version `n`, or a delete when `n % DELETE_EVERY == 0`); each publishes `started[k] = n` before
//! the operation and `acked[k] = n` after it returns. Two readers check every answer against
//! those: a found record's bins are whole (every pad byte is its version's), its version lies in
//! `[acked before the read, started after the read]` and is never below what the same reader saw
//! before; a not-found answer needs a delete numbered in that range. One thread flushes and
//! defragments. Any ServerError (a reused block read without falling back) fails the test.

mod storage_support;

use aerolite::{Bins, Database, ReadPolicy, ResultCode, Value};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_support::*;

const KEYS: usize = 48;
const WRITERS: usize = 2;
const READERS: usize = 2;
const PAD: usize = 700;
const DELETE_EVERY: i64 = 9;
const RUN: Duration = Duration::from_millis(2500);

struct Shared {
    db: Database,
    started: Vec<AtomicI64>,
    acked: Vec<AtomicI64>,
    stop: AtomicBool,
}

fn retry_overload<T>(mut op: impl FnMut() -> aerolite::Result<T>) -> T {
    for _ in 0..20_000 {
        match op() {
            Ok(t) => return t,
            Err(e) if e.code() == ResultCode::DeviceOverload => {
                std::thread::sleep(Duration::from_micros(200))
            }
            Err(e) => panic!("write failed: {e}"),
        }
    }
    panic!("device overloaded for 4 s");
}

fn writer(s: &Shared, w: usize) {
    let mut n = 0i64;
    while !s.stop.load(Ordering::Relaxed) {
        n += 1;
        for k in (w..KEYS).step_by(WRITERS) {
            s.started[k].store(n, Ordering::SeqCst);
            if n % DELETE_EVERY == 0 {
                let policy = wp(k % 2 == 0);
                match s.db.delete(&policy, &key(k as i64)) {
                    Ok(_) => {}
                    Err(e) if e.code() == ResultCode::KeyNotFoundError => {}
                    Err(e) => panic!("delete failed: {e}"),
                }
            } else {
                retry_overload(|| s.db.put(&wp(false), &key(k as i64), &bins(n, PAD)));
            }
            s.acked[k].store(n, Ordering::SeqCst);
        }
    }
}

/// Whether some delete is numbered in `[lo, hi]`.
fn delete_in(lo: i64, hi: i64) -> bool {
    (lo.max(1)..=hi).any(|n| n % DELETE_EVERY == 0)
}

fn reader(s: &Shared, r: usize) -> u64 {
    let mut seen = vec![0i64; KEYS];
    let mut reads = 0u64;
    let mut i = r;
    while !s.stop.load(Ordering::Relaxed) {
        i = (i * 7 + 3) % KEYS;
        let lo = s.acked[i].load(Ordering::SeqCst);
        // Every other read looks at the record in place (get_with), the same lock-free path.
        let got = if reads.is_multiple_of(2) {
            s.db.get(&ReadPolicy::default(), &key(i as i64), Bins::All)
        } else {
            s.db.get_with(&ReadPolicy::default(), &key(i as i64), |r| r.to_record())
                .and_then(|r| r)
        };
        let hi = s.started[i].load(Ordering::SeqCst);
        reads += 1;
        match got {
            Ok(rec) => {
                let v = int_bin(&rec);
                assert!(
                    (lo..=hi).contains(&v) && v >= seen[i],
                    "key {i}: read version {v}, acked {lo}, started {hi}, seen {}",
                    seen[i]
                );
                match rec.bin("p") {
                    Some(Value::Blob(b)) => assert!(
                        b.len() == PAD && b.iter().all(|x| *x == (v & 0xff) as u8),
                        "key {i}: torn pad for version {v}"
                    ),
                    other => panic!("key {i}: pad bin is {other:?}"),
                }
                seen[i] = v;
            }
            Err(e) if e.code() == ResultCode::KeyNotFoundError => {
                assert!(
                    lo == 0 || delete_in(lo.max(seen[i]), hi),
                    "key {i}: not found, acked {lo}, started {hi}, seen {}",
                    seen[i]
                );
            }
            Err(e) => panic!("key {i}: read failed: {e}"),
        }
    }
    reads
}

fn maintain(s: &Shared) -> u64 {
    let ns = aerolite::testing::namespace(&s.db, "test").expect("namespace");
    let mut moved = 0u64;
    while !s.stop.load(Ordering::Relaxed) {
        ns.flush_step(true).expect("flush");
        moved += ns.defrag_step(4).expect("defrag").blocks as u64;
        std::thread::yield_now();
    }
    moved
}

#[test]
fn lock_free_reads_are_whole_and_never_stale_under_moves() {
    let dir = tmp();
    let clock = aerolite::ManualClock::at_2026();
    let mut cfg = file_config(dir.path());
    cfg.file_size_bytes = 4 << 20;
    cfg.defrag_lwm_pct = 60;
    let s = Arc::new(Shared {
        db: open_on(cfg, &clock).expect("open"),
        started: (0..KEYS).map(|_| AtomicI64::new(0)).collect(),
        acked: (0..KEYS).map(|_| AtomicI64::new(0)).collect(),
        stop: AtomicBool::new(false),
    });
    let spawn = |f: fn(&Shared, usize) -> u64, i: usize| {
        let s = s.clone();
        std::thread::spawn(move || f(&s, i))
    };
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        writers.push(spawn(
            |s, w| {
                writer(s, w);
                0
            },
            w,
        ));
    }
    let readers: Vec<_> = (0..READERS).map(|r| spawn(reader, r)).collect();
    let defrag = spawn(|s, _| maintain(s), 0);
    let t0 = Instant::now();
    while t0.elapsed() < RUN && !writers.iter().chain(&readers).any(|h| h.is_finished()) {
        std::thread::sleep(Duration::from_millis(20));
    }
    s.stop.store(true, Ordering::Relaxed);
    for h in writers {
        h.join().expect("writer");
    }
    let reads: u64 = readers.into_iter().map(|h| h.join().expect("reader")).sum();
    let moved = defrag.join().expect("maintenance");
    assert!(reads > 1000, "readers ran ({reads} reads)");
    assert!(moved > 0, "defrag moved blocks under the readers");
}
