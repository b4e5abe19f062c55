//! A failed device write or sync (issue 11, points 3 and 5), on a memory device behind the
//! fault-injecting wrapper (`storage::device::faulty`), which keeps the bytes of a failed write
//! or sync in its overlay — as an OS may still write them back — so a reopen shows what the
//! device could hold after a restart.
//!
//! - In doubt: once a write's image was handed to the device, a failure of that write or of a
//!   later sync cannot mean "not applied": the write returns ServerError 1 *in doubt*, and after
//!   a restart the new value may well be stored. A write refused before its image left memory
//!   (the store had already failed) is definitive.
//! - Durable data stays served: a record that defrag had just copied (the copy not yet durable)
//!   stays readable and deletable through its durable original after the store failed
//!   (SN-REQ-DEFRAG-INVARIANT keeps the original's block), and a restart serves it too.

mod storage_support;

use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::Device;
use aerolite::{Bins, Database, ManualClock, ReadPolicy, ResultCode, Value, WritePolicy};
use std::sync::Arc;
use storage_support::*;

/// A commit-to-device store on a fault-injecting memory device.
fn open_faulty(clock: &ManualClock) -> (Arc<FaultyDevice>, Database) {
    let faulty = Arc::new(FaultyDevice::new(mem_device(2), FaultPlan::default()));
    let dev: Arc<dyn Device> = faulty.clone();
    let db = open_on(device_config(vec![dev], None).commit_to_device(true), clock)
        .expect("open on a fresh device");
    (faulty, db)
}

/// Fail the `extra`-th I/O from now.
fn fail_in(faulty: &FaultyDevice, extra: u64) {
    faulty.set_plan(FaultPlan {
        fail_io: Some(faulty.ios() + extra),
        ..FaultPlan::default()
    });
}

/// Reopen the store on `faulty` with no faults planned (the restart after a failure).
fn reopen(faulty: &Arc<FaultyDevice>, clock: &ManualClock) -> Database {
    faulty.set_plan(FaultPlan::default());
    let dev: Arc<dyn Device> = faulty.clone();
    open_on(device_config(vec![dev], None).commit_to_device(true), clock).expect("reopen")
}

/// Issue 11 point 3 (ID-DEFINITIVE holds only while the image never left memory): put v=1
/// acknowledged; the next device write (+1) or fdatasync (+2) fails; put v=2 returns 1 in doubt,
/// and after a failed sync a restart indeed serves v=2. Failed before the fix with
/// `in_doubt = false`.
#[test]
fn failed_write_or_sync_after_handoff_is_in_doubt_and_may_be_stored() {
    for extra in 1..=2u64 {
        let clock = ManualClock::at_2026();
        let (faulty, db) = open_faulty(&clock);
        db.put(&wp(false), &key(1), &bins(1, 10)).expect("put 1");
        fail_in(&faulty, extra);
        let e = db
            .put(&wp(false), &key(1), &bins(2, 10))
            .expect_err("the device write or sync fails");
        assert_eq!(e.code(), ResultCode::ServerError, "I/O +{extra}: {e}");
        assert!(
            e.in_doubt(),
            "I/O +{extra}: the image was handed to the device: {e}"
        );
        drop(db);
        let db = reopen(&faulty, &clock);
        let got = db
            .get(&ReadPolicy::default(), &key(1), Bins::All)
            .expect("record 1 after the restart");
        // The wrapper drops a failed write but keeps the bytes a failed sync did not make
        // durable: there the write answered in doubt was applied after all.
        let want: &[i64] = if extra == 2 { &[2] } else { &[1, 2] };
        assert!(
            matches!(got.bin("v"), Some(Value::Int(v)) if want.contains(v)),
            "I/O +{extra}: {got:?}"
        );
    }
}

/// Issue 11 point 3, the definitive side: once the store failed, a write is refused before its
/// image is placed, so it is not in doubt (and never stored), nor is a durable delete.
#[test]
fn write_refused_by_a_failed_store_is_definitive() {
    let clock = ManualClock::at_2026();
    let (faulty, db) = open_faulty(&clock);
    db.put(&wp(false), &key(1), &bins(1, 10)).expect("put 1");
    fail_in(&faulty, 2);
    let e = db.put(&wp(false), &key(1), &bins(2, 10)).expect_err("sync");
    assert!(e.in_doubt(), "{e}");
    for e in [
        db.put(&wp(false), &key(2), &bins(3, 10))
            .expect_err("refused"),
        db.delete(&wp(true), &key(1)).expect_err("refused"),
    ] {
        assert!(matches!(e.code().code(), 1 | 8), "{e}");
        assert!(!e.in_doubt(), "refused before the image left memory: {e}");
    }
    drop(db);
    let db = reopen(&faulty, &clock);
    assert_eq!(
        read(&db, &key(2)),
        None,
        "a definitive failure left nothing"
    );
}

/// Records of early blocks, 3 in 4 overwritten so the blocks fall below the low-water mark;
/// everything flushed and durable. Returns the value each record holds.
fn load_for_defrag(db: &Database, n: i64) -> Vec<i64> {
    for i in 0..n {
        db.put(&wp(false), &key(i), &bins(i, 1000)).expect("load");
    }
    for i in (0..n).filter(|i| i % 4 != 0) {
        db.put(&wp(false), &key(i), &bins(i + 10_000, 1000))
            .expect("overwrite");
    }
    flush(db);
    (0..n)
        .map(|i| if i % 4 != 0 { i + 10_000 } else { i })
        .collect()
}

/// Issue 11 point 5: defrag copies live images into the write buffer, then the flush of those
/// copies fails. Every record must still read its value (the moved ones through their durable
/// originals: `get`, and `get_many` with and without the page cache) and delete, and a restart
/// must serve them. Failed before the fix: the moved records read "image not durable" until
/// reopen.
#[test]
fn failed_flush_of_defrag_copies_keeps_serving_the_durable_originals() {
    for page_cache in [true, false] {
        const N: i64 = 200;
        let clock = ManualClock::at_2026();
        let faulty = Arc::new(FaultyDevice::new(mem_device(4), FaultPlan::default()));
        let config = |faulty: &Arc<FaultyDevice>| {
            let dev: Arc<dyn Device> = faulty.clone();
            let mut c = device_config(vec![dev], None);
            c.read_page_cache = page_cache;
            c
        };
        let db = open_on(config(&faulty), &clock).expect("open");
        let want = load_for_defrag(&db, N);
        let moved = db.defrag_step("test", 64).expect("defrag");
        assert!(moved.moved > 0, "live images were moved");
        fail_in(&faulty, 1);
        assert!(db.flush().is_err(), "the copies' flush fails");
        for i in 0..N {
            assert_eq!(
                read(&db, &key(i)).map(|r| r.0),
                Some(want[i as usize]),
                "{i}"
            );
        }
        let keys: Vec<_> = (0..N).map(key).collect();
        for (i, r) in db
            .get_many(&ReadPolicy::default(), &keys, Bins::All)
            .iter()
            .enumerate()
        {
            let got = r.as_ref().map(int_bin).map_err(|e| e.to_string());
            assert_eq!(got, Ok(want[i]), "get_many {i}, page cache {page_cache}");
        }
        // A non-durable delete of a moved record works on a failed store (it writes nothing).
        let deleted = db.delete(&WritePolicy::default(), &key(0));
        assert_eq!(deleted.map_err(|e| e.to_string()), Ok(true));
        assert_eq!(read(&db, &key(0)), None, "deleted");
        drop(db);
        faulty.set_plan(FaultPlan::default());
        let db = open_on(config(&faulty), &clock).expect("reopen");
        for i in 1..N {
            assert_eq!(
                read(&db, &key(i)).map(|r| r.0),
                Some(want[i as usize]),
                "{i}"
            );
        }
    }
}

/// Issue 11 point 3 with the exactly-once pattern (record-model.md §22.2, seed 003): the first
/// submission's sync fails, so its 1 must be in doubt — then `operate_once` neither reports "not
/// applied" nor applies twice: it ends in doubt on the failed store, and after the restart (which
/// serves the applied write) the same transaction is found already applied. Failed before the
/// fix: the definitive 1 was returned as "not applied" although the write is stored.
#[test]
fn exactly_once_write_whose_sync_failed_ends_in_doubt_and_applies_once() {
    use aerolite::replication::{operate_once, OnceOutcome, OncePolicy};
    use aerolite::{as_bin, operations};
    let clock = ManualClock::at_2026();
    let (faulty, db) = open_faulty(&clock);
    db.put(&wp(false), &key(1), &[as_bin!("n", 0)])
        .expect("put");
    let policy = OncePolicy {
        max_submissions: 3,
        sleep_between_submissions: std::time::Duration::ZERO,
        ..OncePolicy::default()
    };
    let ops = [operations::add(&as_bin!("n", 1))];
    fail_in(&faulty, 2);
    let e = operate_once(&mut &db, &policy, &key(1), "t1", &ops).expect_err("sync fails");
    assert!(e.in_doubt(), "the first submission reached the device: {e}");
    drop(db);
    let db = reopen(&faulty, &clock);
    let again = operate_once(&mut &db, &policy, &key(1), "t1", &ops).expect("resolved");
    assert!(matches!(again, OnceOutcome::AlreadyApplied), "{again:?}");
    let got = db
        .get(&ReadPolicy::default(), &key(1), Bins::All)
        .expect("record 1");
    assert_eq!(got.bin("n"), Some(&Value::Int(1)), "applied exactly once");
}
