//! Values and bins through put / get (record-model.md §3 V-* rows, §4 B-* rows): every particle
//! type round-trips exactly, Nil deletes, types change freely, equality is the CDT order's.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{ReadPolicy, ResultCode as RC, Value};
use sem::*;

/// V-INT, V-DOUBLE, V-STRING, V-BYTES, V-BOOL, V-MAP, V-LIST, V-GEOJSON: each type round-trips.
#[test]
fn v_types_round_trip() {
    let t = common::open();
    let k = key(1);
    let vals = vec![
        ("int", Value::Int(i64::MIN)),
        ("dbl", Value::Float(-1.25e300)),
        ("str", Value::from("héllo")),
        ("emptystr", Value::from("")),
        ("bytes", Value::Blob(vec![0, 255, 7])),
        ("bool", Value::Bool(true)),
        (
            "map",
            Value::map(vec![(Value::from("k"), Value::list(vec![Value::Int(1)]))]),
        ),
        (
            "list",
            Value::list(vec![Value::Nil, Value::Float(2.0), Value::from("x")]),
        ),
        (
            "geo",
            Value::GeoJSON("{\"type\":\"Point\",\"coordinates\":[1,2]}".into()),
        ),
    ];
    let bins: Vec<_> = vals.iter().map(|(n, v)| bin(n, v.clone())).collect();
    put_ok(&t, &wp(), &k, &bins);
    let got = must_get(&t, &k);
    for (n, v) in &vals {
        let g = got.bin(n).expect("bin present");
        assert_eq!(g, v, "{n}");
        assert_eq!(g.particle_type(), v.particle_type(), "{n}");
    }
}

/// V-DOUBLE: any bit pattern (NaN payloads, infinities, −0.0) is stored as given.
#[test]
fn v_double_bits_exact() {
    let t = common::open();
    let k = key(1);
    for bits in [
        f64::NAN.to_bits(),
        0x7ff8_0000_dead_beef,
        f64::INFINITY.to_bits(),
        f64::NEG_INFINITY.to_bits(),
        (-0.0f64).to_bits(),
    ] {
        put_ok(&t, &wp(), &k, &[bin("d", f64::from_bits(bits))]);
        match must_get(&t, &k).bin("d") {
            Some(Value::Float(x)) => assert_eq!(x.to_bits(), bits),
            other => panic!("{other:?}"),
        }
    }
}

/// V-NIL, B-NAME-EMPTY: writing Nil deletes a bin; the empty bin name is a valid bin.
#[test]
fn v_nil_deletes() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("", 1), bin("a", 2)]);
    assert_eq!(must_get(&t, &k).bin(""), Some(&Value::Int(1)));
    put_ok(&t, &wp(), &k, &[bin("", Value::Nil)]);
    let got = must_get(&t, &k);
    assert_eq!(got.bin(""), None);
    assert_eq!(got.bins.len(), 1);
}

/// V-TYPE-CHANGE: a plain write may change a bin's type freely.
#[test]
fn v_type_change() {
    let t = common::open();
    let k = key(1);
    for v in [
        Value::Int(1),
        Value::from("s"),
        Value::list(vec![]),
        Value::Bool(false),
        Value::Float(1.0),
    ] {
        put_ok(&t, &wp(), &k, &[bin("x", v.clone())]);
        assert_eq!(must_get(&t, &k).bin("x"), Some(&v));
    }
}

/// V-EQUALITY: 1 (int) and 1.0 (double) are different values.
#[test]
fn v_equality_int_vs_double() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    let p = ReadPolicy {
        filter_expression: Some(exp::eq(exp::float_bin("a"), exp::float_val(1.0))),
        ..ReadPolicy::default()
    };
    assert_eq!(rc(&t.db.get(&p, &k, aerolite::Bins::All)), RC::FilteredOut);
    assert_ne!(Value::Int(1), Value::Float(1.0));
}
