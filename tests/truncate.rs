//! Truncate (docs/multi-record.md TRUNC-*): a set's (or the namespace's) records last updated
//! before the cut-off disappear at once for reads, writes, deletes and scans; a write after the
//! truncate creates a new record (generation 1) that survives, even in the same millisecond;
//! the sweeper reclaims the entries. Runs on the backend `AEROLITE_BACKEND` names.

mod common;

use aerolite::clock::CITRUSLEAF_EPOCH_UNIX_S;
use aerolite::{
    as_bin, Bins, Database, Key, PartitionFilter, QueryPolicy, ReadPolicy, ResultCode, Statement,
    WritePolicy,
};

fn k(set: &str, i: i64) -> Key {
    Key::new("test", set, i).expect("key")
}

fn put(db: &Database, set: &str, i: i64) -> u32 {
    db.put(&WritePolicy::default(), &k(set, i), &[as_bin!("v", i)])
        .expect("put")
        .generation
}

fn count(db: &Database, set: &str) -> usize {
    let rs = db
        .query(
            &QueryPolicy::default(),
            PartitionFilter::all(),
            Statement::new("test", set, Bins::All),
        )
        .expect("query");
    let mut n = 0;
    for r in rs {
        r.expect("record");
        n += 1;
    }
    n
}

fn missing(db: &Database, key: &Key) -> bool {
    match db.get(&ReadPolicy::default(), key, Bins::All) {
        Err(e) => e.code() == ResultCode::KeyNotFoundError,
        Ok(_) => false,
    }
}

/// TRUNC-VISIBLE-1, TRUNC-AFTER-1: a set truncate hides that set's records from get, exists,
/// delete, update-only writes and scans; other sets stay; a write after it (same millisecond:
/// the manual clock does not move) creates generation 1 and survives.
#[test]
fn trunc_visible_1_set_truncate_hides_records_at_once() {
    let t = common::open();
    let db = &t.db;
    for i in 0..50 {
        put(db, "a", i);
        put(db, "a", i);
        put(db, "b", i);
    }
    db.truncate("test", "a", 0).expect("truncate");
    assert!(missing(db, &k("a", 1)));
    assert!(!db
        .exists(&ReadPolicy::default(), &k("a", 2))
        .expect("exists"));
    assert!(!db
        .delete(&WritePolicy::default(), &k("a", 3))
        .expect("delete"));
    let update_only = WritePolicy {
        record_exists_action: aerolite::RecordExistsAction::UpdateOnly,
        ..WritePolicy::default()
    };
    let e = db
        .put(&update_only, &k("a", 4), &[as_bin!("v", 1)])
        .expect_err("update-only on a truncated record");
    assert_eq!(e.code(), ResultCode::KeyNotFoundError);
    assert_eq!(count(db, "a"), 0);
    assert_eq!(count(db, "b"), 50);
    assert_eq!(
        put(db, "a", 5),
        1,
        "a write after truncate creates generation 1"
    );
    assert_eq!(
        db.get(&ReadPolicy::default(), &k("a", 5), Bins::All)
            .expect("get")
            .generation,
        1
    );
    assert_eq!(count(db, "a"), 1);
}

/// TRUNC-CUT-1: the namespace truncate covers every set; durable-delete tombstones go too (a
/// re-create starts at generation 1).
#[test]
fn trunc_cut_1_namespace_truncate_covers_every_set_and_tombstones() {
    let t = common::open();
    let db = &t.db;
    for i in 0..20 {
        put(db, "a", i);
        put(db, "", i);
    }
    let durable = WritePolicy {
        durable_delete: true,
        ..WritePolicy::default()
    };
    put(db, "c", 1);
    put(db, "c", 1);
    db.delete(&durable, &k("c", 1)).expect("durable delete");
    db.truncate("test", "", 0).expect("truncate");
    assert_eq!(count(db, ""), 0);
    assert_eq!(put(db, "c", 1), 1, "the tombstone's generation is gone too");
}

/// TRUNC-CUT-1: an explicit cut-off keeps records updated at or after it; a cut-off in the
/// future or before 2010 → 4; an unknown namespace → 20.
#[test]
fn trunc_cut_1_explicit_cutoff_keeps_newer_records() {
    let t = common::open();
    let db = &t.db;
    for i in 0..10 {
        put(db, "a", i);
    }
    t.clock.advance_ms(5_000);
    let now_ms = aerolite::testing::namespace(db, "test")
        .expect("ns")
        .clock
        .now_ms();
    for i in 10..20 {
        put(db, "a", i);
    }
    let unix_ns = |ms: u64| (ms + CITRUSLEAF_EPOCH_UNIX_S * 1000) * 1_000_000;
    db.truncate("test", "a", unix_ns(now_ms - 1000))
        .expect("truncate");
    assert_eq!(count(db, "a"), 10);
    assert!(missing(db, &k("a", 0)));
    assert!(!missing(db, &k("a", 10)));
    let e = db
        .truncate("test", "a", unix_ns(now_ms + 10_000))
        .expect_err("future");
    assert_eq!(e.code(), ResultCode::ParameterError);
    let e = db.truncate("test", "a", 1).expect_err("before 2010");
    assert_eq!(e.code(), ResultCode::ParameterError);
    let e = db.truncate("nope", "", 0).expect_err("namespace");
    assert_eq!(e.code(), ResultCode::InvalidNamespace);
    // A lower cut-off never brings records back.
    db.truncate("test", "a", unix_ns(now_ms - 4000))
        .expect("lower cut-off");
    assert_eq!(count(db, "a"), 10);
}

/// TRUNC-RECLAIM-1: the sweep removes truncated entries (index and storage space).
#[test]
fn trunc_reclaim_1_sweep_removes_truncated_entries() {
    let t = common::open();
    let db = &t.db;
    for i in 0..100 {
        put(db, "a", i);
    }
    put(db, "b", 1);
    db.truncate("test", "a", 0).expect("truncate");
    assert_eq!(db.stats().records, 101, "entries stay until reclaimed");
    let s = db.sweep_expired();
    assert_eq!(s.truncated, 100);
    assert_eq!(db.stats().records, 1);
    assert_eq!(count(db, "b"), 1);
}
