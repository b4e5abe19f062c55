//! Secondary indexes (docs/sindex.md SIDX-*): create / drop with the official client's names
//! and result codes, queries by equal, range and contains through `Statement::set_filter`
//! combined with partition filters, filter expressions, `max_records` and resume, and the
//! index kept exact by every write, delete, expiry and truncate. Runs on the backend
//! `AEROLITE_BACKEND` names (memory or device).

mod common;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType as Cit, Database, Filter, IndexType, Key,
    ListReturnType, MapReturnType, PartitionFilter, QueryPolicy, ResultCode, Statement, Value,
    WritePolicy, CTX,
};
use std::collections::BTreeSet;

fn key(set: &str, i: i64) -> Key {
    Key::new("test", set, i).expect("key")
}

fn put(db: &Database, set: &str, i: i64, bins: &[aerolite::Bin]) {
    db.put(&WritePolicy::default(), &key(set, i), bins)
        .expect("put");
}

fn index(db: &Database, set: &str, bin: &str, name: &str, t: IndexType, c: Cit) {
    db.create_index_on_bin(&AdminPolicy::default(), "test", set, bin, name, t, c, None)
        .expect("create index")
        .wait_till_complete()
        .expect("build");
}

fn run(db: &Database, qp: &QueryPolicy, pf: PartitionFilter, st: Statement) -> Vec<Key> {
    db.query(qp, pf, st)
        .expect("query")
        .map(|r| r.expect("record").0)
        .collect()
}

fn query(db: &Database, set: &str, f: Filter) -> BTreeSet<i64> {
    let mut st = Statement::new("test", set, Bins::All);
    st.set_filter(f);
    let keys = run(db, &QueryPolicy::default(), PartitionFilter::all(), st);
    keys.iter().map(|k| id_of(db, set, k)).collect()
}

/// The test key whose digest `k` carries (keys are 0..1000).
fn id_of(_db: &Database, set: &str, k: &Key) -> i64 {
    (0..1000)
        .find(|i| key(set, *i).digest == k.digest)
        .expect("a test key")
}

/// SIDX-EQ-1, SIDX-RANGE-1: equal and range on integers, strings and blobs; a bin of the wrong
/// type is skipped (SIDX-WRONG-TYPE-1).
#[test]
fn sidx_eq_1_equal_and_range_by_type() {
    let t = common::open();
    let db = &t.db;
    for i in 0..100 {
        let name = format!("n{:03}", i % 10);
        put(
            db,
            "s",
            i,
            &[
                as_bin!("a", i % 10),
                as_bin!("n", name),
                as_bin!("b", vec![i as u8 % 3]),
            ],
        );
    }
    put(db, "s", 100, &[as_bin!("a", "seven"), as_bin!("n", 7)]);
    index(db, "s", "a", "ia", IndexType::Numeric, Cit::Default);
    index(db, "s", "n", "in", IndexType::String, Cit::Default);
    index(db, "s", "b", "ib", IndexType::Blob, Cit::Default);
    let want: BTreeSet<i64> = (0..100).filter(|i| i % 10 == 7).collect();
    assert_eq!(query(db, "s", Filter::equal("a", 7)), want);
    assert_eq!(query(db, "s", Filter::equal("n", "n007")), want);
    let want: BTreeSet<i64> = (0..100).filter(|i| (3..=5).contains(&(i % 10))).collect();
    assert_eq!(query(db, "s", Filter::range("a", 3, 5)), want);
    let want: BTreeSet<i64> = (0..100).filter(|i| i % 3 == 1).collect();
    assert_eq!(query(db, "s", Filter::equal("b", vec![1u8])), want);
    assert!(query(db, "s", Filter::range("a", 5, 3)).is_empty());
}

/// SIDX-CONTAINS-1: list elements, map keys and map values.
#[test]
fn sidx_contains_1_lists_and_maps() {
    let t = common::open();
    let db = &t.db;
    for i in 0..60 {
        let list = Value::from(vec![Value::from(i), Value::from(i + 1), Value::from("x")]);
        let mut m = aerolite::Map::default();
        m.entries
            .push((Value::from(format!("k{}", i % 4)), Value::from(i * 2)));
        put(
            db,
            "c",
            i,
            &[as_bin!("l", list), as_bin!("m", Value::Map(m))],
        );
    }
    index(db, "c", "l", "il", IndexType::Numeric, Cit::List);
    index(db, "c", "m", "ik", IndexType::String, Cit::MapKeys);
    index(db, "c", "m", "iv", IndexType::Numeric, Cit::MapValues);
    assert_eq!(
        query(db, "c", Filter::contains("l", 10, Cit::List)),
        [9, 10].into()
    );
    let want: BTreeSet<i64> = (0..60).filter(|i| i % 4 == 3).collect();
    assert_eq!(
        query(db, "c", Filter::contains("m", "k3", Cit::MapKeys)),
        want
    );
    assert_eq!(
        query(db, "c", Filter::contains_range("m", 10, 14, Cit::MapValues)),
        [5, 6, 7].into()
    );
}

/// SIDX-EXACT-1, SIDX-RECHECK-1: updates, deletes (durable or not), expiry (before and after
/// the sweeper reaps) and truncate are seen by the next query.
#[test]
fn sidx_exact_1_every_change_is_seen() {
    let t = common::open();
    let db = &t.db;
    index(db, "e", "v", "iv", IndexType::Numeric, Cit::Default);
    for i in 0..50 {
        put(db, "e", i, &[as_bin!("v", 1)]);
    }
    put(db, "e", 0, &[as_bin!("v", 2)]);
    db.delete(&WritePolicy::default(), &key("e", 1))
        .expect("delete");
    let durable = WritePolicy {
        durable_delete: true,
        ..WritePolicy::default()
    };
    db.delete(&durable, &key("e", 2)).expect("durable delete");
    let ttl = WritePolicy {
        expiration: aerolite::Expiration::Seconds(10),
        ..WritePolicy::default()
    };
    db.put(&ttl, &key("e", 3), &[as_bin!("v", 1)])
        .expect("put ttl");
    t.clock.advance_s(20);
    let want: BTreeSet<i64> = (4..50).collect();
    assert_eq!(
        query(db, "e", Filter::equal("v", 1)),
        want,
        "expired, not reaped"
    );
    db.sweep_expired();
    assert_eq!(
        query(db, "e", Filter::equal("v", 1)),
        want,
        "expired and reaped"
    );
    assert_eq!(query(db, "e", Filter::equal("v", 2)), [0].into());
    t.clock.advance_ms(5);
    db.truncate("test", "e", 0).expect("truncate");
    assert!(
        query(db, "e", Filter::equal("v", 1)).is_empty(),
        "truncated"
    );
    db.sweep_expired();
    put(db, "e", 7, &[as_bin!("v", 1)]);
    assert_eq!(query(db, "e", Filter::equal("v", 1)), [7].into());
}

/// SIDX-QUERY-1: partition filters, filter expressions, max_records and resume work as for a
/// scan; records come in partition then digest order.
#[test]
fn sidx_query_1_with_partitions_expression_and_resume() {
    let t = common::open();
    let db = &t.db;
    for i in 0..300 {
        put(db, "q", i, &[as_bin!("v", i % 2), as_bin!("w", i)]);
    }
    index(db, "q", "v", "iv", IndexType::Numeric, Cit::Default);
    let mut st = Statement::new("test", "q", Bins::All);
    st.set_filter(Filter::equal("v", 0));
    let all = run(
        db,
        &QueryPolicy::default(),
        PartitionFilter::all(),
        st.clone(),
    );
    assert_eq!(all.len(), 150);
    let order: Vec<_> = all
        .iter()
        .map(|k| (k.digest.partition_id(), k.digest))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "SCAN-ORDER-1");
    let qp = QueryPolicy {
        filter_expression: Some(exp::lt(exp::int_bin("w"), exp::int_val(100))),
        ..QueryPolicy::default()
    };
    assert_eq!(run(db, &qp, PartitionFilter::all(), st.clone()).len(), 50);
    let part = run(
        db,
        &QueryPolicy::default(),
        PartitionFilter::by_range(0, 2048),
        st.clone(),
    );
    assert!(part.iter().all(|k| k.digest.partition_id() < 2048));
    let mut resumed = Vec::new();
    let mut pf = PartitionFilter::all();
    let qp = QueryPolicy {
        max_records: 40,
        ..QueryPolicy::default()
    };
    loop {
        let mut rs = db.query(&qp, pf, st.clone()).expect("query");
        let page: Vec<Key> = rs.by_ref().map(|r| r.expect("record").0).collect();
        pf = rs.partition_filter();
        if page.is_empty() {
            break;
        }
        resumed.extend(page);
    }
    assert_eq!(resumed, all, "SCAN-RESUME-1 through the index");
}

/// SIDX-BAD-NAME, SIDX-CREATE-SAME-1, SIDX-CREATE-CONFLICT-1, SIDX-DROP-MISSING,
/// SIDX-BAD-COUNT, SIDX-BAD-FILTER: each bad input answers its code and builds nothing.
#[test]
fn sidx_bad_input_codes() {
    let t = common::open();
    let db = &t.db;
    let ap = AdminPolicy::default();
    let create = |set: &str, bin: &str, name: &str, ty| {
        db.create_index_on_bin(&ap, "test", set, bin, name, ty, Cit::Default, None)
            .map(|task| task.wait_till_complete())
    };
    let code =
        |r: aerolite::Result<aerolite::Result<()>>| r.and_then(|x| x).err().map(|e| e.code());
    assert_eq!(
        code(create("s", "a", &"x".repeat(64), IndexType::Numeric)),
        Some(ResultCode::IndexNameMaxLen)
    );
    assert_eq!(
        code(create("s", "a", &"x".repeat(63), IndexType::Numeric)),
        None
    );
    assert_eq!(
        code(create("s", "a", &"x".repeat(63), IndexType::Numeric)),
        None,
        "same: no-op"
    );
    assert_eq!(
        code(create("s", "a", &"x".repeat(63), IndexType::String)),
        Some(ResultCode::IndexAlreadyExists)
    );
    assert_eq!(
        code(create("s", "a", "other", IndexType::Numeric)),
        Some(ResultCode::IndexAlreadyExists)
    );
    assert_eq!(
        db.drop_index(&ap, "test", "s", "missing")
            .map_err(|e| e.code()),
        Err(ResultCode::IndexNotFound)
    );
    let ctx = [aerolite::CTX::list_value(Value::Wildcard)];
    let r = db.create_index_on_bin(
        &ap,
        "test",
        "s",
        "l",
        "il",
        IndexType::Numeric,
        Cit::Default,
        Some(&ctx),
    );
    assert_eq!(
        r.err().map(|e| e.code()),
        Some(ResultCode::ParameterError),
        "SIDX-CTX-1: a context value that cannot be stored"
    );
    for i in 1..256 {
        assert_eq!(
            code(create(
                "s",
                &format!("b{i}"),
                &format!("i{i}"),
                IndexType::Numeric
            )),
            None,
            "{i}"
        );
    }
    assert_eq!(
        code(create("s", "z", "one_too_many", IndexType::Numeric)),
        Some(ResultCode::IndexMaxCount)
    );
    let mut st = Statement::new("test", "s", Bins::All);
    st.set_filter(Filter::equal("nobin", 1));
    let e = db
        .query(&QueryPolicy::default(), PartitionFilter::all(), st.clone())
        .err();
    assert_eq!(e.map(|e| e.code()), Some(ResultCode::IndexNotFound));
    st.set_filter(Filter::range("b1", 1, "x"));
    let e = db
        .query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .err();
    assert_eq!(e.map(|e| e.code()), Some(ResultCode::ParameterError));
    db.drop_index(&ap, "test", "s", "i1").expect("drop");
    assert_eq!(
        code(create("s", "z", "i1", IndexType::Numeric)),
        None,
        "room again"
    );
}

/// SIDX-BUILD-1: an index created on a populated set is built in the background; its task
/// reaches 100 % and the query then returns every matching record.
#[test]
fn sidx_build_1_background_build_reports_progress() {
    let t = common::open();
    let db = &t.db;
    for i in 0..500 {
        put(db, "b", i, &[as_bin!("v", i % 5)]);
    }
    let task = db
        .create_index_on_bin(
            &AdminPolicy::default(),
            "test",
            "b",
            "v",
            "iv",
            IndexType::Numeric,
            Cit::Default,
            None,
        )
        .expect("create");
    task.wait_till_complete().expect("built");
    assert_eq!(task.percent_loaded(), 100);
    assert_eq!(task.query_status(), aerolite::TaskStatus::Complete);
    assert_eq!(query(db, "b", Filter::equal("v", 3)).len(), 100);
    let st = db.stats();
    assert_eq!(
        (st.sindexes, st.sindex_entries, st.sindexes_loading),
        (1, 500, 0)
    );
}

/// SIDX-EXACT-1 with the in-place map path: a key-ordered map large enough for in-place puts
/// (64+ entries) under a map-keys index; an operate that puts a new key (CreateOnly) plus an add
/// must be seen by the next query — the in-place path hands the map to storage as raw bytes, so
/// with an index defined the write takes the decoded path.
#[test]
fn sidx_exact_1_in_place_map_put_is_indexed() {
    use aerolite::operations::{self, maps};
    use aerolite::{MapOrder, MapPolicy, MapWriteFlags, WritePolicy};
    let t = common::open();
    let db = &t.db;
    let co = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    let wp = WritePolicy::default();
    for k in 0..100 {
        db.operate(
            &wp,
            &key("m", 1),
            &[maps::put(&co, "m", format!("k{k:03}"), k)],
        )
        .expect("fill the map");
    }
    index(db, "m", "m", "mk", IndexType::String, Cit::MapKeys);
    for round in 0..3 {
        let new_key = format!("k050-{round}");
        db.operate(
            &wp,
            &key("m", 1),
            &[
                maps::put(&co, "m", new_key.as_str(), 1),
                operations::add(&as_bin!("n", 1)),
            ],
        )
        .expect("put a new key");
        assert_eq!(
            query(
                db,
                "m",
                Filter::contains("m", new_key.as_str(), Cit::MapKeys)
            ),
            [1].into(),
            "round {round}: the new map key is indexed"
        );
    }
}

fn index_ctx(db: &Database, name: &str, t: IndexType, c: Cit, ctx: &[CTX]) -> aerolite::Result<()> {
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        "x",
        "doc",
        name,
        t,
        c,
        Some(ctx),
    )?
    .wait_till_complete()
}

/// The ids of set "x" a scan with `e` as filter expression returns.
fn scan_where(db: &Database, e: exp::Expression) -> BTreeSet<i64> {
    let qp = QueryPolicy {
        filter_expression: Some(e),
        ..QueryPolicy::default()
    };
    let st = Statement::new("test", "x", Bins::All);
    let keys = run(db, &qp, PartitionFilter::all(), st);
    keys.iter().map(|k| id_of(db, "x", k)).collect()
}

/// Record `i` of set "x": bin "doc" = {"a": [i % 7, 100 + i % 5], "b": i}, except every 9th
/// without "a", every 11th with "a" a string, and every 13th with "doc" an integer.
fn put_doc(db: &Database, i: i64, shift: i64) {
    let list = Value::from(vec![Value::from((i + shift) % 7), Value::from(100 + i % 5)]);
    let mut m = aerolite::Map::default();
    if i % 9 != 0 {
        let a = if i % 11 == 0 {
            Value::from("str")
        } else {
            list
        };
        m.entries.push((Value::from("a"), a));
    }
    m.entries.push((Value::from("b"), Value::from(i + shift)));
    let doc = if i % 13 == 0 {
        Value::from(i)
    } else {
        Value::Map(m)
    };
    put(db, "x", i, &[as_bin!("doc", doc)]);
}

/// SIDX-CTX-1: an index on the element a CDT context selects (map key "a" -> a nested list,
/// indexed as List; map key "b" -> an integer, indexed as Default) answers exactly what a scan
/// with a filter expression on the same nested path answers, before and after updates; the
/// filter must name the same context (none: 201); definitions with another context are other
/// indexes, an equal one is a no-op and another name on the same context conflicts (200).
#[test]
fn sidx_ctx_1_index_on_nested_element_equals_scan() {
    let t = common::open();
    let db = &t.db;
    for i in 0..200 {
        put_doc(db, i, 0);
    }
    let a = [CTX::map_key("a")];
    let b = [CTX::map_key("b")];
    index_ctx(db, "ia", IndexType::Numeric, Cit::List, &a).expect("index on doc.a");
    index_ctx(db, "ib", IndexType::Numeric, Cit::Default, &b).expect("index on doc.b");
    index_ctx(db, "ia", IndexType::Numeric, Cit::List, &a).expect("same: no-op");
    assert_eq!(
        index_ctx(db, "ia2", IndexType::Numeric, Cit::List, &a).map_err(|e| e.code()),
        Err(ResultCode::IndexAlreadyExists)
    );
    let in_a = |v: i64| {
        let n = exp::lists::get_by_value(
            ListReturnType::Count,
            exp::int_val(v),
            exp::map_bin("doc"),
            &a,
        );
        exp::gt(n, exp::int_val(0))
    };
    let b_in = |lo: i64, hi: i64| {
        let b = || {
            exp::maps::get_by_key(
                MapReturnType::Value,
                exp::ExpType::INT,
                exp::string_val("b"),
                exp::map_bin("doc"),
                &[],
            )
        };
        exp::and(vec![
            exp::ge(b(), exp::int_val(lo)),
            exp::le(b(), exp::int_val(hi)),
        ])
    };
    for shift in [0, 3] {
        if shift > 0 {
            for i in (0..200).step_by(2) {
                put_doc(db, i, shift);
            }
        }
        for v in [0, 3, 6, 102] {
            let want = scan_where(db, in_a(v));
            assert!(
                !want.is_empty(),
                "shift {shift} v {v}: the scan selects some"
            );
            let f = Filter::contains("doc", v, Cit::List).context(a.to_vec());
            assert_eq!(query(db, "x", f), want, "shift {shift}: doc.a contains {v}");
        }
        let want = scan_where(db, b_in(50, 70));
        let f = Filter::range("doc", 50, 70).context(b.to_vec());
        assert_eq!(query(db, "x", f), want, "shift {shift}: doc.b in [50, 70]");
    }
    let mut st = Statement::new("test", "x", Bins::All);
    st.set_filter(Filter::equal("doc", 3));
    let e = db
        .query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .err();
    assert_eq!(
        e.map(|e| e.code()),
        Some(ResultCode::IndexNotFound),
        "no context: no index"
    );
}
