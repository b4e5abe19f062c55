//! Map writes through `Database::operate` (cdt.md §2, §5.1–§5.7): put and put_items with every
//! write-flag combination (M-PUT-*, M-PUTI-*, M-VEC-01 … M-VEC-12), map orders, keys, increment /
//! decrement, clear, size, and the absent-bin rules (CDT-ABSENT-*, DEV-1, DEV-2).

mod cdt_support;
mod common;

use aerolite::operations::maps;
use aerolite::{MapOrder, MapPolicy, MapWriteFlags as F, Value};
use cdt_support::*;

/// A size, or an error code.
type Outcome = Result<i64, i32>;

fn pol(flags: F) -> MapPolicy {
    MapPolicy::new(MapOrder::KeyOrdered, flags)
}

/// Base map of §5.5: `{0: 17, 4: 2, 5: 15, 9: 10}`.
fn base() -> T {
    let t = open();
    t.set("m", mi(&[(0, 17), (4, 2), (5, 15), (9, 10)]));
    t
}

/// M-PUT-NEW, M-PUT-OVERWRITE, M-PUT-CO-NEW, M-PUT-CO-EXISTS, M-PUT-CO-NF-EXISTS,
/// M-PUT-UO-EXISTS, M-PUT-UO-ABSENT, M-PUT-UO-NF-ABSENT, M-PUT-COUO-EXISTS, M-PUT-COUO-ABSENT,
/// M-PUT-PARTIAL, M-PUT-SAME, M-FLAG-VIOLATION, M-FLAG-NOFAIL, CE-23, CE-24, RC-23, RC-24,
/// GC-NOOP.
#[test]
fn m_put_flag_table() {
    let cases: Vec<(F, i64, Outcome, Option<i64>)> = vec![
        // flags, key, result (size or code), value of the key afterwards
        (F::Default, 3, Ok(5), Some(99)),
        (F::Default, 5, Ok(4), Some(99)),
        (F::CreateOnly, 3, Ok(5), Some(99)),
        (F::CreateOnly, 5, Err(24), Some(15)),
        (F::CreateOnly | F::NoFail, 5, Ok(4), Some(15)),
        (F::UpdateOnly, 5, Ok(4), Some(99)),
        (F::UpdateOnly, 3, Err(23), None),
        (F::UpdateOnly | F::NoFail, 3, Ok(4), None),
        (F::CreateOnly | F::UpdateOnly, 5, Err(24), Some(15)),
        (
            F::CreateOnly | F::UpdateOnly | F::NoFail,
            5,
            Ok(4),
            Some(15),
        ),
        (F::CreateOnly | F::UpdateOnly, 3, Err(23), None),
        (F::CreateOnly | F::UpdateOnly | F::NoFail, 3, Ok(4), None),
        (F::CreateOnly | F::Partial, 5, Err(24), Some(15)),
        (F::UpdateOnly | F::Partial | F::NoFail, 3, Ok(4), None),
    ];
    for (flags, key, want, after) in cases {
        let t = base();
        let g = t.gen();
        let got = t
            .one(maps::put(&pol(flags), "m", key, 99))
            .map(|v| v.as_int().expect("size"))
            .map_err(|e| e.code().code());
        assert_eq!(got, want, "flags {flags:?} key {key}");
        let m = t.bin("m").expect("bin");
        let v = entries(&m)
            .into_iter()
            .find(|(k, _)| *k == Value::Int(key))
            .map(|(_, v)| v.as_int().expect("int"));
        assert_eq!(v, after, "flags {flags:?} key {key}");
        // OP-ATOMIC on failure; CDT-NOOP-WRITE / CR-GEN on success (no-ops included).
        assert_eq!(t.gen(), if want.is_ok() { g + 1 } else { g });
    }
    // M-PUT-SAME: equal value, still a write.
    let t = base();
    let g = t.gen();
    assert_eq!(t.ok(maps::put(&pol(F::Default), "m", 5, 15)), Value::Int(4));
    assert_eq!(t.gen(), g + 1);
}

/// M-PUT-ABSENT-BIN, M-PUT-ABSENT-BIN-UO, M-PUT-ABSENT-BIN-UO-NF, M-ORDER-CREATE,
/// CDT-ABSENT-CREATE, CDT-ABSENT-NOOP, DEV-2, Z-CDT-NOOP-MISSING, CR-CREATE-RECORD.
#[test]
fn m_put_absent_bin() {
    let t = open();
    assert_eq!(
        t.ok(maps::put(&pol(F::CreateOnly), "m", "a", 1)),
        Value::Int(1)
    );
    assert_eq!(
        map_order(&t.bin("m").expect("created")),
        Some(MapOrder::KeyOrdered)
    );

    let t = open();
    assert_eq!(t.code(maps::put(&pol(F::UpdateOnly), "m", "a", 1)), 23);
    assert!(!t.exists());
    // Alone on a missing record, a NoFail no-op leaves no bin and the operate returns 2.
    assert_eq!(
        t.code(maps::put(&pol(F::UpdateOnly | F::NoFail), "m", "a", 1)),
        2
    );
    assert!(!t.exists());
    // With another bin written, the record is created without the map bin.
    let rec = t
        .run(&[
            maps::put(&pol(F::UpdateOnly | F::NoFail), "m", "a", 1),
            aerolite::operations::put(&aerolite::Bin::new("x", 1)),
        ])
        .expect("ok");
    assert_eq!(
        rec.bins.iter().next().map(|(_, v)| v.clone()),
        Some(Value::Int(0))
    );
    assert_eq!(t.bin("m"), None);
    assert_eq!(t.bin("x"), Some(Value::Int(1)));
}

/// M-VEC-01 … M-VEC-10, M-PUTI-DEFAULT, M-PUTI-OK, M-PUTI-FAIL, M-PUTI-NF, M-PUTI-NF-P,
/// M-FLAG-PARTIAL.
#[test]
fn m_vec_put_items_vectors() {
    let p = mi(&[(3, 3), (5, 15)]);
    let all5 = mi(&[(0, 17), (3, 3), (4, 2), (5, 15), (9, 10)]);
    let unchanged = mi(&[(0, 17), (4, 2), (5, 15), (9, 10)]);
    let cases: Vec<(&str, F, Value, Outcome, Value)> = vec![
        (
            "M-VEC-01",
            F::CreateOnly | F::Partial | F::NoFail,
            p.clone(),
            Ok(5),
            all5.clone(),
        ),
        (
            "M-VEC-02",
            F::CreateOnly | F::NoFail,
            p.clone(),
            Ok(4),
            unchanged.clone(),
        ),
        (
            "M-VEC-03",
            F::CreateOnly,
            p.clone(),
            Err(24),
            unchanged.clone(),
        ),
        (
            "M-VEC-04",
            F::CreateOnly | F::Partial,
            p.clone(),
            Err(24),
            unchanged.clone(),
        ),
        (
            "M-VEC-05",
            F::UpdateOnly,
            p.clone(),
            Err(23),
            unchanged.clone(),
        ),
        (
            "M-VEC-06",
            F::UpdateOnly | F::NoFail,
            p.clone(),
            Ok(4),
            unchanged.clone(),
        ),
        (
            "M-VEC-07",
            F::UpdateOnly | F::NoFail | F::Partial,
            mi(&[(3, 3), (5, 77)]),
            Ok(4),
            mi(&[(0, 17), (4, 2), (5, 77), (9, 10)]),
        ),
        ("M-VEC-08", F::Default, p.clone(), Ok(5), all5.clone()),
        (
            "M-VEC-09",
            F::CreateOnly | F::UpdateOnly,
            p.clone(),
            Err(23),
            unchanged.clone(),
        ),
        (
            "M-VEC-10",
            F::CreateOnly,
            mi(&[(7, 7), (5, 1)]),
            Err(24),
            unchanged.clone(),
        ),
        (
            "M-PUTI-OK",
            F::UpdateOnly,
            mi(&[(0, 1), (9, 2)]),
            Ok(4),
            mi(&[(0, 1), (4, 2), (5, 15), (9, 2)]),
        ),
    ];
    for (id, flags, payload, want, after) in cases {
        let t = base();
        let got = t
            .one(maps::put_items(&pol(flags), "m", payload))
            .map(|v| v.as_int().expect("size"))
            .map_err(|e| e.code().code());
        assert_eq!(got, want, "{id}");
        assert_eq!(t.bin("m"), Some(after), "{id}");
    }
}

/// M-VEC-11, M-VEC-12, M-PUTI-EMPTY-PAYLOAD, M-PUTI-EMPTY-UO, M-PUTI-EMPTY-UO-NF,
/// M-PUTI-EMPTY-UO-NF-P, M-PUTI-ABSENT-BIN, DEV-1, DEV-2.
#[test]
fn m_puti_empty_and_absent() {
    // M-VEC-11 / DEV-1 on an empty map.
    let t = open();
    t.set("m", mi(&[]));
    let uonfp = F::UpdateOnly | F::NoFail | F::Partial;
    assert_eq!(
        t.ok(maps::put_items(&pol(uonfp), "m", mi(&[(3, 3)]))),
        Value::Int(0)
    );
    assert_eq!(t.bin("m"), Some(mi(&[])));
    assert_eq!(
        t.code(maps::put_items(&pol(F::UpdateOnly), "m", mi(&[(3, 3)]))),
        23
    );
    assert_eq!(
        t.ok(maps::put_items(
            &pol(F::UpdateOnly | F::NoFail),
            "m",
            mi(&[(3, 3)])
        )),
        Value::Int(0)
    );
    // Empty payload: no-op returning n.
    let t = base();
    assert_eq!(
        t.ok(maps::put_items(&pol(F::UpdateOnly), "m", mi(&[]))),
        Value::Int(4)
    );
    // M-VEC-12 / DEV-2 on an absent bin (another bin keeps the record).
    let t = open();
    t.set("x", 1);
    assert_eq!(
        t.ok(maps::put_items(
            &pol(F::UpdateOnly | F::NoFail),
            "m",
            mi(&[(3, 3)])
        )),
        Value::Int(0)
    );
    assert_eq!(t.bin("m"), None);
    assert_eq!(
        t.ok(maps::put_items(&pol(uonfp), "m", mi(&[(3, 3)]))),
        Value::Int(0)
    );
    assert_eq!(t.bin("m"), None);
    assert_eq!(
        t.code(maps::put_items(&pol(F::UpdateOnly), "m", mi(&[(3, 3)]))),
        23
    );
    assert_eq!(
        t.ok(maps::put_items(&pol(F::Default), "m", mi(&[]))),
        Value::Int(0)
    );
    assert_eq!(t.bin("m"), None);
    // M-PUTI-ABSENT-BIN.
    assert_eq!(
        t.ok(maps::put_items(
            &pol(F::CreateOnly),
            "m",
            mi(&[(3, 3), (1, 1)])
        )),
        Value::Int(2)
    );
    let m = t.bin("m").expect("created");
    assert_eq!(map_order(&m), Some(MapOrder::KeyOrdered));
    assert_eq!(m, mi(&[(1, 1), (3, 3)]));
}

/// M-KEY-VALID, M-KEY-INVALID, M-KEY-DUP, M-PUTI-INVALID, M-INC-KEY, CDT-PAYLOAD, M-KEY-ORDER,
/// M-KEY-LOOKUP, CE-4.
#[test]
fn m_key_rules() {
    let t = base();
    for bad in [
        Value::Nil,
        true.into(),
        1.5.into(),
        li(&[1]),
        mi(&[]),
        Value::GeoJSON("{}".into()),
    ] {
        assert_eq!(
            t.code(maps::put(&pol(F::Default), "m", bad.clone(), 1)),
            4,
            "{bad}"
        );
        assert_eq!(
            t.code(maps::increment_value(&pol(F::Default), "m", bad.clone(), 1)),
            4
        );
        assert_eq!(
            t.code(maps::decrement_value(&pol(F::Default), "m", bad.clone(), 1)),
            4
        );
        let payload = Value::Map(aerolite::Map {
            order: MapOrder::Unordered,
            entries: vec![(1.into(), 1.into()), (bad.clone(), 1.into())],
        });
        // M-PUTI-INVALID comes before flag checks: CreateOnly on existing key 0 is not reached.
        assert_eq!(
            t.code(maps::put_items(&pol(F::CreateOnly), "m", payload.clone())),
            4
        );
        // Plain write of a map value with an invalid key.
        assert_eq!(
            t.code(aerolite::operations::put(&aerolite::Bin::new("z", payload))),
            4
        );
        // M-KEY-LOOKUP: selectors accept any value and match nothing.
        assert_eq!(
            t.ok(maps::get_by_key(
                "m",
                bad.clone(),
                aerolite::MapReturnType::Count
            )),
            Value::Int(0)
        );
    }
    let dup = Value::Map(aerolite::Map {
        order: MapOrder::Unordered,
        entries: vec![(1.into(), 1.into()), (1.into(), 2.into())],
    });
    assert_eq!(
        t.code(maps::put_items(&pol(F::Default), "m", dup.clone())),
        4
    );
    assert_eq!(
        t.code(aerolite::operations::put(&aerolite::Bin::new("z", dup))),
        4
    );
    assert_eq!(
        t.code(maps::put_items(&pol(F::Default), "m", li(&[1, 2]))),
        4
    );
    assert_eq!(t.bin("m"), Some(mi(&[(0, 17), (4, 2), (5, 15), (9, 10)])));
    // Valid keys, including empty strings and bytes; key order ints < strings < bytes.
    let t = open();
    for k in [
        Value::Blob(vec![]),
        "".into(),
        "b".into(),
        Value::Int(-3),
        Value::Blob(vec![0]),
    ] {
        t.ok(maps::put(&pol(F::Default), "m", k, 0));
    }
    let keys: Vec<Value> = entries(&t.bin("m").expect("map"))
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        vec![
            Value::Int(-3),
            "".into(),
            "b".into(),
            Value::Blob(vec![]),
            Value::Blob(vec![0])
        ]
    );
}

/// M-INC-ABSENT-KEY, M-INC-INT-INT, M-INC-INT-DBL, M-INC-DBL-INT, M-INC-DBL-DBL,
/// M-INC-NONNUM, M-INC-DELTA-NIL, M-INC-DELTA-BAD, M-INC-ABSENT-BIN, M-INC-FLAGS, M-DEC,
/// M-FLAG-SCOPE, CH-INT-CAST.
#[test]
fn m_increment_decrement() {
    let t = open();
    let co = pol(F::CreateOnly);
    assert_eq!(t.ok(maps::increment_value(&co, "m", "i", 5)), Value::Int(5));
    assert_eq!(
        map_order(&t.bin("m").expect("created")),
        Some(MapOrder::KeyOrdered)
    );
    // Flags ignored: CreateOnly on an existing key still increments.
    assert_eq!(t.ok(maps::increment_value(&co, "m", "i", 2)), Value::Int(7));
    assert_eq!(
        t.ok(maps::increment_value(&co, "m", "i", 2.7)),
        Value::Int(9)
    );
    assert_eq!(
        t.ok(maps::increment_value(&co, "m", "i", -2.7)),
        Value::Int(7)
    );
    assert_eq!(
        t.ok(maps::increment_value(&co, "m", "i", Value::Nil)),
        Value::Int(8)
    );
    assert_eq!(t.ok(maps::decrement_value(&co, "m", "i", 3)), Value::Int(5));
    assert_eq!(
        t.ok(maps::decrement_value(&co, "m", "i", Value::Nil)),
        Value::Int(4)
    );
    assert_eq!(
        t.ok(maps::increment_value(&co, "m", "d", 1.5)),
        Value::Float(1.5)
    );
    assert_eq!(
        t.ok(maps::increment_value(&co, "m", "d", 2)),
        Value::Float(3.5)
    );
    assert_eq!(
        t.ok(maps::decrement_value(&co, "m", "d", 0.5)),
        Value::Float(3.0)
    );
    let uo = pol(F::UpdateOnly);
    assert_eq!(
        t.ok(maps::increment_value(&uo, "m", "new", 1)),
        Value::Int(1)
    );
    t.ok(maps::put(&co, "m", "s", "str"));
    assert_eq!(t.code(maps::increment_value(&co, "m", "s", 1)), 4);
    assert_eq!(t.code(maps::increment_value(&co, "m", "i", "x")), 4);
    assert_eq!(t.code(maps::increment_value(&co, "m", "i", li(&[]))), 4);
    t.ok(maps::put(&co, "m", "max", i64::MAX));
    assert_eq!(
        t.ok(maps::increment_value(&co, "m", "max", 1)),
        Value::Int(i64::MIN)
    );
}

/// M-CLEAR, M-CLEAR-ABSENT, M-SIZE, M-ORDER-CHANGE, M-CREATE (no context), M-ORDER-VALUE,
/// M-ORDER-SEMANTICS, CH-MAP-KEY-ORDER, CDT-ABSENT-READ, CDT-ABSENT-REMOVE, CDT-EMPTY-STAYS, CDT-WRONG-TYPE,
/// CDT-SIZE-RESULT, M-PERSIST-INDEX, CE-12, O-CDT.
#[test]
fn m_clear_size_order() {
    let t = base();
    assert_eq!(t.ok(maps::size("m")), Value::Int(4));
    assert_eq!(t.ok(maps::size("nope")), Value::Nil);
    assert_eq!(t.ok(maps::clear("m")), Value::Nil);
    let m = t.bin("m").expect("empty map stays");
    assert_eq!(m, mi(&[]));
    assert_eq!(map_order(&m), Some(MapOrder::Unordered));
    assert_eq!(t.ok(maps::clear("nope")), Value::Nil);
    assert_eq!(
        t.ok(maps::remove_by_key(
            "nope",
            1,
            aerolite::MapReturnType::Value
        )),
        Value::Nil
    );
    assert_eq!(t.bin("nope"), None);
    // set_order on an existing map keeps entries; on an absent bin creates an empty map.
    let t = base();
    assert_eq!(
        t.ok(maps::set_order("m", MapOrder::KeyValueOrdered)),
        Value::Nil
    );
    let m = t.bin("m").expect("map");
    assert_eq!(map_order(&m), Some(MapOrder::KeyValueOrdered));
    assert_eq!(m, mi(&[(0, 17), (4, 2), (5, 15), (9, 10)]));
    t.ok(maps::create("c", MapOrder::KeyOrdered));
    assert_eq!(
        map_order(&t.bin("c").expect("created")),
        Some(MapOrder::KeyOrdered)
    );
    // M-ORDER-CREATE: the policy's order is ignored for an existing map.
    t.ok(maps::put(
        &MapPolicy::new(MapOrder::Unordered, F::Default),
        "m",
        1,
        1,
    ));
    assert_eq!(
        map_order(&t.bin("m").expect("map")),
        Some(MapOrder::KeyValueOrdered)
    );
    // M-ORDER-VALUE / M-ORDER-SEMANTICS: a plain-written unordered map keeps its attribute
    // and is stored and returned in key order.
    let t = open();
    t.set(
        "u",
        Value::map(vec![
            (9.into(), 0.into()),
            ("a".into(), 0.into()),
            (1.into(), 0.into()),
        ]),
    );
    let u = t.bin("u").expect("map");
    assert_eq!(map_order(&u), Some(MapOrder::Unordered));
    let keys: Vec<Value> = entries(&u).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, vec![Value::Int(1), Value::Int(9), "a".into()]);
    // M-PERSIST-INDEX: no semantic effect.
    let mut p = pol(F::Default);
    p.persist_index = true;
    assert_eq!(t.ok(maps::put(&p, "u", 2, 2)), Value::Int(4));
    // CDT-WRONG-TYPE.
    t.set("s", "str");
    t.set("l", li(&[1]));
    assert_eq!(t.code(maps::put(&pol(F::Default), "s", 1, 1)), 12);
    assert_eq!(t.code(maps::size("l")), 12);
    assert_eq!(
        t.code(maps::get_by_key("l", 1, aerolite::MapReturnType::Value)),
        12
    );
    assert_eq!(t.code(maps::clear("s")), 12);
}
