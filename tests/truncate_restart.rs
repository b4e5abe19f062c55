//! Truncate across restarts on the device store (docs/multi-record.md TRUNC-PERSIST-1): the
//! cut-off is in the device header (storage-format.md "Device header truncate table"), so
//! neither a fast restart from the index snapshot nor a cold start after a crash brings back a
//! truncated record, and records written after the truncate survive both.

mod storage_support;

use aerolite::{as_bin, Bins, Database, Key, ManualClock, ReadPolicy, ResultCode, WritePolicy};
use storage_support::{file_config, flush, open_on, tmp};

fn k(set: &str, i: i64) -> Key {
    Key::new("test", set, i).expect("key")
}

fn put(db: &Database, set: &str, i: i64, v: i64) {
    db.put(&WritePolicy::default(), &k(set, i), &[as_bin!("v", v)])
        .expect("put");
}

fn value(db: &Database, set: &str, i: i64) -> Option<(i64, u32)> {
    match db.get(&ReadPolicy::default(), &k(set, i), Bins::All) {
        Ok(r) => match r.bin("v") {
            Some(aerolite::Value::Int(v)) => Some((*v, r.generation)),
            other => panic!("bin v {other:?}"),
        },
        Err(e) if e.code() == ResultCode::KeyNotFoundError => None,
        Err(e) => panic!("get: {e}"),
    }
}

/// Before: keys 0..40 of "a" and "b" (twice: generation 2). Truncate "a". After: keys 20..30 of
/// "a" re-written (generation 1, value 1000 + i) and 100..110 new.
fn scenario(db: &Database, clock: &ManualClock) {
    for i in 0..40 {
        put(db, "a", i, i);
        put(db, "a", i, i);
        put(db, "b", i, i);
    }
    flush(db);
    clock.advance_ms(3);
    db.truncate("test", "a", 0).expect("truncate");
    for i in (20..30).chain(100..110) {
        put(db, "a", i, 1000 + i);
    }
    flush(db);
}

fn check(db: &Database, when: &str) {
    for i in 0..40 {
        let want = (20..30).contains(&i).then_some((1000 + i, 1));
        assert_eq!(value(db, "a", i), want, "{when}: a/{i}");
        assert_eq!(value(db, "b", i), Some((i, 1)), "{when}: b/{i}");
    }
    for i in 100..110 {
        assert_eq!(value(db, "a", i), Some((1000 + i, 1)), "{when}: a/{i}");
    }
}

/// TRUNC-PERSIST-1: clean shutdown + fast restart, then crash + cold start.
#[test]
fn trunc_persist_1_fast_restart_and_cold_start() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    scenario(&db, &clock);
    check(&db, "before restart");
    db.shutdown().expect("clean shutdown");
    let db = open_on(file_config(dir.path()), &clock).expect("reopen");
    assert!(db.stats().fast_restart, "expected a fast restart");
    check(&db, "after fast restart");
    db.abandon();
    let db = open_on(file_config(dir.path()), &clock).expect("cold start");
    assert!(!db.stats().fast_restart, "expected a cold start");
    check(&db, "after cold start");
}

/// TRUNC-PERSIST-1: a crash right after the truncate returned (nothing else flushed since).
#[test]
fn trunc_persist_1_crash_right_after_truncate() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..40 {
        put(&db, "a", i, i);
    }
    flush(&db);
    db.truncate("test", "", 0).expect("truncate");
    db.abandon();
    let db = open_on(file_config(dir.path()), &clock).expect("cold start");
    for i in 0..40 {
        assert_eq!(value(&db, "a", i), None, "a/{i} came back");
    }
    put(&db, "a", 1, 7);
    assert_eq!(value(&db, "a", 1), Some((7, 1)));
}
