//! SIDX-EXP-1: an index on an expression (Aerospike 8.1's expression indexes) answers exactly
//! what a scan with the equivalent filter expression answers. A numeric index on
//! `int_bin("a") + int_bin("b")` and a list index on `list_bin("l")` are created over records
//! where the bins are sometimes missing or of another type (those records are not indexed), then
//! rounds of puts, deletes, durable deletes and TTL expiry (clock advance + sweep) change the
//! records; after each round every range query through an expression index must return the same
//! digests as a full scan filtered by `lo <= exp <= hi` (or "the list contains a value in
//! range"). SIDX-EXP-BAD: the server's refusals (4) for expressions of another type, with
//! metadata or the record key, or without any bin; 200 / 201 for conflicts and missing indexes.
//! Seeded; runs on the backend `AEROLITE_BACKEND` names.

mod common;

use aerolite::expressions::{self as exp, Expression};
use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType as Cit, Database, Digest, Expiration, Filter,
    IndexType, Key, ListReturnType, PartitionFilter, QueryPolicy, ResultCode, Statement, Value,
    WritePolicy,
};
use std::collections::BTreeSet;

const KEYS: i64 = 200;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: i64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as i64
    }
}

fn sum_exp() -> Expression {
    exp::num_add(vec![exp::int_bin("a"), exp::int_bin("b")])
}

/// One random change to one record: a put (bins sometimes missing or of another type), a
/// delete, a durable delete or a put with a 1-second TTL.
fn change_one(db: &Database, rng: &mut Rng) {
    let key = Key::new("test", "e", rng.below(KEYS)).expect("key");
    let mut bins = vec![as_bin!("b", rng.below(10))];
    match rng.below(5) {
        0 => bins.push(as_bin!("a", "not an int")),
        1 => {}
        _ => bins.push(as_bin!("a", rng.below(20))),
    }
    if rng.below(4) != 0 {
        let (x, y) = (rng.below(30), rng.below(30));
        bins.push(as_bin!(
            "l",
            Value::from(vec![Value::from(x), Value::from(y)])
        ));
    }
    let durable = WritePolicy {
        durable_delete: true,
        ..WritePolicy::default()
    };
    let r = match rng.below(12) {
        0 => db.delete(&WritePolicy::default(), &key).map(|_| ()),
        1 => db.delete(&durable, &key).map(|_| ()),
        2 => {
            let wp = WritePolicy {
                expiration: Expiration::Seconds(1),
                ..WritePolicy::default()
            };
            db.put(&wp, &key, &bins).map(|_| ())
        }
        _ => db.put(&WritePolicy::default(), &key, &bins).map(|_| ()),
    };
    if let Err(e) = r {
        assert_eq!(e.code(), ResultCode::KeyNotFoundError, "{e}");
    }
}

fn create(db: &Database, name: &str, t: IndexType, c: Cit, e: &Expression) -> aerolite::Result<()> {
    db.create_index_using_expression(&AdminPolicy::default(), "test", "e", name, t, c, e)?
        .wait_till_complete()
}

fn digests(db: &Database, qp: &QueryPolicy, filter: Option<Filter>) -> BTreeSet<Digest> {
    let mut st = Statement::new("test", "e", Bins::All);
    if let Some(f) = filter {
        st.set_filter(f);
    }
    let mut out = BTreeSet::new();
    for r in db.query(qp, PartitionFilter::all(), st).expect("query") {
        let (k, _) = r.expect("record");
        assert!(out.insert(k.digest), "a record returned twice");
    }
    out
}

/// The scan side: every record for which `keep` (a boolean filter expression) is true.
fn scan(db: &Database, keep: Expression) -> BTreeSet<Digest> {
    let qp = QueryPolicy {
        filter_expression: Some(keep),
        ..QueryPolicy::default()
    };
    digests(db, &qp, None)
}

/// Check one random range on both indexes; returns how many records each query returned.
fn check_round(db: &Database, rng: &mut Rng, round: u32) -> [usize; 2] {
    let lo = rng.below(30) - 2;
    let hi = lo + rng.below(8);
    let by_index = digests(
        db,
        &QueryPolicy::default(),
        Some(Filter::range("a", lo, hi).expression(sum_exp())),
    );
    let in_range = exp::and(vec![
        exp::ge(sum_exp(), exp::int_val(lo)),
        exp::le(sum_exp(), exp::int_val(hi)),
    ]);
    assert_eq!(
        by_index,
        scan(db, in_range),
        "round {round}: sum in [{lo}, {hi}]"
    );
    let sums = by_index.len();

    let f = Filter::contains_range("", lo, hi, Cit::List).expression(exp::list_bin("l"));
    let by_index = digests(db, &QueryPolicy::default(), Some(f));
    let count = exp::lists::get_by_value_range(
        ListReturnType::Count,
        Some(exp::int_val(lo)),
        Some(exp::int_val(hi + 1)),
        exp::list_bin("l"),
        &[],
    );
    let contains = exp::gt(count, exp::int_val(0));
    assert_eq!(
        by_index,
        scan(db, contains),
        "round {round}: l has a value in [{lo}, {hi}]"
    );
    [sums, by_index.len()]
}

/// SIDX-EXP-1.
#[test]
fn sidx_exp_1_query_equals_scan_with_filter_expression() {
    let t = common::open();
    let db = &t.db;
    let mut rng = Rng(0x5eed_e4b1_0000_0015);
    for _ in 0..KEYS {
        change_one(db, &mut rng);
    }
    create(db, "isum", IndexType::Numeric, Cit::Default, &sum_exp()).expect("sum index");
    create(db, "il", IndexType::Numeric, Cit::List, &exp::list_bin("l")).expect("list index");
    let mut found = [0; 2];
    for round in 0..20 {
        let [a, b] = check_round(db, &mut rng, round);
        found = [found[0] + a, found[1] + b];
        for _ in 0..40 {
            change_one(db, &mut rng);
        }
        if round % 3 == 1 {
            t.clock.advance_s(2);
            db.sweep_expired();
        }
    }
    check_round(db, &mut rng, 99);
    assert!(
        found.iter().all(|&n| n > 100),
        "the queries select records: {found:?}"
    );
}

/// SIDX-EXP-BAD: what the server refuses, and conflicts.
#[test]
fn sidx_exp_bad_definitions_and_conflicts() {
    let t = common::open();
    let db = &t.db;
    let code = |r: aerolite::Result<()>| r.err().map(|e| e.code());
    let p = Some(ResultCode::ParameterError);
    let n = IndexType::Numeric;
    let d = Cit::Default;
    // An integer expression under a string index, a list under a default index.
    assert_eq!(
        code(create(db, "x", IndexType::String, d, &exp::int_bin("a"))),
        p
    );
    assert_eq!(code(create(db, "x", n, d, &exp::list_bin("l"))), p);
    assert_eq!(code(create(db, "x", n, Cit::List, &exp::int_bin("a"))), p);
    // Metadata other than the digest, the record key, no bin at all.
    assert_eq!(code(create(db, "x", n, d, &exp::ttl())), p);
    let plus_ttl = exp::num_add(vec![exp::int_bin("a"), exp::ttl()]);
    assert_eq!(code(create(db, "x", n, d, &plus_ttl)), p);
    assert_eq!(code(create(db, "x", n, d, &exp::key(exp::ExpType::INT))), p);
    assert_eq!(code(create(db, "x", n, d, &exp::int_val(3))), p);
    // Ill-typed.
    let bad = exp::num_add(vec![exp::int_bin("a"), exp::string_val("s")]);
    assert_eq!(code(create(db, "x", n, d, &bad)), p);
    // Nothing was registered: a valid index of the name refused above is a fresh one.
    create(db, "x", n, d, &exp::int_bin("x")).expect("nothing half-registered");

    // The digest modulo alone is allowed (it needs no bin).
    create(db, "dm", n, d, &exp::digest_modulo(3)).expect("digest modulo");
    create(db, "ia", n, d, &exp::int_bin("a")).expect("create");
    create(db, "ia", n, d, &exp::int_bin("a")).expect("the same again is a no-op");
    let conflict = Some(ResultCode::IndexAlreadyExists);
    assert_eq!(code(create(db, "ia2", n, d, &exp::int_bin("a"))), conflict);
    assert_eq!(code(create(db, "ia", n, d, &exp::int_bin("b"))), conflict);
    // A bin index on the same bin is another index.
    db.create_index_on_bin(&AdminPolicy::default(), "test", "e", "a", "ba", n, d, None)
        .expect("bin index")
        .wait_till_complete()
        .expect("built");

    for i in 0..30 {
        let k = Key::new("test", "e", i).expect("key");
        db.put(&WritePolicy::default(), &k, &[as_bin!("a", i)])
            .expect("put");
    }
    let q = |f: Filter| -> aerolite::Result<usize> {
        let mut st = Statement::new("test", "e", Bins::All);
        st.set_filter(f);
        Ok(db
            .query(&QueryPolicy::default(), PartitionFilter::all(), st)?
            .count())
    };
    let by_exp = Filter::range("a", 0, 9).expression(exp::int_bin("a"));
    assert_eq!(q(by_exp.clone()).expect("expression query"), 10);
    assert_eq!(q(Filter::range("a", 0, 9)).expect("bin query"), 10);
    let none = Filter::range("a", 0, 9).expression(exp::int_bin("zz"));
    assert_eq!(
        q(none).err().map(|e| e.code()),
        Some(ResultCode::IndexNotFound)
    );
    let dm = q(Filter::equal("", 1).expression(exp::digest_modulo(3))).expect("dm");
    assert!(dm > 0 && dm < 30, "about a third of the records: {dm}");
    db.drop_index(&AdminPolicy::default(), "test", "e", "ia")
        .expect("drop");
    assert_eq!(
        q(by_exp).err().map(|e| e.code()),
        Some(ResultCode::IndexNotFound)
    );
}
