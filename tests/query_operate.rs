//! Background operations (docs/multi-record.md QOP-*): `query_operate` applies write ops or a
//! delete to every record a statement and the write policy's filter select, each under its own
//! lock with the generation it was read at; the task is polled and waited for. The seed's
//! cleanup job — delete stale records with ExpectGenEqual — is one call. Runs on either backend.

mod common;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, operations, Bins, Database, Key, PartitionFilter, ReadPolicy, ResultCode, Statement,
    TaskStatus, Value, WritePolicy,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

fn k(i: i64) -> Key {
    Key::new("test", "jobs", i).expect("key")
}

/// QOP-DELETE-1: the cleanup job: every record whose "state" is "stale" is deleted (durably),
/// the others stay; counts add up.
#[test]
fn qop_delete_1_cleanup_job_deletes_stale_records() {
    let t = common::open();
    let db = &t.db;
    for i in 0..100 {
        let state = if i % 4 == 0 { "stale" } else { "fresh" };
        db.put(
            &WritePolicy::default(),
            &k(i),
            &[as_bin!("state", state), as_bin!("n", i)],
        )
        .expect("put");
    }
    let wp = WritePolicy {
        durable_delete: true,
        filter_expression: Some(exp::eq(exp::string_bin("state"), exp::string_val("stale"))),
        ..WritePolicy::default()
    };
    let task = db
        .query_operate(
            &wp,
            PartitionFilter::all(),
            Statement::new("test", "jobs", Bins::All),
            &[operations::delete()],
        )
        .expect("start");
    let counts = task.wait().expect("task");
    assert_eq!(counts.selected, 25);
    assert_eq!(counts.applied, 25);
    for i in 0..100 {
        let r = db.get(&ReadPolicy::default(), &k(i), Bins::All);
        assert_eq!(r.is_ok(), i % 4 != 0, "key {i}");
    }
    // Durable: the tombstone keeps the generation (a re-create is generation 3, not 1).
    let r = db
        .put(&WritePolicy::default(), &k(0), &[as_bin!("n", 0)])
        .expect("re-create");
    assert_eq!(r.generation, 3);
}

/// QOP-WRITE-1: write ops on every selected record; status polls to Complete.
#[test]
fn qop_write_1_ops_on_every_record() {
    let t = common::open();
    let db = &t.db;
    for i in 0..50 {
        db.put(&WritePolicy::default(), &k(i), &[as_bin!("n", i)])
            .expect("put");
    }
    let task = db
        .query_operate(
            &WritePolicy::default(),
            PartitionFilter::all(),
            Statement::new("test", "jobs", Bins::None),
            &[operations::add(&as_bin!("n", 1000))],
        )
        .expect("start");
    while task.status() == TaskStatus::InProgress {
        std::thread::yield_now();
    }
    assert_eq!(task.counts().applied, 50);
    assert_eq!(task.wait().expect("task").applied, 50);
    for i in 0..50 {
        let r = db
            .get(&ReadPolicy::default(), &k(i), Bins::All)
            .expect("get");
        assert_eq!(r.bin("n"), Some(&Value::Int(1000 + i)));
        assert_eq!(r.generation, 2);
    }
}

/// QOP-GEN-1: a record updated after the scan read it and before the task writes it is left
/// alone (ExpectGenEqual with the generation read) and counted. Two records of one partition
/// are read in one batch; a test hook inside the task, run just before the first record's
/// write, updates the second one in between.
#[test]
fn qop_gen_1_record_changed_after_the_read_is_not_written() {
    let db = Arc::new(Database::open_in_memory().expect("open"));
    let mut by_pid: HashMap<u16, i64> = HashMap::new();
    let (a, b) = (0..10_000)
        .find_map(|i| by_pid.insert(k(i).partition_id(), i).map(|j| (j, i)))
        .expect("two keys in one partition");
    for i in [a, b] {
        db.put(&WritePolicy::default(), &k(i), &[as_bin!("n", i)])
            .expect("put");
    }
    // Records of one partition are read in digest order: the task writes `first` first; just
    // before that write, the hook updates `second`, which the task has already read.
    let second = if k(a).digest < k(b).digest { b } else { a };
    let handle: Arc<OnceLock<Weak<Database>>> = Arc::new(OnceLock::new());
    let _ = handle.set(Arc::downgrade(&db));
    let calls = Arc::new(AtomicUsize::new(0));
    let (h, c) = (handle.clone(), calls.clone());
    let hook = move || {
        if c.fetch_add(1, Ordering::AcqRel) == 0 {
            if let Some(db) = h.get().and_then(Weak::upgrade) {
                db.put(&WritePolicy::default(), &k(second), &[as_bin!("x", 1)])
                    .expect("update in between");
            }
        }
    };
    let counts = aerolite::testing::query_operate_with_hook(
        &db,
        &WritePolicy::default(),
        PartitionFilter::by_id(usize::from(k(a).partition_id())),
        Statement::new("test", "jobs", Bins::All),
        &[operations::add(&as_bin!("n", 1000))],
        hook,
    )
    .expect("start")
    .wait()
    .expect("task");
    assert_eq!(counts.selected, 2);
    assert_eq!(counts.applied, 1);
    assert_eq!(counts.generation_changed, 1);
    let gens: Vec<u32> = [a, b]
        .iter()
        .map(|i| {
            db.get(&ReadPolicy::default(), &k(*i), Bins::All)
                .expect("get")
                .generation
        })
        .collect();
    assert_eq!(
        gens,
        vec![2, 2],
        "one written by the task, one by the filter, none twice"
    );
}

/// A query_operate without a write op → 4.
#[test]
fn qop_needs_a_write_op() {
    let t = common::open();
    let e =
        t.db.query_operate(
            &WritePolicy::default(),
            PartitionFilter::all(),
            Statement::new("test", "jobs", Bins::All),
            &[operations::get_bin("n")],
        )
        .err()
        .expect("read-only ops");
    assert_eq!(e.code(), ResultCode::ParameterError);
}
