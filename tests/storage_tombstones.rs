//! Tombstone reclamation (RS-TOMB-RECLAIM): a tombstone is dropped only once older than
//! `tombstone_eligible_age` and when no other image of its record is readable by a cold-start
//! scan (freed-but-not-rewritten blocks included); afterwards the record is missing and stays
//! missing across a cold start — also when the older image was still waiting in the write queue
//! of a device that writes slowly (a gated device whose writes stall until the test opens it).

mod storage_support;

use aerolite::engine::tombstones::TombReclaimer;
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{Database, DatabaseConfig, ManualClock, NamespaceConfig, ResultCode, StorageConfig};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use storage_support::*;

fn reclaim(db: &Database) -> u64 {
    let ns = aerolite::testing::namespace(db, "test").expect("namespace");
    let mut r = TombReclaimer::new();
    let mut dropped = 0;
    loop {
        let s = r.step(ns, 4).expect("reclaim step");
        dropped += s.dropped;
        if s.finished {
            return dropped;
        }
    }
}

fn churn_and_defrag(db: &Database, rounds: i64) {
    let ns = aerolite::testing::namespace(db, "test").expect("namespace");
    for n in 0..rounds {
        db.put(&wp(false), &key(1000 + n % 50), &bins(n, 1500))
            .expect("churn");
        if n % 20 == 0 {
            ns.flush_step(true).expect("flush");
            while ns.defrag_step(8).expect("defrag").blocks > 0 {}
        }
    }
    ns.flush_step(true).expect("flush");
}

/// RS-TOMB-RECLAIM: not before the eligible age; not while an older image is readable; dropped
/// once the older image's block was rewritten; no zombie after a cold start.
#[test]
fn rs_tomb_reclaim_waits_for_age_and_for_older_images_to_vanish() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let cfg = || {
        let mut c = file_config(dir.path()).commit_to_device(true);
        c.file_size_bytes = 1 << 20; // 15 blocks: churn rewrites every block quickly
        c.defrag_reserve_blocks = 2;
        c
    };
    let mut ns =
        aerolite::NamespaceConfig::new("test").storage(aerolite::StorageConfig::Device(cfg()));
    ns.tombstone_eligible_age_s = 3600;
    ns.stop_writes_avail_pct = 0;
    let db = open_ns(ns.clone(), &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 1500)).expect("put");
    assert!(db.delete(&wp(true), &key(1)).expect("durable delete"));
    assert_eq!(db.stats().tombstones, 1);
    assert_eq!(reclaim(&db), 0, "younger than the eligible age");
    clock.advance_s(7200);
    assert_eq!(
        reclaim(&db),
        0,
        "the live image's block still holds the older image of the record"
    );
    assert_eq!(db.stats().tombstones, 1);
    // Churn until every block was defragmented and rewritten at least once.
    churn_and_defrag(&db, 1500);
    assert_eq!(reclaim(&db), 1, "no older image readable any more");
    assert_eq!(db.stats().tombstones, 0);
    assert_eq!(read(&db, &key(1)), None);
    db.abandon();
    let db = open_ns(ns, &clock).expect("cold start");
    assert_eq!(read(&db, &key(1)), None, "RS-TOMB-RECLAIM: cannot reappear");
    assert_eq!(db.stats().tombstones, 0);
}

/// A memory device whose writes stall while its gate is closed (a slow device).
struct GatedDevice {
    inner: Arc<MemoryDevice>,
    closed: Mutex<bool>,
    opened: Condvar,
}

impl GatedDevice {
    fn set_closed(&self, closed: bool) {
        *self.closed.lock().expect("gate") = closed;
        self.opened.notify_all();
    }

    /// Close the gate until the returned guard is dropped (also when an assertion fails, so the
    /// database's threads can stop).
    fn close(&self) -> GateClosed<'_> {
        self.set_closed(true);
        GateClosed(self)
    }
}

struct GateClosed<'a>(&'a GatedDevice);

impl Drop for GateClosed<'_> {
    fn drop(&mut self) {
        self.0.set_closed(false);
    }
}

impl Device for GatedDevice {
    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> aerolite::Result<()> {
        let closed = self.closed.lock().expect("gate");
        drop(self.opened.wait_while(closed, |c| *c).expect("gate"));
        self.inner.write_at(offset, buf)
    }
    fn sync(&self) -> aerolite::Result<()> {
        self.inner.sync()
    }
    fn kind(&self) -> &'static str {
        "gated-memory"
    }
}

/// Put, retrying while the background flusher and defrag catch up (stop-writes, overload).
fn put_retrying(db: &Database, i: i64, v: i64) {
    for _ in 0..10_000 {
        match db.put(&wp(false), &key(i), &bins(v, 1500)) {
            Ok(_) => return,
            Err(e)
                if matches!(
                    e.code(),
                    ResultCode::ServerMemError | ResultCode::DeviceOverload
                ) =>
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(e) => panic!("put {i}: {e}"),
        }
    }
    panic!("put {i}: the store never caught up");
}

/// RS-TOMB-RECLAIM, SN-REQ-TOMB-RECLAIM: an older image still in the write queue (buffered
/// writes, device writes stalled) keeps its tombstone, however old; once it reaches the device
/// the pass reads it there. Churn then rewrites every other block and a cold start still finds
/// the record deleted. Before the fix the pass, reading only the device, dropped the tombstone,
/// its block was reused, and the cold start brought the record back.
#[test]
fn rs_tomb_reclaim_sees_older_images_waiting_in_the_write_queue() {
    let mem = mem_device(1);
    let gate = Arc::new(GatedDevice {
        inner: mem.clone(),
        closed: Mutex::new(false),
        opened: Condvar::new(),
    });
    let clock = ManualClock::at_2026();
    let ns = |dev: Arc<dyn Device>| {
        let mut d = device_config(vec![dev], None);
        d.defrag_reserve_blocks = 2;
        d.tomb_reclaim_period_s = 0; // the test runs the passes
        let mut ns = NamespaceConfig::new("test").storage(StorageConfig::Device(d));
        ns.tombstone_eligible_age_s = 60;
        ns.stop_writes_avail_pct = 0;
        ns
    };
    let db = Database::open(
        DatabaseConfig::with_namespaces(vec![ns(gate.clone())])
            .clock(Arc::new(clock.clone()))
            .background_threads(true),
    )
    .expect("open");
    let closed = gate.close();
    // The record's image, then fillers to seal its block: those that share it are never
    // rewritten (the block and its older image stay); the durable delete's tombstone lands in a
    // later block, whose fillers are rewritten below (so that block can be freed and reused).
    db.put(&wp(false), &key(1), &bins(1, 1500)).expect("put");
    let block_a = entry(&db, 1).location.block;
    for i in 0..60 {
        db.put(&wp(false), &key(100 + i), &bins(i, 1500))
            .expect("filler");
    }
    let (kept, moved): (Vec<i64>, Vec<i64>) =
        (100..160).partition(|&k| entry(&db, k).location.block == block_a);
    assert!(!moved.is_empty(), "the record's block is sealed");
    assert!(db.delete(&wp(true), &key(1)).expect("durable delete"));
    assert_ne!(entry(&db, 1).location.block, block_a);
    clock.advance_s(3600);
    assert_eq!(
        reclaim(&db),
        0,
        "the older image is still in the write queue"
    );
    drop(closed);
    flush(&db);
    assert_eq!(reclaim(&db), 0, "the older image is on the device now");
    for &k in &moved {
        put_retrying(&db, k, k);
    }
    for n in 0..1500 {
        put_retrying(&db, 1000 + n % 50, n);
    }
    flush(&db);
    assert_eq!(read(&db, &key(1)), None);
    db.abandon();
    let db = open_ns(ns(mem), &clock).expect("cold start");
    assert_eq!(read(&db, &key(1)), None, "RS-TOMB-RECLAIM: cannot reappear");
    for k in kept {
        assert_eq!(read(&db, &key(k)), Some((k - 100, 1)), "filler {k}");
    }
}
