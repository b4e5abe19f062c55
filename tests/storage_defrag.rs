//! Defragmentation: blocks below the low-water mark have exactly their live images rewritten
//! (those the index points at), under record locks, and are freed once empty and the copies are
//! durable (SN-REQ-DEFRAG-INVARIANT); every record stays readable through it and after a crash
//! in the middle of it; write amplification under uniform overwrites at lwm 50 stays ≤ 2.0
//! (SN-REQ-DEFRAG-LWM).

mod storage_support;

use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::Device;
use aerolite::{Database, ManualClock};
use std::sync::Arc;
use storage_support::*;

const KEYS: i64 = 300;

/// A cheap deterministic generator (no extra crate).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn maintain(db: &Database) {
    let ns = aerolite::testing::namespace(db, "test").expect("namespace");
    ns.flush_step(true).expect("flush");
    while ns.defrag_step(8).expect("defrag").blocks > 0 {
        ns.flush_step(true).expect("flush");
    }
}

/// SN-REQ-DEFRAG-LWM: uniform random overwrites of 300 records × ~1.2 KiB on a 2 MiB store
/// (many device-fulls of writes) never run out of space, and device bytes / client bytes ≤ 2.0.
#[test]
fn uniform_overwrites_keep_write_amplification_at_most_2() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let mut cfg = file_config(dir.path());
    cfg.file_size_bytes = 2 << 20;
    cfg.defrag_lwm_pct = 50;
    let db = open_on(cfg, &clock).expect("open");
    let mut latest = vec![0i64; KEYS as usize];
    let mut rng = Lcg(7);
    for i in 0..KEYS {
        db.put(&wp(false), &key(i), &bins(i, 1200)).expect("load");
        latest[i as usize] = i;
    }
    for n in 0..6000i64 {
        let k = (rng.next() % KEYS as u64) as i64;
        let v = 1000 + n;
        db.put(&wp(false), &key(k), &bins(v, 1200))
            .unwrap_or_else(|e| panic!("overwrite {n}: {e}"));
        latest[k as usize] = v;
        if n % 50 == 0 {
            maintain(&db);
        }
    }
    maintain(&db);
    let s = db.stats();
    let wa = s.write_amplification();
    eprintln!(
        "write amplification {wa:.3} (client {} B, device {} B, defrag moved {} B)",
        s.client_bytes, s.bytes_written, s.defrag_bytes
    );
    assert!(s.defrag_bytes > 0, "defrag ran");
    let bound = aerolite::storage::defrag::write_amplification_bound(50);
    assert!(
        wa <= bound,
        "write amplification {wa:.3} above 1 / (1 − 0.5) = {bound}"
    );
    for i in 0..KEYS {
        assert_eq!(read(&db, &key(i)).map(|r| r.0), Some(latest[i as usize]));
    }
    // The moved images are found by a cold start too.
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    drop(ns);
    db.abandon();
    let mut cfg = file_config(dir.path());
    cfg.file_size_bytes = 2 << 20;
    let db = open_on(cfg, &clock).expect("cold start");
    for i in 0..KEYS {
        assert_eq!(
            read(&db, &key(i)).map(|r| r.0),
            Some(latest[i as usize]),
            "record {i}"
        );
    }
}

/// SN-REQ-DEFRAG-INVARIANT: a crash after defrag placed copies in the buffer but before they are
/// durable loses nothing: the source block was not freed, the old images still resolve.
#[test]
fn crash_between_copy_and_durable_copy_loses_nothing() {
    let mem = mem_device(4);
    let fault = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
    let clock = ManualClock::at_2026();
    let db = open_on(
        device_config(vec![fault.clone() as Arc<dyn Device>], None),
        &clock,
    )
    .expect("open");
    for i in 0..200 {
        db.put(&wp(false), &key(i), &bins(i, 1000)).expect("load");
    }
    // Kill most records of the early blocks so they fall below the low-water mark.
    for i in 0..200 {
        if i % 4 != 0 {
            db.put(&wp(false), &key(i), &bins(i + 10_000, 1000))
                .expect("overwrite");
        }
    }
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    ns.flush_step(true).expect("flush");
    let free_before = db.stats().free_blocks;
    // From now on nothing more becomes durable; defrag copies into the buffer.
    fault.set_plan(FaultPlan {
        durable_syncs: Some(fault.syncs()),
        ..FaultPlan::default()
    });
    let moved = ns.defrag_step(64).expect("defrag");
    assert!(moved.moved > 0, "live images were moved");
    // Not flushed yet: the sources must not be free.
    assert!(
        db.stats().free_blocks <= free_before,
        "no source block freed before its copies are durable"
    );
    fault.crash();
    drop(ns);
    db.abandon();
    let db = open_on(device_config(vec![mem as Arc<dyn Device>], None), &clock).expect("reopen");
    for i in 0..200 {
        let want = if i % 4 != 0 { i + 10_000 } else { i };
        assert_eq!(read(&db, &key(i)).map(|r| r.0), Some(want), "record {i}");
    }
}
