//! Map get_by_* / remove_by_* through `Database::operate` (cdt.md §3, §4, §5.8): every selector
//! (M-OP-*), every return type (RT-*), Inverted, result order, and the examples M-EX-01 … M-EX-28.

mod cdt_support;
mod common;

use aerolite::operations::maps;
use aerolite::{MapOrder, MapReturnType as RT, Value};
use cdt_support::*;

fn base() -> T {
    let t = open();
    t.set(
        "m",
        mo(&[(0, 17), (4, 2), (5, 15), (9, 10)], MapOrder::KeyOrdered),
    );
    t
}

fn kv(pairs: &[(i64, i64)]) -> Value {
    Value::list(
        pairs
            .iter()
            .map(|&(k, v)| Value::list(vec![k.into(), v.into()]))
            .collect(),
    )
}

/// M-EX-01 … M-EX-14, SEL-KEY-REL, SEL-VALUE-REL, RT-PAIRS, CH-KEYVALUE-PAIRS, M-OP-KEY-REL, M-OP-VALUE-REL.
#[test]
fn m_ex_relative_ranges() {
    let t = base();
    let kr = |k: i64, i: i64, c: Option<i64>| match c {
        None => t.ok(maps::get_by_key_relative_index_range(
            "m",
            k,
            i,
            RT::KeyValue,
        )),
        Some(c) => t.ok(maps::get_by_key_relative_index_range_count(
            "m",
            k,
            i,
            c,
            RT::KeyValue,
        )),
    };
    assert_eq!(kr(5, 0, None), kv(&[(5, 15), (9, 10)]), "M-EX-01");
    assert_eq!(kr(5, 1, None), kv(&[(9, 10)]), "M-EX-02");
    assert_eq!(kr(5, -1, None), kv(&[(4, 2), (5, 15), (9, 10)]), "M-EX-03");
    assert_eq!(kr(3, 2, None), kv(&[(9, 10)]), "M-EX-04");
    assert_eq!(
        kr(3, -2, None),
        kv(&[(0, 17), (4, 2), (5, 15), (9, 10)]),
        "M-EX-05"
    );
    assert_eq!(kr(5, 0, Some(1)), kv(&[(5, 15)]), "M-EX-06");
    assert_eq!(kr(5, 1, Some(2)), kv(&[(9, 10)]), "M-EX-07");
    assert_eq!(kr(5, -1, Some(1)), kv(&[(4, 2)]), "M-EX-08");
    assert_eq!(kr(3, 2, Some(1)), kv(&[(9, 10)]), "M-EX-09");
    assert_eq!(kr(3, -2, Some(2)), kv(&[(0, 17)]), "M-EX-10");
    let vr = |v: i64, r: i64, c: Option<i64>| match c {
        None => t.ok(maps::get_by_value_relative_rank_range(
            "m",
            v,
            r,
            RT::KeyValue,
        )),
        Some(c) => t.ok(maps::get_by_value_relative_rank_range_count(
            "m",
            v,
            r,
            c,
            RT::KeyValue,
        )),
    };
    assert_eq!(vr(11, 1, None), kv(&[(0, 17)]), "M-EX-11");
    assert_eq!(
        vr(11, -1, None),
        kv(&[(9, 10), (5, 15), (0, 17)]),
        "M-EX-12"
    );
    assert_eq!(vr(11, 1, Some(1)), kv(&[(0, 17)]), "M-EX-13");
    assert_eq!(vr(11, -1, Some(1)), kv(&[(9, 10)]), "M-EX-14");
}

/// M-EX-15 … M-EX-28, SEL-KEY, SEL-KEY-LIST, CH-SET-SELECTION, SEL-SINGLE, SEL-RANGE, SEL-SET, SEL-INVERTED, SEL-INDEX-MAP, SEL-RANK,
/// CH-RANK-TIES, RT-INVERTED-COUNT, CE-26, RC-26.
#[test]
fn m_ex_selectors() {
    let t = base();
    assert_eq!(
        t.ok(maps::get_by_index("m", -1, RT::Key)),
        Value::Int(9),
        "M-EX-15"
    );
    assert_eq!(
        t.ok(maps::get_by_rank("m", 0, RT::Key)),
        Value::Int(4),
        "M-EX-16"
    );
    assert_eq!(t.code(maps::get_by_index("m", 4, RT::Key)), 26, "M-EX-17");
    assert_eq!(
        t.ok(maps::get_by_index_range_from("m", 1, RT::Key)),
        li(&[4, 5, 9]),
        "M-EX-18"
    );
    assert_eq!(
        t.ok(maps::get_by_index_range("m", -10, 3, RT::Key)),
        li(&[]),
        "M-EX-19"
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range("m", 0, 2, RT::Key)),
        li(&[4, 9]),
        "M-EX-20"
    );
    assert_eq!(
        t.ok(maps::get_by_value_range("m", 10, 16, RT::Key)),
        li(&[9, 5]),
        "M-EX-21"
    );
    assert_eq!(
        t.ok(maps::get_by_key_range("m", 4, 9, RT::Value)),
        li(&[2, 15]),
        "M-EX-22"
    );
    let m23: Vec<Value> = [RT::Index, RT::ReverseIndex, RT::Rank, RT::ReverseRank]
        .into_iter()
        .map(|rt| t.ok(maps::get_by_key("m", 5, rt)))
        .collect();
    assert_eq!(m23, vec![2.into(), 1.into(), 2.into(), 1.into()], "M-EX-23");
    let m24: Vec<Value> = [RT::Index, RT::Value, RT::Count, RT::Exists]
        .into_iter()
        .map(|rt| t.ok(maps::get_by_key("m", 7, rt)))
        .collect();
    assert_eq!(
        m24,
        vec![(-1).into(), Value::Nil, 0.into(), false.into()],
        "M-EX-24"
    );
    assert_eq!(
        t.code(maps::get_by_rank("m", 1, RT::Key | RT::Inverted)),
        26,
        "M-EX-25"
    );
    assert_eq!(
        t.ok(maps::get_by_key_list("m", li(&[9, 0, 9, 7]), RT::Key)),
        li(&[0, 9]),
        "M-EX-26"
    );
    let g = t.gen();
    assert_eq!(
        t.ok(maps::remove_by_index_range(
            "m",
            -2,
            -1,
            RT::Count | RT::Inverted
        )),
        Value::Int(2),
        "M-EX-27"
    );
    assert_eq!(t.bin("m"), Some(mi(&[(5, 15), (9, 10)])), "M-EX-27");
    assert_eq!(t.gen(), g + 1);
    let t = open();
    t.set(
        "m",
        Value::map(vec![
            (1.into(), "a".into()),
            (2.into(), "a".into()),
            (3.into(), "b".into()),
        ]),
    );
    assert_eq!(
        t.ok(maps::get_by_rank("m", 0, RT::Key)),
        Value::Int(1),
        "M-EX-28"
    );
    assert_eq!(
        t.ok(maps::get_by_rank("m", 1, RT::Key)),
        Value::Int(2),
        "M-EX-28"
    );
    // Inverted on every single-element selector → 26.
    assert_eq!(
        t.code(maps::get_by_key("m", 1, RT::Value | RT::Inverted)),
        26
    );
    assert_eq!(
        t.code(maps::remove_by_index("m", 0, RT::Value | RT::Inverted)),
        26
    );
}

/// RT-NONE, RT-INDEX, RT-REVINDEX, RT-RANK, RT-REVRANK, RT-COUNT, RT-KEY, RT-VALUE,
/// RT-KEYVALUE, RT-EXISTS, RT-UNORDERED-MAP, RT-ORDERED-MAP (single found / not found, multi found
/// / none), RT-UNKNOWN, RT-INVERTED, RT-INVERTED-COUNT.
#[test]
fn rt_every_return_type() {
    let t = base();
    let single = |rt: RT, k: i64| t.ok(maps::get_by_key("m", k, rt));
    let multi = |rt: RT, b: i64, e: i64| t.ok(maps::get_by_key_range("m", b, e, rt));
    let one = |k: i64, v: i64, o: MapOrder| mo(&[(k, v)], o);
    let none_u = mo(&[], MapOrder::Unordered);
    let rows: Vec<(RT, Value, Value, Value, Value)> = vec![
        (RT::None, Value::Nil, Value::Nil, Value::Nil, Value::Nil),
        (RT::Index, 1.into(), (-1).into(), li(&[1, 2]), li(&[])),
        (
            RT::ReverseIndex,
            2.into(),
            (-1).into(),
            li(&[2, 1]),
            li(&[]),
        ),
        (RT::Rank, 0.into(), (-1).into(), li(&[0, 2]), li(&[])),
        (RT::ReverseRank, 3.into(), (-1).into(), li(&[3, 1]), li(&[])),
        (RT::Count, 1.into(), 0.into(), 2.into(), 0.into()),
        (RT::Key, 4.into(), Value::Nil, li(&[4, 5]), li(&[])),
        (RT::Value, 2.into(), Value::Nil, li(&[2, 15]), li(&[])),
        (
            RT::KeyValue,
            kv(&[(4, 2)]),
            li(&[]),
            kv(&[(4, 2), (5, 15)]),
            li(&[]),
        ),
        (
            RT::Exists,
            true.into(),
            false.into(),
            true.into(),
            false.into(),
        ),
        (
            RT::UnorderedMap,
            one(4, 2, MapOrder::Unordered),
            none_u.clone(),
            mo(&[(4, 2), (5, 15)], MapOrder::Unordered),
            none_u.clone(),
        ),
        (
            RT::OrderedMap,
            one(4, 2, MapOrder::KeyOrdered),
            mo(&[], MapOrder::KeyOrdered),
            mo(&[(4, 2), (5, 15)], MapOrder::KeyOrdered),
            mo(&[], MapOrder::KeyOrdered),
        ),
    ];
    for (rt, found, not_found, many, nothing) in rows {
        assert_eq!(single(rt, 4), found, "{rt:?} single found");
        assert_eq!(single(rt, 7), not_found, "{rt:?} single not found");
        assert_eq!(multi(rt, 4, 6), many, "{rt:?} multi");
        assert_eq!(multi(rt, 6, 9), nothing, "{rt:?} multi none");
    }
    let ordered = t.ok(maps::get_by_key("m", 4, RT::OrderedMap));
    assert_eq!(map_order(&ordered), Some(MapOrder::KeyOrdered));
    assert_eq!(
        map_order(&t.ok(maps::get_by_key("m", 4, RT::UnorderedMap))),
        Some(MapOrder::Unordered)
    );
    // RT-INVERTED / RT-INVERTED-COUNT: complement, reported with the base type.
    assert_eq!(multi(RT::Key | RT::Inverted, 4, 6), li(&[0, 9]));
    assert_eq!(multi(RT::Count | RT::Inverted, 4, 6), Value::Int(2));
    assert_eq!(multi(RT::Exists | RT::Inverted, 0, 100), Value::Bool(false));
    assert_eq!(multi(RT::Exists | RT::Inverted, 4, 6), Value::Bool(true));
    // RT-UNKNOWN.
    for bad in [9u32, 12, 18, 0x20000] {
        assert_eq!(
            t.code(maps::get_by_key(
                "m",
                4,
                aerolite::MapReturnType::from_code(bad)
            )),
            4
        );
    }
}

/// SEL-RESULT-ORDER, CH-RESULT-ORDER: rank-ordered selectors, index order otherwise and when
/// inverted, Rank results ascending, by_value_list Rank results in payload order; SEL-VALUE.
#[test]
fn sel_result_order() {
    let t = base(); // key order 0,4,5,9; ranks: 4:2 (0), 9:10 (1), 5:15 (2), 0:17 (3)
    assert_eq!(
        t.ok(maps::get_by_rank_range_from("m", 1, RT::Key)),
        li(&[9, 5, 0])
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range_from("m", 1, RT::Key | RT::Inverted)),
        li(&[4])
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range("m", 0, 3, RT::Key | RT::Inverted)),
        li(&[0])
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range_from("m", 1, RT::Rank)),
        li(&[1, 2, 3])
    );
    assert_eq!(
        t.ok(maps::get_by_rank_range_from("m", 1, RT::ReverseRank)),
        li(&[2, 1, 0])
    );
    assert_eq!(
        t.ok(maps::get_by_value_range("m", 0, 16, RT::Index)),
        li(&[1, 3, 2])
    );
    assert_eq!(
        t.ok(maps::get_by_value_range("m", 0, 16, RT::Rank)),
        li(&[0, 1, 2])
    );
    assert_eq!(
        t.ok(maps::get_by_value_range(
            "m",
            0,
            16,
            RT::Index | RT::Inverted
        )),
        li(&[0])
    );
    assert_eq!(
        t.ok(maps::get_by_value_range(
            "m",
            10,
            100,
            RT::Rank | RT::Inverted
        )),
        li(&[0])
    );
    // Index-ordered selectors with a Rank return type list ranks in index order.
    assert_eq!(
        t.ok(maps::get_by_index_range_from("m", 0, RT::Rank)),
        li(&[3, 0, 2, 1])
    );
    assert_eq!(
        t.ok(maps::get_by_key_list("m", li(&[9, 0]), RT::Rank)),
        li(&[3, 1])
    );
    // by_value_list: payload order for Rank, index order otherwise, rank order inverted.
    let vl = li(&[17, 2, 10, 17]);
    assert_eq!(
        t.ok(maps::get_by_value_list("m", vl.clone(), RT::Rank)),
        li(&[3, 0, 1])
    );
    assert_eq!(
        t.ok(maps::get_by_value_list("m", vl.clone(), RT::Key)),
        li(&[0, 4, 9])
    );
    assert_eq!(
        t.ok(maps::get_by_value_list(
            "m",
            li(&[2]),
            RT::Rank | RT::Inverted
        )),
        li(&[1, 2, 3])
    );
    assert_eq!(
        t.ok(maps::get_by_value_list(
            "m",
            li(&[2]),
            RT::Key | RT::Inverted
        )),
        li(&[0, 5, 9])
    );
    // by_value: every entry with the value.
    t.ok(maps::put(&aerolite::MapPolicy::default(), "m", 1, 10));
    assert_eq!(t.ok(maps::get_by_value("m", 10, RT::Key)), li(&[1, 9]));
    assert_eq!(t.ok(maps::get_by_value("m", 10, RT::Rank)), li(&[1, 2]));
}

/// M-OP-KEY … M-OP-RANK-RANGE: every remove_by_* twin selects like get_by_* and deletes the
/// selection; indexes in results refer to the map before removal. SEL-INTERVAL open bounds and
/// `begin ≥ end`; CDT-EMPTY-STAYS; CDT-PAYLOAD on key/value lists.
#[test]
fn m_op_remove_twins() {
    let all = [(0, 17), (4, 2), (5, 15), (9, 10)];
    let left = |keep: &[i64]| {
        mi(&all
            .iter()
            .copied()
            .filter(|(k, _)| keep.contains(k))
            .collect::<Vec<_>>())
    };
    let cases: Vec<(&str, aerolite::Operation, Value, Value)> = vec![
        (
            "M-OP-KEY",
            maps::remove_by_key("m", 5, RT::Index),
            2.into(),
            left(&[0, 4, 9]),
        ),
        (
            "M-OP-KEY-LIST",
            maps::remove_by_key_list("m", li(&[9, 4, 3]), RT::Index),
            li(&[1, 3]),
            left(&[0, 5]),
        ),
        (
            "M-OP-KEY-INTERVAL",
            maps::remove_by_key_range("m", Value::Nil, 5, RT::Count),
            2.into(),
            left(&[5, 9]),
        ),
        (
            "M-OP-KEY-INTERVAL open end",
            maps::remove_by_key_range("m", 5, Value::Nil, RT::Count),
            2.into(),
            left(&[0, 4]),
        ),
        (
            "SEL-INTERVAL begin>=end",
            maps::remove_by_key_range("m", 9, 4, RT::Count),
            0.into(),
            left(&[0, 4, 5, 9]),
        ),
        (
            "M-OP-KEY-REL",
            maps::remove_by_key_relative_index_range_count("m", 4, 1, 2, RT::Key),
            li(&[5, 9]),
            left(&[0, 4]),
        ),
        (
            "M-OP-INDEX",
            maps::remove_by_index("m", 0, RT::Value),
            17.into(),
            left(&[4, 5, 9]),
        ),
        (
            "M-OP-INDEX-RANGE",
            maps::remove_by_index_range("m", 1, 2, RT::Key),
            li(&[4, 5]),
            left(&[0, 9]),
        ),
        (
            "M-OP-VALUE",
            maps::remove_by_value("m", 15, RT::Key),
            li(&[5]),
            left(&[0, 4, 9]),
        ),
        (
            "M-OP-VALUE-LIST",
            maps::remove_by_value_list("m", li(&[2, 17]), RT::Key),
            li(&[0, 4]),
            left(&[5, 9]),
        ),
        (
            "M-OP-VALUE-INTERVAL",
            maps::remove_by_value_range("m", 10, Value::Nil, RT::Key),
            li(&[9, 5, 0]),
            left(&[4]),
        ),
        (
            "M-OP-VALUE-REL",
            maps::remove_by_value_relative_rank_range_count("m", 10, 0, 2, RT::Key),
            li(&[9, 5]),
            left(&[0, 4]),
        ),
        (
            "M-OP-RANK",
            maps::remove_by_rank("m", -1, RT::Key),
            0.into(),
            left(&[4, 5, 9]),
        ),
        (
            "M-OP-RANK-RANGE",
            maps::remove_by_rank_range_from("m", 0, RT::Count),
            4.into(),
            left(&[]),
        ),
        (
            "M-OP-RANK-RANGE inverted",
            maps::remove_by_rank_range("m", 0, 1, RT::None | RT::Inverted),
            Value::Nil,
            left(&[4]),
        ),
    ];
    for (id, op, result, after) in cases {
        let t = base();
        assert_eq!(t.ok(op), result, "{id}");
        assert_eq!(t.bin("m"), Some(after), "{id}");
    }
    let t = base();
    assert_eq!(t.code(maps::get_by_key_list("m", 5, RT::Key)), 4);
    assert_eq!(t.code(maps::remove_by_value_list("m", "x", RT::Key)), 4);
}
