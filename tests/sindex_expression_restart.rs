//! SIDX-EXP-1 with SIDX-PERSIST-1 / SIDX-RESTART-1: an expression index's definition (the
//! expression's bytes) is written to the definitions file, so after a fast restart and after a
//! cold start the index is back, rebuilt from the records, and answers the same query; a drop
//! persists too.

mod storage_support;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType, Database, Filter, IndexType, Key, ManualClock,
    PartitionFilter, QueryPolicy, ResultCode, Statement, WritePolicy,
};
use storage_support::{file_config, flush, open_on, tmp};

fn doubled() -> exp::Expression {
    exp::num_mul(vec![exp::int_bin("v"), exp::int_val(2)])
}

fn count(db: &Database, v: i64) -> aerolite::Result<usize> {
    let mut st = Statement::new("test", "r", Bins::All);
    st.set_filter(Filter::equal("", v).expression(doubled()));
    db.query(&QueryPolicy::default(), PartitionFilter::all(), st)?
        .try_fold(0, |n, r| r.map(|_| n + 1))
}

#[test]
fn sidx_exp_1_persisted_and_rebuilt_after_fast_and_cold_start() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..200 {
        let k = Key::new("test", "r", i).expect("key");
        db.put(&WritePolicy::default(), &k, &[as_bin!("v", i % 4)])
            .expect("put");
    }
    db.create_index_using_expression(
        &AdminPolicy::default(),
        "test",
        "r",
        "i2v",
        IndexType::Numeric,
        CollectionIndexType::Default,
        &doubled(),
    )
    .expect("create")
    .wait_till_complete()
    .expect("built");
    let k0 = Key::new("test", "r", 0).expect("key");
    db.delete(&WritePolicy::default(), &k0).expect("delete");
    flush(&db);
    assert_eq!(count(&db, 0).expect("query"), 49);
    db.shutdown().expect("shutdown");

    let db = open_on(file_config(dir.path()), &clock).expect("fast restart");
    assert!(db.stats().fast_restart);
    let rs = db.recovery_stats()[0];
    assert_eq!((rs.sindexes, rs.sindex_entries), (1, 199));
    assert_eq!(count(&db, 0).expect("query"), 49);
    assert_eq!(count(&db, 2).expect("query"), 50);
    db.abandon();

    let db = open_on(file_config(dir.path()), &clock).expect("cold start");
    assert!(!db.stats().fast_restart);
    assert_eq!(count(&db, 6).expect("query"), 50);
    db.drop_index(&AdminPolicy::default(), "test", "r", "i2v")
        .expect("drop");
    db.shutdown().expect("shutdown");

    let db = open_on(file_config(dir.path()), &clock).expect("reopen");
    assert_eq!(db.recovery_stats()[0].sindexes, 0);
    assert_eq!(
        count(&db, 2).err().map(|e| e.code()),
        Some(ResultCode::IndexNotFound)
    );
    db.shutdown().expect("shutdown");
}
