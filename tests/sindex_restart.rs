//! Secondary indexes across restarts of the device store (docs/sindex.md SIDX-PERSIST-1,
//! SIDX-RESTART-1): the definitions file brings each index back, its entries are rebuilt from
//! the records at open (fast restart and cold start) and counted in `RecoveryStats`; a drop
//! persists too; no file means no rebuild; a damaged file fails the open with its path.

mod storage_support;

use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType, Database, Filter, IndexType, Key, ManualClock,
    PartitionFilter, QueryPolicy, ResultCode, Statement, WritePolicy,
};
use storage_support::{file_config, flush, open_on, tmp};

fn k(i: i64) -> Key {
    Key::new("test", "r", i).expect("key")
}

fn count(db: &Database, v: i64) -> usize {
    let mut st = Statement::new("test", "r", Bins::All);
    st.set_filter(Filter::equal("v", v));
    db.query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .expect("query")
        .map(|r| r.expect("record"))
        .collect::<Vec<_>>()
        .len()
}

fn create(db: &Database) {
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        "r",
        "v",
        "iv",
        IndexType::Numeric,
        CollectionIndexType::Default,
        None,
    )
    .expect("create")
    .wait_till_complete()
    .expect("built");
}

/// SIDX-RESTART-1: fast restart, then cold start, rebuild the index; a drop persists.
#[test]
fn sidx_restart_1_rebuilt_after_fast_and_cold_start() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    assert_eq!(db.recovery_stats()[0].sindexes, 0);
    for i in 0..200 {
        db.put(&WritePolicy::default(), &k(i), &[as_bin!("v", i % 4)])
            .expect("put");
    }
    create(&db);
    db.delete(&WritePolicy::default(), &k(0)).expect("delete");
    flush(&db);
    assert_eq!(count(&db, 0), 49);
    db.shutdown().expect("shutdown");

    let db = open_on(file_config(dir.path()), &clock).expect("fast restart");
    assert!(db.stats().fast_restart);
    let rs = db.recovery_stats()[0];
    assert_eq!((rs.sindexes, rs.sindex_entries), (1, 199));
    assert_eq!(count(&db, 0), 49);
    assert_eq!(count(&db, 1), 50);
    db.abandon();

    let db = open_on(file_config(dir.path()), &clock).expect("cold start");
    assert!(!db.stats().fast_restart);
    assert_eq!(db.recovery_stats()[0].sindexes, 1);
    assert_eq!(count(&db, 1), 50);
    db.drop_index(&AdminPolicy::default(), "test", "r", "iv")
        .expect("drop");
    db.shutdown().expect("shutdown");

    let db = open_on(file_config(dir.path()), &clock).expect("reopen");
    let rs = db.recovery_stats()[0];
    assert_eq!(
        (rs.sindexes, rs.sindex_rebuild),
        (0, std::time::Duration::ZERO)
    );
    let mut st = Statement::new("test", "r", Bins::All);
    st.set_filter(Filter::equal("v", 1));
    let e = db
        .query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .err();
    assert_eq!(e.map(|e| e.code()), Some(ResultCode::IndexNotFound));
}

/// SIDX-PERSIST-1: a damaged definitions file fails the open with ServerError naming it.
#[test]
fn sidx_persist_1_damaged_file_fails_open() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    create(&db);
    db.shutdown().expect("shutdown");
    let path = dir.path().join("ns.dev.sindex");
    let mut bytes = std::fs::read(&path).expect("definitions file exists");
    bytes[9] ^= 1;
    std::fs::write(&path, bytes).expect("damage");
    let e = open_on(file_config(dir.path()), &clock)
        .err()
        .expect("refused");
    assert_eq!(e.code(), ResultCode::ServerError);
    assert!(e.detail().contains("ns.dev.sindex"), "{}", e.detail());
}

/// SIDX-CTX-1 with SIDX-PERSIST-1: an index on a CDT context (map key "a" of bin "m", an
/// integer) comes back after a restart with its context, and a filter naming the same
/// context uses it.
#[test]
fn sidx_ctx_1_context_index_survives_restart() {
    use aerolite::{Map, Value, CTX};
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..100 {
        let mut m = Map::default();
        m.entries.push((Value::from("a"), Value::from(i % 5)));
        db.put(
            &WritePolicy::default(),
            &k(i),
            &[as_bin!("m", Value::Map(m))],
        )
        .expect("put");
    }
    let ctx = [CTX::map_key("a")];
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        "r",
        "m",
        "ima",
        IndexType::Numeric,
        CollectionIndexType::Default,
        Some(&ctx),
    )
    .expect("create")
    .wait_till_complete()
    .expect("built");
    let count_a = |db: &Database, v: i64| {
        let mut st = Statement::new("test", "r", Bins::All);
        st.set_filter(Filter::equal("m", v).context(ctx.to_vec()));
        db.query(&QueryPolicy::default(), PartitionFilter::all(), st)
            .expect("query through the context index")
            .count()
    };
    assert_eq!(count_a(&db, 3), 20);
    db.shutdown().expect("shutdown");
    let db = open_on(file_config(dir.path()), &clock).expect("restart");
    let rs = db.recovery_stats()[0];
    assert_eq!((rs.sindexes, rs.sindex_entries), (1, 100));
    assert_eq!(count_a(&db, 3), 20);
}
