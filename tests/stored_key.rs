//! Stored user key (record-model.md §18 SK-* rows; WP-14, RP-07, DP-09): stored on send_key,
//! never removed, kept by tombstones, discarded with an expired record, not stored by a failed
//! write, returned by reads, and checked against every request that carries a user key.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, Key, RecordExistsAction as A, ResultCode as RC, Value};
use sem::*;

fn send() -> aerolite::WritePolicy {
    let mut p = wp();
    p.send_key = true;
    p
}

/// A request for the same digest as `k` carrying a different user key (a digest collision,
/// constructed by hand).
fn forged(k: &Key, other: impl Into<Value>) -> Key {
    let mut f = Key::new(NS, SET, other).expect("key");
    f.digest = k.digest;
    f
}

/// SK-STORE, SK-RETURN: send_key stores `[type][bytes]`; reads return it; without send_key no
/// key is stored; a later write with send_key stores it on a record that has none.
#[test]
fn sk_store_and_return() {
    let t = common::open();
    for (i, v) in [
        Value::Int(-5),
        Value::from("user-1"),
        Value::Blob(vec![0, 1, 2]),
        Value::Float(2.5),
    ]
    .into_iter()
    .enumerate()
    {
        let k = Key::new(NS, SET, v.clone()).expect("key");
        let w = put_ok(&t, &send(), &k, &[bin("a", i as i64)]);
        assert_eq!(w.key, Some(v.clone()), "write reports the stored key");
        assert_eq!(must_get(&t, &k).key, Some(v.clone()));
        assert_eq!(t.db.get_header(&rp(), &k).expect("h").key, Some(v));
    }
    let k = key(100);
    put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    assert_eq!(must_get(&t, &k).key, None);
    put_ok(&t, &send(), &k, &[bin("a", 2)]);
    assert_eq!(must_get(&t, &k).key, Some(Value::Int(100)));
}

/// SK-KEEP: never removed by later writes (with or without send_key, Replace included); survives
/// a durable delete in the tombstone and a write over that tombstone.
#[test]
fn sk_keep() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &send(), &k, &[bin("a", 1)]);
    put_ok(&t, &wp(), &k, &[bin("a", 2)]);
    put_ok(&t, &act(A::Replace), &k, &[bin("b", 2)]);
    let direct = by_digest(&k, SET);
    put_ok(&t, &wp(), &direct, &[bin("c", 3)]);
    assert_eq!(must_get(&t, &direct).key, Some(Value::Int(1)));
    assert!(t.db.delete(&durable(), &direct).expect("durable delete"));
    // The tombstone keeps the key: a request with another user key is refused (WP-14).
    let r = t.db.put(&wp(), &forged(&k, 2), &[bin("z", 1)]);
    assert_eq!(rc(&r), RC::KeyMismatch);
    put_ok(&t, &wp(), &direct, &[bin("d", 4)]);
    assert_eq!(must_get(&t, &direct).key, Some(Value::Int(1)));
}

/// SK-MISMATCH: write, read and delete carrying a different user key → 19; a digest-only
/// request is never checked; the same key passes.
#[test]
fn sk_mismatch_every_path() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &send(), &k, &[bin("a", 1)]);
    let before = observe(&t, &k);
    for other in [Value::Int(2), Value::from("1"), Value::Blob(vec![1])] {
        let f = forged(&k, other);
        assert_eq!(rc(&t.db.put(&wp(), &f, &[bin("a", 9)])), RC::KeyMismatch);
        assert_eq!(rc(&t.db.touch(&wp(), &f)), RC::KeyMismatch);
        assert_eq!(
            rc(&t.db.operate(&wp(), &f, &[op::add(&bin("a", 1))])),
            RC::KeyMismatch
        );
        assert_eq!(rc(&get(&t, &f)), RC::KeyMismatch);
        assert_eq!(rc(&t.db.operate(&wp(), &f, &[op::get()])), RC::KeyMismatch);
        assert_eq!(rc(&t.db.delete(&wp(), &f)), RC::KeyMismatch);
        assert_eq!(rc(&t.db.delete(&durable(), &f)), RC::KeyMismatch);
    }
    assert_eq!(observe(&t, &k), before);
    assert!(get(&t, &k).is_ok());
    assert!(get(&t, &by_digest(&k, SET)).is_ok());
    // A record without a stored key accepts any user key for its digest.
    let k2 = key(2);
    put_ok(&t, &wp(), &k2, &[bin("a", 1)]);
    assert!(get(&t, &forged(&k2, 3)).is_ok());
}

/// SK-EXP: a write over an expired record discards the old stored key and may store the new one;
/// a mismatching key is not checked against the discarded record.
#[test]
fn sk_exp() {
    let t = common::open();
    let k = key(1);
    let mut p = send();
    p.expiration = aerolite::Expiration::Seconds(5);
    put_ok(&t, &p, &k, &[bin("a", 1)]);
    t.clock.advance_s(6);
    let f = forged(&k, "new-key");
    let w = put_ok(&t, &send(), &f, &[bin("a", 2)]);
    assert_eq!(w.generation, 1);
    assert_eq!(must_get(&t, &f).key, Some(Value::from("new-key")));
}

/// SK-FAIL: a failed write stores no key.
#[test]
fn sk_fail() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    let r = t.db.put(
        &{
            let mut p = send();
            p.generation_policy = aerolite::GenerationPolicy::ExpectGenEqual;
            p.generation = 9;
            p
        },
        &k,
        &[bin("a", 2)],
    );
    assert_eq!(rc(&r), RC::GenerationError);
    let r = t.db.operate(&send(), &k, &[op::append(&bin("a", "x"))]);
    assert_eq!(rc(&r), RC::BinTypeError);
    assert_eq!(must_get(&t, &k).key, None);
    // ... so a different user key is still accepted afterwards.
    assert!(get(&t, &forged(&k, 77)).is_ok());
}
