//! Tombstone reclamation (RS-TOMB-RECLAIM): a tombstone is dropped only once older than
//! `tombstone_eligible_age` and when no other image of its record is readable by a cold-start
//! scan (freed-but-not-rewritten blocks included); afterwards the record is missing and stays
//! missing across a cold start.

mod storage_support;

use aerolite::engine::tombstones::TombReclaimer;
use aerolite::{Database, ManualClock};
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
            ns.storage.flush_step(true).expect("flush");
            while ns.defrag_step(8).expect("defrag").blocks > 0 {}
        }
    }
    ns.storage.flush_step(true).expect("flush");
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
