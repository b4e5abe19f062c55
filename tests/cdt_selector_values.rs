//! The selector-only values WILDCARD and INFINITY (docs/semantics.md Part 2 §1: ORD-WILDCARD,
//! ORD-INFINITY, ORD-WILDCARD-KEY, ORD-SELECTOR-ONLY) through `Database::operate`, and the map
//! index/rank range builders with the official client's arguments (ORD-BUILDERS): each test
//! runs real map and list ops on one record and checks the selected elements, or the code 4 when
//! a selector-only value would be stored.

mod cdt_support;
mod common;

use aerolite::operations::{self, lists, maps};
use aerolite::{as_bin, ListPolicy, ListReturnType as LRT, MapPolicy, MapReturnType as RT, Value};
use cdt_support::*;

fn l(items: Vec<Value>) -> Value {
    Value::list(items)
}

fn wild_1() -> Value {
    l(vec![1.into(), Value::Wildcard])
}

/// ORD-WILDCARD on a list: `[1, WILDCARD]` matches every list of two or more elements that
/// starts with 1, whatever follows; a WILDCARD alone matches every element.
#[test]
fn ord_wildcard_list_by_value() {
    let t = open();
    let stored = vec![
        l(vec![1.into(), 2.into()]),
        l(vec![1.into(), "a".into(), 3.into()]),
        l(vec![1.into()]),
        l(vec![2.into(), 0.into()]),
        l(vec![1.into(), 9.into()]),
    ];
    t.set("l", l(stored.clone()));
    assert_eq!(
        t.ok(lists::get_by_value("l", wild_1(), LRT::Index)),
        li(&[0, 1, 4])
    );
    assert_eq!(
        t.ok(lists::get_by_value("l", Value::Wildcard, LRT::Count)),
        Value::Int(5)
    );
    let inner = l(vec![Value::Wildcard, 0.into()]);
    assert_eq!(
        t.ok(lists::get_by_value_list("l", l(vec![inner]), LRT::Index)),
        li(&[0, 1, 2, 3, 4]),
        "ORD-WILDCARD ends the comparison: [*, 0] matches every non-empty list, [1] included"
    );
    assert_eq!(
        t.ok(lists::remove_by_value("l", wild_1(), LRT::Count)),
        Value::Int(3)
    );
    assert_eq!(
        t.bin("l"),
        Some(l(vec![stored[2].clone(), stored[3].clone()]))
    );
}

/// ORD-WILDCARD on a map's values, and inverted.
#[test]
fn ord_wildcard_map_by_value() {
    let t = open();
    let m = Value::map(vec![
        ("a".into(), l(vec![1.into(), 2.into()])),
        ("b".into(), l(vec![2.into(), 2.into()])),
        ("c".into(), l(vec![1.into(), 5.into()])),
        ("d".into(), 1.into()),
    ]);
    t.set("m", m);
    assert_eq!(
        t.ok(maps::get_by_value("m", wild_1(), RT::Key)),
        l(vec!["a".into(), "c".into()])
    );
    assert_eq!(
        t.ok(maps::get_by_value("m", wild_1(), RT::Key | RT::Inverted)),
        l(vec!["b".into(), "d".into()])
    );
}

/// ORD-INFINITY: a value interval ending at INFINITY reaches the highest value (GeoJSON
/// included); `[[1], [1, INFINITY])` selects every list that starts with 1; a relative rank
/// range anchored at INFINITY starts after the last element.
#[test]
fn ord_infinity_ranges() {
    let t = open();
    let geo = Value::GeoJSON("{}".into());
    let stored = vec![
        l(vec![1.into(), 2.into()]),
        geo.clone(),
        l(vec![1.into(), 9.into(), 9.into()]),
        l(vec![2.into(), 0.into()]),
        l(vec![1.into()]),
        5.into(),
        2.5.into(),
    ];
    t.set("l", l(stored));
    let inf_1 = l(vec![1.into(), Value::Infinity]);
    assert_eq!(
        t.ok(lists::get_by_value_range(
            "l",
            l(vec![1.into()]),
            inf_1,
            LRT::Index
        )),
        li(&[4, 0, 2]),
        "rank order (SEL-RESULT-ORDER): [1] < [1, 2] < [1, 9, 9]"
    );
    assert_eq!(
        t.ok(lists::get_by_value_range(
            "l",
            2.5,
            Value::Infinity,
            LRT::Value
        )),
        l(vec![2.5.into(), geo.clone()])
    );
    assert_eq!(
        t.ok(lists::get_by_value_relative_rank_range(
            "l",
            Value::Infinity,
            -1,
            LRT::Value
        )),
        l(vec![geo]),
        "ORD-INFINITY sorts above GeoJSON: rank -1 from it is the largest element"
    );
    assert_eq!(
        t.ok(lists::get_by_value("l", Value::Infinity, LRT::Count)),
        Value::Int(0)
    );
}

/// ORD-INFINITY on map keys: a key interval ending at INFINITY runs through the last key.
#[test]
fn ord_infinity_key_range() {
    let t = open();
    t.set(
        "m",
        Value::map(vec![
            (1.into(), 1.into()),
            ("b".into(), 2.into()),
            ("c".into(), 3.into()),
            (Value::Blob(vec![0]), 4.into()),
        ]),
    );
    assert_eq!(
        t.ok(maps::get_by_key_range("m", "b", Value::Infinity, RT::Value)),
        li(&[2, 3, 4])
    );
    assert_eq!(
        t.ok(maps::get_by_key("m", Value::Infinity, RT::Value)),
        Value::Nil
    );
}

/// ORD-WILDCARD-KEY: WILDCARD is not a key: by_key and key lists match nothing, and as an
/// interval bound or relative anchor it stands before the first key.
#[test]
fn ord_wildcard_key_matches_no_key() {
    let t = open();
    t.set("m", mi(&[(1, 10), (2, 20), (3, 30)]));
    assert_eq!(
        t.ok(maps::get_by_key("m", Value::Wildcard, RT::Value)),
        Value::Nil
    );
    assert_eq!(
        t.ok(maps::get_by_key_list(
            "m",
            l(vec![Value::Wildcard, 2.into()]),
            RT::Value
        )),
        li(&[20])
    );
    assert_eq!(
        t.ok(maps::get_by_key_range("m", Value::Wildcard, 3, RT::Value)),
        li(&[10, 20])
    );
    assert_eq!(
        t.ok(maps::get_by_key_relative_index_range(
            "m",
            Value::Wildcard,
            1,
            RT::Value
        )),
        li(&[20, 30])
    );
}

/// ORD-SELECTOR-ONLY: neither value is ever stored — as a bin value, inside a list or map
/// value, as a list element, map value or map key written by an op → ParameterError 4, and the
/// record is unchanged.
#[test]
fn ord_selector_only_values_are_not_stored() {
    let t = open();
    t.set("l", li(&[1]));
    let (lp, mp) = (ListPolicy::default(), MapPolicy::default());
    for v in [Value::Wildcard, Value::Infinity] {
        let nested = l(vec![1.into(), v.clone()]);
        let in_map = Value::map(vec![("k".into(), v.clone())]);
        let ops = vec![
            operations::put(&as_bin!("b", v.clone())),
            operations::put(&as_bin!("b", nested.clone())),
            operations::put(&as_bin!("b", in_map.clone())),
            operations::add(&as_bin!("absent", v.clone())),
            lists::append(&lp, "l", v.clone()),
            lists::append(&lp, "l", nested.clone()),
            lists::append_items(&lp, "l", l(vec![v.clone()])),
            lists::insert(&lp, "l", 0, v.clone()),
            lists::set(&lp, "l", 0, v.clone()),
            maps::put(&mp, "m", "k", v.clone()),
            maps::put(&mp, "m", v.clone(), 1),
            maps::put_items(&mp, "m", in_map.clone()),
        ];
        for (i, op) in ops.into_iter().enumerate() {
            assert_eq!(t.code(op), 4, "ORD-SELECTOR-ONLY: op {i} storing {v}");
        }
    }
    assert_eq!(t.bin("l"), Some(li(&[1])));
    assert_eq!(t.bin("m"), None);
    assert_eq!(t.bin("b"), None);
}

/// ORD-BUILDERS: the map index and rank range builders take the official client's arguments —
/// `(bin, index, count, rt)` and `…_from(bin, index, rt)` to the end; list builders keep the
/// official list names (`(bin, index, rt)` to the end, `…_count` with a count).
#[test]
fn ord_builders_official_signatures() {
    let t = open();
    t.set("m", mi(&[(1, 40), (2, 30), (3, 20), (4, 10)]));
    assert_eq!(
        t.ok(maps::get_by_index_range("m", 1, 2, RT::Key)),
        li(&[2, 3])
    );
    assert_eq!(
        t.ok(maps::get_by_index_range_from("m", 1, RT::Key)),
        li(&[2, 3, 4])
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range("m", 0, 2, RT::Key)),
        li(&[4, 3])
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range_from("m", 2, RT::Key)),
        li(&[2, 1])
    );
    assert_eq!(
        t.ok(maps::remove_by_index_range("m", 0, 1, RT::Key)),
        li(&[1])
    );
    assert_eq!(
        t.ok(maps::remove_by_rank_range("m", 0, 1, RT::Key)),
        li(&[4])
    );
    assert_eq!(
        t.ok(maps::remove_by_rank_range_from("m", 1, RT::Key)),
        li(&[2])
    );
    assert_eq!(
        t.ok(maps::remove_by_index_range_from("m", 0, RT::Key)),
        li(&[3])
    );
    t.set("l", li(&[5, 6, 7]));
    assert_eq!(
        t.ok(lists::get_by_index_range("l", 1, LRT::Value)),
        li(&[6, 7])
    );
    assert_eq!(
        t.ok(lists::get_by_index_range_count("l", 0, 2, LRT::Value)),
        li(&[5, 6])
    );
}
