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

/// Open on a counting memory device with no post-write cache (every read goes to the device),
/// write record 0 and records `1 .. 120` (~1 KiB each) with `small` more records of 100-byte
/// values among the first block's, overwrite every big one, and run one defrag step on the first
/// block: (blocks, images moved, bytes read from the device by the step, reads the step made
/// through the page cache). The store reads through the page cache (`read_page_cache`, the
/// default). Checks that every record reads back, also after a cold start.
fn defrag_first_block(small: i64) -> (u64, u64, u64, u64) {
    let dev = TapDevice::new(4);
    let cfg = || uncached(&dev);
    let clock = ManualClock::at_2026();
    let db = open_on(cfg(), &clock).expect("open");
    let is_small = |i: i64| i <= small;
    for i in 0..120 {
        let pad = if is_small(i) { 100 } else { 1000 };
        db.put(&wp(false), &key(i), &bins(i, pad)).expect("load");
    }
    flush(&db);
    for i in (0..120).filter(|&i| !is_small(i)) {
        db.put(&wp(false), &key(i), &bins(i + 1000, 1000))
            .expect("overwrite");
    }
    flush(&db);
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    let (before, cached_before) = (dev.bytes_read(), dev.cached_reads());
    let moved = ns.defrag_step(1).expect("defrag");
    let read = dev.bytes_read() - before;
    let cached = dev.cached_reads() - cached_before;
    flush(&db);
    let want = |i: i64| if is_small(i) { i } else { i + 1000 };
    for i in 0..120 {
        assert_eq!(read_back(&db, i), Some(want(i)), "record {i}");
    }
    db.abandon();
    let db = open_on(cfg(), &clock).expect("cold start");
    for i in 0..120 {
        assert_eq!(
            read_back(&db, i),
            Some(want(i)),
            "record {i} after a cold start"
        );
    }
    (moved.blocks, moved.moved, read, cached)
}

/// A sparse block (live bytes ≤ 1/8 of it, in few images) has only its live images read, found
/// through the index, not the whole block; they move, and a cold start finds them.
#[test]
fn a_sparse_block_reads_only_its_live_images() {
    let (blocks, moved, read, _) = defrag_first_block(0);
    assert_eq!((blocks, moved), (1, 1), "record 0 moved");
    assert!(
        read <= 8 << 10,
        "{read} bytes read to move one small image (a whole block is {BLOCK} bytes)"
    );
}

/// A block with little live data in many images (reading them one by one would cost more than
/// half a block in read units) is read whole, as before.
#[test]
fn a_block_of_many_small_live_images_is_read_whole() {
    let (blocks, moved, read, _) = defrag_first_block(12);
    assert_eq!((blocks, moved), (1, 13), "records 0 … 12 moved");
    assert!(
        read >= u64::from(BLOCK),
        "{read} bytes read: the whole block"
    );
}

/// Defrag reads the live images of a sparse block from the device directly, in one batch, even
/// when client reads go through the page cache: each image is read once, and through the page
/// cache every one would be a synchronous 4 KiB page fault on the maintenance thread, queued on
/// the device beside the group commit's writes and syncs (BENCHMARKS.md "Session 21").
#[test]
fn defrag_reads_bypass_the_page_cache() {
    for small in [0, 3] {
        let (blocks, moved, read, cached) = defrag_first_block(small);
        assert_eq!(blocks, 1, "one block emptied");
        assert_eq!(moved, small as u64 + 1, "records 0 … {small} moved");
        assert!(read > 0, "the live images were read from the device");
        assert_eq!(cached, 0, "no page-cache read ({small} small records)");
    }
}

/// Defrag finds the live images of sparse blocks with one pass over the index for many blocks:
/// the pass made for the first block also finds those of the sparse blocks queued behind it,
/// whose turns then need none (at 1M records a pass takes about 10 ms; BENCHMARKS.md "Session
/// 22"). Records overwritten between the pass and their block's turn keep their new values, and
/// every record reads back, also after a cold start.
#[test]
fn one_index_pass_serves_the_sparse_blocks_queued_next() {
    let dev = TapDevice::new(4);
    let cfg = || uncached(&dev);
    let clock = ManualClock::at_2026();
    let db = open_on(cfg(), &clock).expect("open");
    let kept = |i: i64| i % 40 == 0;
    for i in 0..400 {
        db.put(&wp(false), &key(i), &bins(i, 1000)).expect("load");
    }
    flush(&db);
    let mut want: Vec<i64> = (0..400).collect();
    for i in (0..400).filter(|&i| !kept(i)) {
        want[i as usize] = i + 1000;
        db.put(&wp(false), &key(i), &bins(want[i as usize], 1000))
            .expect("overwrite");
    }
    flush(&db);
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    let passes = || ns.defrag_live.lock().expect("not poisoned").passes();
    let (mut blocks, mut moved, mut n) = (0, 0, 0u32);
    loop {
        let s = ns.defrag_step(1).expect("defrag");
        if s.blocks == 0 {
            break;
        }
        (blocks, moved, n) = (blocks + s.blocks, moved + s.moved, n + 1);
        if n == 1 {
            // Overwritten after the pass, before its block's turn: the kept list is stale.
            want[120] = 7_000;
            db.put(&wp(false), &key(120), &bins(7_000, 1000))
                .expect("overwrite");
        }
        flush(&db);
    }
    assert!(
        blocks >= 3,
        "the first blocks were sparse and emptied: {blocks}"
    );
    assert!(
        moved >= 9,
        "at least the kept records but the one overwritten moved: {moved}"
    );
    assert_eq!(
        passes(),
        1,
        "one pass over the index for all {blocks} blocks"
    );
    for i in 0..400 {
        assert_eq!(read_back(&db, i), Some(want[i as usize]), "record {i}");
    }
    db.abandon();
    let db = open_on(cfg(), &clock).expect("cold start");
    for i in 0..400 {
        assert_eq!(
            read_back(&db, i),
            Some(want[i as usize]),
            "record {i} after a cold start"
        );
    }
}

/// A store on `dev` with no post-write cache: every read goes to the device.
fn uncached(dev: &Arc<TapDevice>) -> aerolite::DeviceConfig {
    let mut c = device_config(vec![dev.clone() as Arc<dyn Device>], None);
    c.post_write_cache = 0;
    c
}

fn read_back(db: &Database, i: i64) -> Option<i64> {
    read(db, &key(i)).map(|r| r.0)
}
