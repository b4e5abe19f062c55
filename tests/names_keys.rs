//! Namespaces, sets, keys, digests and partitions (record-model.md §2, K-* rows) through the
//! public API: name rules and their codes, key types and their digest input, the §2.5 test
//! vectors, digest-only addressing, and records identified by (namespace, digest).

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    Database, DatabaseConfig, Key, ManualClock, NamespaceConfig, ResultCode as RC, Value,
};
use sem::*;
use std::sync::Arc;

/// K-NS-NAME: 1–31 bytes without NUL at open; an unknown namespace → 20 for every request.
#[test]
fn k_ns_name() {
    for bad in ["", &"n".repeat(32), "a\0b"] {
        let r = Database::open(DatabaseConfig::memory(bad).background_threads(false));
        assert_eq!(
            r.err().map(|e| e.code()),
            Some(RC::ParameterError),
            "{bad:?}"
        );
    }
    let ok = Database::open(DatabaseConfig::memory(&"n".repeat(31)).background_threads(false));
    assert!(ok.is_ok());
    let t = common::open();
    let k = Key::new("missing-ns", SET, 1).expect("key");
    assert_eq!(
        rc(&t.db.put(&wp(), &k, &[bin("a", 1)])),
        RC::InvalidNamespace
    );
    assert_eq!(rc(&get(&t, &k)), RC::InvalidNamespace);
    assert_eq!(rc(&t.db.exists(&rp(), &k)), RC::InvalidNamespace);
    assert_eq!(rc(&t.db.touch(&wp(), &k)), RC::InvalidNamespace);
    assert_eq!(rc(&t.db.delete(&wp(), &k)), RC::InvalidNamespace);
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &[aerolite::operations::get()])),
        RC::InvalidNamespace
    );
    let e = t.db.put(&wp(), &k, &[bin("a", 1)]).expect_err("20");
    assert!(!e.in_doubt(), "refused before submission");
}

/// K-SET-NAME: 0–63 bytes without NUL; empty = no set; longer or NUL → 4.
#[test]
fn k_set_name() {
    let t = common::open();
    for ok in ["", "s", &"s".repeat(63)] {
        let k = Key::new(NS, ok, 1).expect("key");
        put_ok(&t, &wp(), &k, &[bin("a", 1)]);
        assert!(get(&t, &k).is_ok(), "{ok:?}");
    }
    for bad in ["s".repeat(64), "\0".into(), "x\0y".into()] {
        let k = Key::new(NS, &bad, 1).expect("key");
        assert_eq!(rc(&t.db.put(&wp(), &k, &[bin("a", 1)])), RC::ParameterError);
        assert_eq!(rc(&get(&t, &k)), RC::ParameterError);
        assert_eq!(rc(&t.db.delete(&wp(), &k)), RC::ParameterError);
    }
}

/// K-SET-COUNT is exercised with all 4095 sets in limits.rs (`l_set`); here: a new record in an
/// existing set never counts as a new set.
#[test]
fn k_set_count_existing_sets_free() {
    let t = common::open();
    for i in 0..100 {
        put_ok(
            &t,
            &wp(),
            &Key::new(NS, "one", i).expect("key"),
            &[bin("a", 1)],
        );
    }
    assert_eq!(t.db.stats().records, 100);
}

/// K-TYPE-INT, K-TYPE-DOUBLE, K-TYPE-STRING, K-TYPE-BYTES, K-DIG-ALG, K-DIG-NOSEP: the digest is
/// RIPEMD-160 of set ‖ type byte ‖ key bytes; integer widths widen to i64; empty string and
/// bytes are valid keys.
#[test]
fn k_types_and_digest_input() {
    // Same bytes, different type byte → different digests.
    let s = Key::new(NS, SET, "s").expect("key");
    let b = Key::new(NS, SET, vec![b's']).expect("key");
    assert_ne!(s.digest, b.digest);
    // i8 / i32 / u16 widen to the same i64 key.
    let a = Key::new(NS, SET, 7i8).expect("key");
    let c = Key::new(NS, SET, 7u16).expect("key");
    let d = Key::new(NS, SET, 7i64).expect("key");
    assert_eq!((a.digest, c.digest), (d.digest, d.digest));
    // No separators: set "ab" + string "c" differs from set "a" + string "bc" only through the
    // type byte position, so they differ.
    let x = Key::new(NS, "ab", "c").expect("key");
    let y = Key::new(NS, "a", "bc").expect("key");
    assert_ne!(x.digest, y.digest);
    let t = common::open();
    for v in [
        Value::Int(0),
        Value::Float(-0.0),
        Value::from(""),
        Value::Blob(vec![]),
    ] {
        let k = Key::new(NS, SET, v.clone()).expect("valid key type");
        let mut p = wp();
        p.send_key = true;
        put_ok(&t, &p, &k, &[bin("a", 1)]);
        assert_eq!(must_get(&t, &k).key, Some(v));
    }
}

/// K-TYPE-OTHER: nil, bool, list, map and GeoJSON keys → 4, at construction and at request time.
#[test]
fn k_type_other() {
    let t = common::open();
    for v in [
        Value::Nil,
        Value::Bool(false),
        Value::list(vec![Value::Int(1)]),
        Value::map(vec![]),
        Value::GeoJSON("{\"type\":\"Point\"}".into()),
    ] {
        let e = Key::new(NS, SET, v.clone()).expect_err("not a key type");
        assert_eq!(e.code(), RC::ParameterError);
        let mut k = key(1);
        k.user_key = Some(v);
        assert_eq!(rc(&t.db.put(&wp(), &k, &[bin("a", 1)])), RC::ParameterError);
        assert_eq!(rc(&get(&t, &k)), RC::ParameterError);
    }
}

fn vec_check(set: &str, v: Value, hex: &str, pid: u16) {
    let k = Key::new(NS, set, v).expect("key");
    assert_eq!(k.digest.to_hex(), hex, "{set:?}");
    assert_eq!(k.partition_id(), pid);
}

/// K-VEC-01 … K-VEC-15, K-PID, K-DIG-NOSET: the §2.5 vectors through the public `Key`.
#[test]
fn k_vec_all() {
    vec_check(
        "set",
        Value::Int(i64::MIN),
        "7185c2a47fb02c996daed26b4e01b83240aee9d4",
        1393,
    ); // K-VEC-01
    vec_check(
        "set",
        Value::Int(i64::MAX),
        "1698328974afa62c8e069860c1516f780d63dbb8",
        2070,
    ); // K-VEC-02
    vec_check(
        "set",
        Value::Int(-1),
        "22116d253745e29fc63fdf760b6e26f7e197e01d",
        290,
    ); // K-VEC-03
    vec_check(
        "set",
        Value::Int(0),
        "93d943aae37b017ad7e011b0c1d2e2143c2fb37d",
        2451,
    ); // K-VEC-04
    vec_check(
        "set",
        Value::Int(1),
        "82d7213b469812947c109a6d341e3b5b1dedec1f",
        1922,
    ); // K-VEC-05
    vec_check(
        "set",
        Value::from(""),
        "2819b1ff6e346a43b4f5f6b77a88bc3eaac22a83",
        2344,
    ); // K-VEC-06
    vec_check(
        "set",
        Value::from("s"),
        "607cddba7cd111745ef0a3d783d57f0e83c8f311",
        3168,
    ); // K-VEC-07
    vec_check(
        "set",
        Value::from("aaaaaaaaaa"),
        "5979fb32a80da070ff356f7695455592272e36c2",
        2393,
    ); // K-VEC-08
    vec_check(
        "set",
        Value::Blob(vec![]),
        "327e2877b8815c7aeede0d5a8620d4ef8df4a4b4",
        3634,
    ); // K-VEC-09
    vec_check(
        "set",
        Value::Blob(b"s".to_vec()),
        "ca2d96dc9a184d15a7fa2927565e844e9254e001",
        3530,
    ); // K-VEC-10
    vec_check(
        "set",
        Value::Blob(b"aaaaaaaaaa".to_vec()),
        "d10982327b2b04c7360579f252e164a75f83cd99",
        2513,
    ); // K-VEC-11
    vec_check(
        "set",
        Value::Float(1.5),
        "6589f3a56d6dbfa4fbc3865ac3114a2b99d6a9b6",
        2405,
    ); // K-VEC-12
    vec_check(
        "",
        Value::from("k1"),
        "50149955959c2fef0a83613ae80c78bb9c96b269",
        1104,
    ); // K-VEC-13
    vec_check(
        "demo",
        Value::Int(1),
        "b7f4b83889e2da67de683e1df6919a1eacc446c8",
        1207,
    ); // K-VEC-14
    vec_check(
        "demo",
        Value::from("key1"),
        "ec91192d4b7f8ce35d5d78d34bca65cbaaaac960",
        492,
    ); // K-VEC-15
       // K-PID on a synthetic digest: low 12 bits of the little-endian first bytes.
    let k = Key::from_digest(
        NS,
        "",
        [
            0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    assert_eq!(k.partition_id(), 4095);
    let k = Key::from_digest(
        NS,
        "",
        [
            0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    assert_eq!(k.partition_id(), 0x234);
}

/// K-DIG-NONS, K-DIG-ID: the namespace is not part of the digest; a record is identified by
/// (namespace, digest), so the same key in two namespaces is two records.
#[test]
fn k_dig_nons_and_id() {
    let a = Key::new("ns1", SET, "k").expect("key");
    let b = Key::new("ns2", SET, "k").expect("key");
    assert_eq!(a.digest, b.digest);
    let (ns1, _) = common::with_backend(NamespaceConfig::new("ns1"));
    let (ns2, _) = common::with_backend(NamespaceConfig::new("ns2"));
    let db = Database::open(
        DatabaseConfig::with_namespaces(vec![ns1, ns2])
            .clock(Arc::new(ManualClock::at_2026()))
            .background_threads(false),
    )
    .expect("two namespaces");
    db.put(&wp(), &a, &[bin("v", 1)]).expect("put ns1");
    assert_eq!(
        rc(&db.get(&rp(), &b, aerolite::Bins::All)),
        RC::KeyNotFoundError
    );
    db.put(&wp(), &b, &[bin("v", 2)]).expect("put ns2");
    let ra = db.get(&rp(), &a, aerolite::Bins::All).expect("a");
    assert_eq!(ra.bin("v"), Some(&Value::Int(1)));
}

/// K-DIG-DIRECT, K-DIG-ID: a caller-supplied digest addresses the same record as the key it came
/// from; it is never recomputed or checked against a stored key; the set is stored with the
/// record, not used to find it.
#[test]
fn k_dig_direct() {
    let t = common::open();
    let k = key(42);
    let mut p = wp();
    p.send_key = true;
    put_ok(&t, &p, &k, &[bin("a", 1)]);
    let d = Key::from_digest(NS, SET, k.digest.0);
    assert_eq!(must_get(&t, &d).key, Some(Value::Int(42)));
    put_ok(&t, &wp(), &d, &[bin("a", 2)]);
    assert_eq!(must_get(&t, &k).bin("a"), Some(&Value::Int(2)));
    // An arbitrary digest is a record of its own.
    let z = Key::from_digest(NS, SET, [9u8; 20]);
    put_ok(&t, &wp(), &z, &[bin("a", 3)]);
    assert_eq!(must_get(&t, &z).key, None);
}
