//! Stale block incarnations (RS-STALE-REUSED, SN-REQ-SEQ): once a freed block's next incarnation
//! reached the device, the images of its previous life never reappear, even those beyond the new
//! write frontier that are still physically present; and the block sequence never goes back
//! across restarts.

mod storage_support;

use aerolite::storage::device::Device;
use aerolite::ManualClock;
use std::sync::Arc;
use storage_support::*;

#[test]
fn rs_stale_reused_old_incarnation_never_reappears() {
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let cfg = || device_config(vec![mem.clone() as Arc<dyn Device>], None).commit_to_device(true);
    let db = open_on(cfg(), &clock).expect("open");
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    // Fill block 0 (about 40 records of 1.5 KiB), then spill into block 1.
    let block_of = |i: i64| ns.index.get(&key(i).digest).map(|e| e.location.block);
    let mut n = 0;
    loop {
        db.put(&wp(false), &key(n), &bins(n, 1500)).expect("put");
        n += 1;
        if block_of(n - 1) != Some(0) {
            break;
        }
    }
    let in_block0: Vec<i64> = (0..n).filter(|i| block_of(*i) == Some(0)).collect();
    assert!(in_block0.len() > 20);
    // Non-durable deletes empty block 0: it is freed without anything being written.
    for i in &in_block0 {
        assert!(db.delete(&wp(false), &key(*i)).expect("delete"));
    }
    // Fill block 1 so the next block opened is the lowest free one: block 0, reborn.
    let mut m = 10_000;
    loop {
        db.put(&wp(false), &key(m), &bins(m, 1500)).expect("put");
        m += 1;
        if block_of(m - 1) == Some(0) {
            break;
        }
    }
    let reborn = key(m - 1);
    drop(ns);
    db.abandon();
    let db = open_on(cfg(), &clock).expect("cold start");
    let s = db.stats();
    assert!(
        s.scan_stale > 0,
        "old images past the new frontier are seen and rejected"
    );
    for i in &in_block0 {
        assert_eq!(
            read(&db, &key(*i)),
            None,
            "record {i} of the previous incarnation"
        );
    }
    assert!(
        read(&db, &reborn).is_some(),
        "the new incarnation's image is indexed"
    );
    // SN-REQ-SEQ: sequences continue above the highest seen; a new write lands and survives.
    db.put(&wp(false), &key(1), &bins(1, 10))
        .expect("put after restart");
    db.abandon();
    let db = open_on(cfg(), &clock).expect("cold start again");
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}
