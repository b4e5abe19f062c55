//! SIDX-MODEL-1: index queries against a brute-force scan + filter, under concurrent writes,
//! durable and non-durable deletes, TTL expiry (the clock advances, the sweeper reaps) and
//! truncates. During each round two writer threads change records while the main thread runs
//! index queries and checks every record they return against the filter (SIDX-RECHECK-1: the
//! returned bins are the record's current ones, read under its lock). Between rounds, with no
//! writer running, every query must return exactly the records a full scan filtered by hand
//! selects (SIDX-EXACT-1), and the query by the CDT-context index (map key "a" of bin "n", a
//! nested list) what a scan with a filter expression on the same path selects (SIDX-CTX-1).
//! Seeded; runs on the backend `AEROLITE_BACKEND` names.

mod common;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType as Cit, Database, Digest, Expiration, Filter,
    IndexType, Key, ListReturnType, PartitionFilter, QueryPolicy, Record, Statement, Value,
    WritePolicy, CTX,
};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

const KEYS: i64 = 300;
const VALUES: i64 = 12;

/// Stops the writers when dropped, also when a failed assertion unwinds the scope (a scope
/// waits for its threads: without this a failure would hang the test).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as i64
    }
}

fn write_one(db: &Database, rng: &mut Rng) {
    let key = Key::new("test", "m", rng.below(KEYS)).expect("key");
    let v = rng.below(VALUES);
    let list = Value::from(vec![Value::from(v), Value::from(v + 1)]);
    let mut nested = aerolite::Map::default();
    let inner = Value::from(vec![Value::from(v), Value::from(v + 2)]);
    nested.entries.push((Value::from("a"), inner));
    let bins = [
        as_bin!("v", v),
        as_bin!("l", list),
        as_bin!("n", Value::Map(nested)),
    ];
    let r = match rng.below(10) {
        0 => db.delete(&WritePolicy::default(), &key).map(|_| ()),
        1 => {
            let wp = WritePolicy {
                durable_delete: true,
                ..WritePolicy::default()
            };
            db.delete(&wp, &key).map(|_| ())
        }
        2 | 3 => {
            let wp = WritePolicy {
                expiration: Expiration::Seconds(1 + rng.below(3) as u32),
                ..WritePolicy::default()
            };
            db.put(&wp, &key, &bins).map(|_| ())
        }
        4 => db
            .put(
                &WritePolicy::default(),
                &key,
                &[as_bin!("v", "not a number")],
            )
            .map(|_| ()),
        _ => db.put(&WritePolicy::default(), &key, &bins).map(|_| ()),
    };
    if let Err(e) = r {
        assert_eq!(e.code(), aerolite::ResultCode::KeyNotFoundError, "{e}");
    }
}

/// What a filter selects, tested on a record by hand.
type Check = Box<dyn Fn(&Record) -> bool>;

/// The (filter, record test) pairs a round checks.
fn filters(rng: &mut Rng) -> Vec<(Filter, Check)> {
    let a = rng.below(VALUES);
    let b = a + rng.below(4);
    let c = rng.below(VALUES);
    let int = |r: &Record, n: &str| match r.bin(n) {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    };
    vec![
        (
            Filter::range("v", a, b),
            Box::new(move |r| int(r, "v").is_some_and(|v| (a..=b).contains(&v))),
        ),
        (
            Filter::contains("l", c, Cit::List),
            Box::new(
                move |r| matches!(r.bin("l"), Some(Value::List(l)) if l.items.contains(&Value::from(c))),
            ),
        ),
        (
            Filter::contains("n", c, Cit::List).context(vec![CTX::map_key("a")]),
            Box::new(move |r| nested_contains(r, c)),
        ),
    ]
}

/// Whether bin "n" is a map whose key "a" holds a list containing `c`.
fn nested_contains(r: &Record, c: i64) -> bool {
    let Some(Value::Map(m)) = r.bin("n") else {
        return false;
    };
    m.entries.iter().any(|(k, v)| {
        *k == Value::from("a") && matches!(v, Value::List(l) if l.items.contains(&Value::from(c)))
    })
}

/// SIDX-CTX-1: the records a scan with a filter expression on n.a (contains `c`) returns.
fn scan_nested(db: &Database, c: i64) -> BTreeSet<Digest> {
    let count = exp::lists::get_by_value(
        ListReturnType::Count,
        exp::int_val(c),
        exp::map_bin("n"),
        &[CTX::map_key("a")],
    );
    let qp = QueryPolicy {
        filter_expression: Some(exp::gt(count, exp::int_val(0))),
        ..QueryPolicy::default()
    };
    let st = Statement::new("test", "m", Bins::All);
    db.query(&qp, PartitionFilter::all(), st)
        .expect("scan")
        .map(|r| r.expect("record").0.digest)
        .collect()
}

fn query(db: &Database, f: &Filter, check: &dyn Fn(&Record) -> bool) -> BTreeSet<Digest> {
    let mut st = Statement::new("test", "m", Bins::All);
    st.set_filter(f.clone());
    let mut out = BTreeSet::new();
    for r in db
        .query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .expect("query")
    {
        let (k, rec) = r.expect("record");
        assert!(check(&rec), "SIDX-RECHECK-1: {f:?} returned {rec:?}");
        assert!(out.insert(k.digest), "returned twice");
    }
    out
}

fn brute_force(db: &Database, check: &dyn Fn(&Record) -> bool) -> BTreeSet<Digest> {
    let st = Statement::new("test", "m", Bins::All);
    db.query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .expect("scan")
        .map(|r| r.expect("record"))
        .filter(|(_, rec)| check(rec))
        .map(|(k, _)| k.digest)
        .collect()
}

fn index(db: &Database, bin: &str, name: &str, c: Cit, ctx: Option<&[CTX]>) {
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        "m",
        bin,
        name,
        IndexType::Numeric,
        c,
        ctx,
    )
    .expect("create")
    .wait_till_complete()
    .expect("built");
}

/// SIDX-MODEL-1.
#[test]
fn sidx_model_1_queries_match_scan_under_concurrent_change() {
    let t = common::open();
    let db = &t.db;
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..KEYS {
        write_one(db, &mut rng);
    }
    index(db, "v", "iv", Cit::Default, None);
    index(db, "l", "il", Cit::List, None);
    index(db, "n", "ina", Cit::List, Some(&[CTX::map_key("a")]));
    for round in 0..30u64 {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            for w in 0..2u64 {
                let stop = &stop;
                s.spawn(move || {
                    let mut rng = Rng(round * 7919 + w * 104_729 + 1);
                    while !stop.load(Ordering::Relaxed) {
                        write_one(db, &mut rng);
                    }
                });
            }
            let _stop = StopOnDrop(&stop);
            for _ in 0..5 {
                for (f, check) in filters(&mut rng) {
                    query(db, &f, &*check);
                }
            }
        });
        match rng.below(4) {
            0 => t.clock.advance_s(2),
            1 => {
                t.clock.advance_s(2);
                db.sweep_expired();
            }
            2 if round % 5 == 2 => {
                t.clock.advance_ms(2);
                db.truncate("test", "m", 0).expect("truncate");
            }
            _ => {}
        }
        for (f, check) in filters(&mut rng) {
            assert_eq!(
                query(db, &f, &*check),
                brute_force(db, &*check),
                "round {round}: {f:?}"
            );
        }
        let c = rng.below(VALUES + 2);
        let f = Filter::contains("n", c, Cit::List).context(vec![CTX::map_key("a")]);
        assert_eq!(
            query(db, &f, &|r| nested_contains(r, c)),
            scan_nested(db, c),
            "round {round}: n.a contains {c}, against the filter expression"
        );
    }
    db.sweep_expired();
    for (f, check) in filters(&mut rng) {
        assert_eq!(
            query(db, &f, &*check),
            brute_force(db, &*check),
            "end: {f:?}"
        );
    }
}
