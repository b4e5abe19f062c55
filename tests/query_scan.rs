//! Scans and primary-index queries (docs/multi-record.md SCAN-*): what a scan returns (every
//! live record once, never a tombstone, an expired or a truncated record), in which order
//! (partition id, then digest), how a partition filter selects and resumes, and how the policy
//! shapes records. Runs on the backend `AEROLITE_BACKEND` names (memory or device).

mod common;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, Bins, Database, Key, PartitionFilter, QueryPolicy, Statement, Value, WritePolicy,
};
use std::collections::BTreeSet;

fn put(db: &Database, set: &str, i: i64) -> Key {
    let k = Key::new("test", set, i).expect("key");
    let wp = WritePolicy {
        send_key: true,
        ..WritePolicy::default()
    };
    db.put(&wp, &k, &[as_bin!("v", i), as_bin!("w", i * 10)])
        .expect("put");
    k
}

fn scan(db: &Database, qp: &QueryPolicy, pf: PartitionFilter, st: Statement) -> Vec<(Key, i64)> {
    db.query(qp, pf, st)
        .expect("query")
        .map(|r| {
            let (k, rec) = r.expect("record");
            let v = match rec.bin("v") {
                Some(Value::Int(v)) => *v,
                _ => -1,
            };
            (k, v)
        })
        .collect()
}

fn all(set: &str) -> Statement {
    Statement::new("test", set, Bins::All)
}

/// SCAN-ONCE-1, SCAN-VISIBLE-1: every live record exactly once; deleted (durably or not) and
/// expired records never.
#[test]
fn scan_once_1_every_live_record_once_no_tombstones_or_expired() {
    let t = common::open();
    let db = &t.db;
    for i in 0..300 {
        put(db, "a", i);
    }
    let durable = WritePolicy {
        durable_delete: true,
        ..WritePolicy::default()
    };
    for i in 0..20 {
        db.delete(&durable, &Key::new("test", "a", i).expect("key"))
            .expect("delete");
    }
    for i in 20..40 {
        db.delete(
            &WritePolicy::default(),
            &Key::new("test", "a", i).expect("key"),
        )
        .expect("delete");
    }
    let short = WritePolicy {
        expiration: aerolite::Expiration::Seconds(10),
        ..WritePolicy::default()
    };
    for i in 40..50 {
        db.put(
            &short,
            &Key::new("test", "a", i).expect("key"),
            &[as_bin!("v", i)],
        )
        .expect("put");
    }
    t.clock.advance_ms(11_000);
    let got = scan(db, &QueryPolicy::default(), PartitionFilter::all(), all(""));
    let values: Vec<i64> = got.iter().map(|(_, v)| *v).collect();
    let unique: BTreeSet<i64> = values.iter().copied().collect();
    assert_eq!(values.len(), unique.len(), "a record came back twice");
    assert_eq!(unique, (50..300).collect::<BTreeSet<i64>>());
}

/// SCAN-ORDER-1, SCAN-PID-1: partitions in id order, digests increasing within a partition;
/// each record's partition is `(digest[0] | digest[1] << 8) & 0x0FFF`, the official client's
/// formula, and every record of the returned key carries its stored user key and set.
#[test]
fn scan_order_1_partition_then_digest_order() {
    let t = common::open();
    for i in 0..500 {
        put(&t.db, "a", i);
    }
    let got = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::all(),
        all("a"),
    );
    assert_eq!(got.len(), 500);
    let pid = |k: &Key| (u16::from(k.digest.0[0]) | (u16::from(k.digest.0[1]) << 8)) & 0x0FFF;
    for (k, v) in &got {
        assert_eq!(k.partition_id(), pid(k));
        assert_eq!(k.set_name, "a");
        assert_eq!(k.user_key, Some(Value::Int(*v)));
        assert_eq!(k.digest, Key::new("test", "a", *v).expect("key").digest);
    }
    for w in got.windows(2) {
        let (a, b) = (&w[0].0, &w[1].0);
        assert!((pid(a), a.digest.0) < (pid(b), b.digest.0), "out of order");
    }
}

/// SCAN-SET-1: a statement with a set name returns that set only; an unknown set nothing.
#[test]
fn scan_set_1_one_set_only() {
    let t = common::open();
    for i in 0..50 {
        put(&t.db, "a", i);
        put(&t.db, "b", 100 + i);
    }
    let a = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::all(),
        all("a"),
    );
    assert_eq!(a.len(), 50);
    assert!(a.iter().all(|(k, v)| k.set_name == "a" && *v < 100));
    let none = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::all(),
        all("zz"),
    );
    assert!(none.is_empty());
    assert_eq!(
        scan(
            &t.db,
            &QueryPolicy::default(),
            PartitionFilter::all(),
            all("")
        )
        .len(),
        100
    );
}

/// SCAN-RESUME-1: with `max_records`, each query returns the next page; the filter returned
/// by the recordset resumes after the last record; together the pages are the full scan, no
/// record twice; a done filter returns only records added after it (none here).
#[test]
fn scan_resume_1_pages_cover_the_scan_once() {
    let t = common::open();
    for i in 0..200 {
        put(&t.db, "a", i);
    }
    let full = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::all(),
        all("a"),
    );
    let qp = QueryPolicy {
        max_records: 7,
        ..QueryPolicy::default()
    };
    let mut pf = PartitionFilter::all();
    let mut pages = Vec::new();
    for _ in 0..100 {
        let mut rs = t.db.query(&qp, pf, all("a")).expect("query");
        let page: Vec<i64> = rs
            .by_ref()
            .map(|r| match r.expect("record").1.bin("v") {
                Some(Value::Int(v)) => *v,
                other => panic!("bin v {other:?}"),
            })
            .collect();
        pf = rs.partition_filter();
        assert!(page.len() <= 7);
        pages.extend(page);
        if pf.done() {
            break;
        }
    }
    assert!(pf.done());
    let want: Vec<i64> = full.iter().map(|(_, v)| *v).collect();
    assert_eq!(pages, want, "pages differ from the full scan");
    let again = scan(&t.db, &QueryPolicy::default(), pf, all("a"));
    assert!(again.is_empty());
}

/// SCAN-FILTER-2: by_id and by_range visit only their partitions; by_key starts after the key.
#[test]
fn scan_filter_2_by_id_range_and_key() {
    let t = common::open();
    let keys: Vec<Key> = (0..400).map(|i| put(&t.db, "a", i)).collect();
    let k0 = &keys[0];
    let pid = usize::from(k0.partition_id());
    let in_p = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::by_id(pid),
        all("a"),
    );
    assert!(in_p.iter().any(|(k, _)| k.digest == k0.digest));
    assert!(in_p
        .iter()
        .all(|(k, _)| usize::from(k.partition_id()) == pid));
    let range = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::by_range(100, 1000),
        all("a"),
    );
    let want = keys
        .iter()
        .filter(|k| (100..1100).contains(&usize::from(k.partition_id())))
        .count();
    assert_eq!(range.len(), want);
    let after = scan(
        &t.db,
        &QueryPolicy::default(),
        PartitionFilter::by_key(k0),
        all("a"),
    );
    let want_after = in_p.iter().filter(|(k, _)| k.digest > k0.digest).count();
    assert_eq!(after.len(), want_after);
    assert!(after.iter().all(|(k, _)| k.digest > k0.digest));
    for (b, c) in [(4096, 1), (0, 0), (4000, 97)] {
        let e =
            t.db.query(
                &QueryPolicy::default(),
                PartitionFilter::by_range(b, c),
                all("a"),
            )
            .err()
            .expect("bad range refused");
        assert_eq!(e.code(), aerolite::ResultCode::ParameterError);
    }
}

/// SCAN-BINS-1, SCAN-FILTER-1: named bins, metadata only, and a filter that skips records.
#[test]
fn scan_bins_1_bins_and_filter() {
    let t = common::open();
    for i in 0..30 {
        put(&t.db, "a", i);
    }
    let st = Statement::new("test", "a", Bins::from_names(&["w"]));
    for r in
        t.db.query(&QueryPolicy::default(), PartitionFilter::all(), st)
            .expect("q")
    {
        let (_, rec) = r.expect("record");
        assert_eq!(rec.bins.len(), 1);
        assert!(rec.bin("w").is_some());
        assert_eq!(rec.generation, 1);
    }
    let meta = QueryPolicy {
        include_bin_data: false,
        ..QueryPolicy::default()
    };
    for r in
        t.db.query(&meta, PartitionFilter::all(), all("a"))
            .expect("q")
    {
        assert!(r.expect("record").1.bins.is_empty());
    }
    let filtered = QueryPolicy {
        filter_expression: Some(exp::eq(
            exp::num_mod(exp::int_bin("v"), exp::int_val(2)),
            exp::int_val(0),
        )),
        ..QueryPolicy::default()
    };
    let st = Statement::new("test", "a", Bins::from_names(&["w"]));
    let got: Vec<_> =
        t.db.query(&filtered, PartitionFilter::all(), st)
            .expect("q")
            .map(|r| r.expect("record").1)
            .collect();
    assert_eq!(got.len(), 15);
    assert!(got
        .iter()
        .all(|r| r.bins.len() == 1 && r.bin("v").is_none()));
}

/// Unknown namespace → 20; an empty bin list → 4; a closed database ends the stream with −1.
#[test]
fn scan_errors() {
    let mut t = common::open();
    put(&t.db, "a", 1);
    let e =
        t.db.query(
            &QueryPolicy::default(),
            PartitionFilter::all(),
            Statement::new("nope", "", Bins::All),
        )
        .err()
        .expect("unknown namespace");
    assert_eq!(e.code(), aerolite::ResultCode::InvalidNamespace);
    let e =
        t.db.query(
            &QueryPolicy::default(),
            PartitionFilter::all(),
            Statement::new("test", "", Bins::Some(vec![])),
        )
        .err()
        .expect("empty bin list");
    assert_eq!(e.code(), aerolite::ResultCode::ParameterError);
    let mut rs =
        t.db.query(&QueryPolicy::default(), PartitionFilter::all(), all(""))
            .expect("q");
    t.db.close();
    let e = rs.next().expect("an item").expect_err("closed");
    assert_eq!(e.code(), aerolite::ResultCode::ClientError);
    assert!(rs.next().is_none());
}

/// SCAN-LOCK-1: a scan paused in the middle of a partition holds no index or record lock:
/// writes to that partition, including the record just returned, go through at once.
#[test]
fn scan_lock_1_paused_scan_blocks_no_writer() {
    let t = common::open();
    let keys: Vec<Key> = (0..300).map(|i| put(&t.db, "a", i)).collect();
    let pid = keys[0].partition_id();
    let mut rs =
        t.db.query(
            &QueryPolicy::default(),
            PartitionFilter::by_id(usize::from(pid)),
            all("a"),
        )
        .expect("query");
    let (first, _) = rs.next().expect("a record").expect("ok");
    let wp = WritePolicy {
        total_timeout: Some(std::time::Duration::from_millis(200)),
        ..WritePolicy::default()
    };
    for k in keys.iter().filter(|k| k.partition_id() == pid) {
        t.db.put(&wp, k, &[as_bin!("v", 7)])
            .expect("write during a scan");
    }
    t.db.put(&wp, &first, &[as_bin!("v", 7)])
        .expect("write the returned record");
    assert!(rs.all(|r| r.is_ok()));
}
