//! `Database::get_with`: a get whose answer is looked at in place (`RecordRef`, `ValueRef`)
//! answers exactly what `get(…, Bins::All)` answers — the same record (metadata, bins in order,
//! values, stored key) and the same result codes (R-MISSING, R-TOMB, R-EXP, RP-03, RP-06 via a
//! filter, RP-07 / SK-MISMATCH), on the lock-free path and on the paths that build an owned
//! record (a filter, a read-touch); the function runs once, and only for a found record.
//! `AEROLITE_BACKEND=device` runs it on the device store.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{Bins, ReadPolicy, Record, ResultCode as RC, Value, ValueRef};
use sem::*;

/// The record `get_with` shows, made owned, and how often the function ran.
fn looked_at(
    t: &common::TestDb,
    policy: &ReadPolicy,
    k: &aerolite::Key,
) -> (aerolite::Result<Record>, u32) {
    let mut calls = 0;
    let r = t.db.get_with(policy, k, |r| {
        calls += 1;
        r.to_record()
    });
    (r.and_then(|r| r), calls)
}

fn many_values() -> Vec<(String, Value)> {
    let mut v = vec![
        ("i".to_string(), Value::Int(-3)),
        ("f".to_string(), Value::Float(2.5)),
        ("b".to_string(), Value::Bool(true)),
        ("s".to_string(), Value::from("text")),
        ("blob".to_string(), Value::Blob(vec![0, 1, 2, 255])),
        (
            "g".to_string(),
            Value::GeoJSON(r#"{"type":"Point","coordinates":[1,2]}"#.into()),
        ),
        (
            "l".to_string(),
            Value::from(vec![Value::Int(1), Value::from("x")]),
        ),
    ];
    // More bins than a RecordRef holds inline (8).
    for i in 0..6 {
        v.push((format!("n{i}"), Value::Int(i)));
    }
    v
}

/// R-ALL, R-LIVE, RP-09, SK-RETURN: every bin in order with its value, the metadata and the
/// stored key, as `get` returns them; `bin` finds each value borrowed, a missing bin is None.
#[test]
fn get_with_sees_what_get_returns() {
    let t = common::open();
    let k = key(1);
    let mut p = wp();
    p.send_key = true;
    let bins: Vec<_> = many_values().into_iter().map(|(n, v)| bin(&n, v)).collect();
    put_ok(&t, &p, &k, &bins);
    let want = must_get(&t, &k);
    let (got, calls) = looked_at(&t, &rp(), &k);
    let got = got.expect("get_with");
    assert_eq!(calls, 1);
    assert_eq!(bins_of(&got), bins_of(&want));
    assert_eq!(
        (
            got.generation,
            got.expiration,
            got.last_update_time,
            got.key.clone()
        ),
        (
            want.generation,
            want.expiration,
            want.last_update_time,
            want.key.clone()
        )
    );
    assert_eq!(got.key, Some(Value::Int(1)));
    t.db.get_with(&rp(), &k, |r| {
        assert_eq!(r.bin_count(), want.bins.len());
        assert_eq!(
            r.bin("blob").expect("decode"),
            Some(ValueRef::Blob(&[0, 1, 2, 255]))
        );
        assert_eq!(r.bin("s").expect("decode"), Some(ValueRef::String("text")));
        assert_eq!(r.bin("n5").expect("decode"), Some(ValueRef::Int(5)));
        assert_eq!(r.bin("absent").expect("decode"), None);
    })
    .expect("get_with");
}

/// R-MISSING, R-TOMB, R-EXP: not visible → 2, and the function never runs.
#[test]
fn get_with_not_visible_is_2_without_calling() {
    for (id, t, k) in not_visible() {
        let (got, calls) = looked_at(&t, &rp(), &k);
        assert_eq!(rc(&got), RC::KeyNotFoundError, "{id}");
        assert_eq!(calls, 0, "{id}");
    }
}

/// RP-07, SK-MISMATCH: a stored key that differs from the request's → 19 as from get; a
/// digest-only key is never checked; RP-03: another set → 4 as from get.
#[test]
fn get_with_key_and_set_checks_match_get() {
    let t = common::open();
    let (k, forged) = key_stored_and_forged(&t);
    let (got, calls) = looked_at(&t, &rp(), &forged);
    assert_eq!(rc(&got), RC::KeyMismatch);
    assert_eq!(calls, 0);
    assert!(looked_at(&t, &rp(), &by_digest(&k, SET)).0.is_ok());
    let other_set = by_digest(&k, "elsewhere");
    assert_eq!(
        rc(&looked_at(&t, &rp(), &other_set).0),
        rc(&get(&t, &other_set))
    );
    assert_eq!(rc(&get(&t, &other_set)), RC::ParameterError);
}

/// R-FILTER, RP-06: a false filter → 27, a true one shows the record (the owned path).
#[test]
fn get_with_filter_is_applied() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let policy = |v| ReadPolicy {
        filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(v))),
        ..ReadPolicy::default()
    };
    let (got, calls) = looked_at(&t, &policy(2), &k);
    assert_eq!((rc(&got), calls), (RC::FilteredOut, 0));
    let (got, calls) = looked_at(&t, &policy(1), &k);
    assert_eq!(calls, 1);
    assert_eq!(bins_of(&got.expect("read")), bins_of(&must_get(&t, &k)));
}

/// RTT-WHEN: a read-touch due through get_with renews the TTL as get would (the owned path),
/// and shows the record as read.
#[test]
fn get_with_read_touch_renews_like_get() {
    let t = common::open();
    let k = key(1);
    put_ok(
        &t,
        &ttl(aerolite::Expiration::Seconds(100)),
        &k,
        &[bin("a", 1)],
    );
    t.clock.advance_s(90);
    let touch = ReadPolicy {
        read_touch_ttl_percent: 50,
        ..ReadPolicy::default()
    };
    let before = must_get(&t, &k);
    let (got, calls) = looked_at(&t, &touch, &k);
    assert_eq!(calls, 1);
    assert_eq!(bins_of(&got.expect("read")), bins_of(&before));
    let after = t.db.get(&rp(), &k, Bins::All).expect("get");
    assert!(
        after.expiration > before.expiration,
        "the touch renewed the void-time ({} → {})",
        before.expiration,
        after.expiration
    );
}
