//! List get_by_* / remove_by_* and the legacy index forms through `Database::operate`
//! (cdt.md §6.8, §3, §4): L-OP-*, L-EX-01 … L-EX-23, list return types, CDT-COUNT-ARG.

mod cdt_support;
mod common;

use aerolite::operations::lists;
use aerolite::{ListOrderType as O, ListReturnType as RT, Value};
use cdt_support::*;

/// L-EX-01 … L-EX-12 on the ordered list `[0, 4, 5, 9, 11, 15]`, L-OP-VALUE-REL, SEL-VALUE-REL.
#[test]
fn l_ex_value_relative() {
    let t = open();
    t.set("l", lo(&[0, 4, 5, 9, 11, 15], O::Ordered));
    let r = |v: i64, rank: i64, c: Option<i64>| match c {
        None => t.ok(lists::get_by_value_relative_rank_range(
            "l",
            v,
            rank,
            RT::Value,
        )),
        Some(c) => t.ok(lists::get_by_value_relative_rank_range_count(
            "l",
            v,
            rank,
            c,
            RT::Value,
        )),
    };
    type Row = (&'static str, i64, i64, Option<i64>, &'static [i64]);
    let rows: Vec<Row> = vec![
        ("L-EX-01", 5, 0, None, &[5, 9, 11, 15]),
        ("L-EX-02", 5, 1, None, &[9, 11, 15]),
        ("L-EX-03", 5, -1, None, &[4, 5, 9, 11, 15]),
        ("L-EX-04", 3, 0, None, &[4, 5, 9, 11, 15]),
        ("L-EX-05", 3, 3, None, &[11, 15]),
        ("L-EX-06", 3, -3, None, &[0, 4, 5, 9, 11, 15]),
        ("L-EX-07", 5, 0, Some(2), &[5, 9]),
        ("L-EX-08", 5, 1, Some(1), &[9]),
        ("L-EX-09", 5, -1, Some(2), &[4, 5]),
        ("L-EX-10", 3, 0, Some(1), &[4]),
        ("L-EX-11", 3, 3, Some(7), &[11, 15]),
        ("L-EX-12", 3, -3, Some(2), &[]),
    ];
    for (id, v, rank, c, want) in rows {
        assert_eq!(r(v, rank, c), li(want), "{id}");
    }
}

/// L-EX-13 … L-EX-21 on the unordered list `[7, 3, 7, 1]`, L-OP-INDEX, L-OP-RANK, L-OP-VALUE,
/// L-OP-RANK-RANGE, L-OP-VALUE-INTERVAL, L-OP-INDEX-RANGE, CH-RANK-TIES, §4 map-only types → 26.
#[test]
fn l_ex_unordered() {
    let t = open();
    t.set("l", li(&[7, 3, 7, 1]));
    assert_eq!(
        t.ok(lists::get_by_rank("l", 0, RT::Value)),
        Value::Int(1),
        "L-EX-13"
    );
    assert_eq!(
        t.ok(lists::get_by_rank("l", 1, RT::Index)),
        Value::Int(1),
        "L-EX-14"
    );
    assert_eq!(
        t.ok(lists::get_by_value("l", 7, RT::Index)),
        li(&[0, 2]),
        "L-EX-15"
    );
    assert_eq!(
        t.ok(lists::get_by_rank_range("l", 2, RT::Index)),
        li(&[0, 2]),
        "L-EX-16"
    );
    assert_eq!(
        t.ok(lists::get_by_value_range("l", 2, 8, RT::Value)),
        li(&[3, 7, 7]),
        "L-EX-17"
    );
    assert_eq!(
        t.code(lists::get_by_index("l", 4, RT::Value)),
        26,
        "L-EX-18"
    );
    assert_eq!(
        t.ok(lists::get_by_index_range_count("l", 2, 10, RT::Value)),
        li(&[7, 1]),
        "L-EX-19"
    );
    assert_eq!(t.code(lists::get_by_index("l", 0, RT::Key)), 26, "L-EX-21");
    for rt in [RT::KeyValue, RT::UnorderedMap, RT::OrderedMap] {
        assert_eq!(t.code(lists::get_by_value_range("l", 0, 9, rt)), 26);
    }
    assert_eq!(
        t.code(lists::get_by_index("l", 0, RT::from_code(11))),
        4,
        "RT-UNKNOWN"
    );
    assert_eq!(
        t.code(lists::get_by_rank("l", 0, RT::Value | RT::Inverted)),
        26,
        "SEL-INVERTED"
    );
    assert_eq!(
        t.ok(lists::remove_by_value("l", 7, RT::Count)),
        Value::Int(2),
        "L-EX-20"
    );
    assert_eq!(t.bin("l"), Some(li(&[3, 1])), "L-EX-20");
}

/// Every list return type on single and multi selectors, found and not; RT-INVERTED-COUNT.
#[test]
fn l_return_types() {
    let t = open();
    t.set("l", li(&[7, 3, 7, 1]));
    let rows: Vec<(RT, Value, Value, Value)> = vec![
        (RT::None, Value::Nil, Value::Nil, Value::Nil),
        (RT::Index, 1.into(), li(&[0, 2]), li(&[])),
        (RT::ReverseIndex, 2.into(), li(&[3, 1]), li(&[])),
        (RT::Rank, 1.into(), li(&[2, 3]), li(&[])),
        (RT::ReverseRank, 2.into(), li(&[1, 0]), li(&[])),
        (RT::Count, 1.into(), 2.into(), 0.into()),
        (RT::Value, 3.into(), li(&[7, 7]), li(&[])),
        (RT::Exists, true.into(), true.into(), false.into()),
    ];
    for (rt, single, many, none) in rows {
        assert_eq!(t.ok(lists::get_by_index("l", 1, rt)), single, "{rt:?}");
        assert_eq!(t.ok(lists::get_by_value("l", 7, rt)), many, "{rt:?}");
        assert_eq!(t.ok(lists::get_by_value("l", 8, rt)), none, "{rt:?}");
    }
    assert_eq!(
        t.ok(lists::get_by_value("l", 7, RT::Count | RT::Inverted)),
        Value::Int(2)
    );
    assert_eq!(
        t.ok(lists::get_by_value("l", 7, RT::Value | RT::Inverted)),
        li(&[3, 1])
    );
    assert_eq!(
        t.ok(lists::get_by_value("l", 7, RT::Rank | RT::Inverted)),
        li(&[0, 1])
    );
    assert_eq!(
        t.ok(lists::get_by_value_list("l", li(&[1, 7]), RT::Rank)),
        li(&[0, 2, 3])
    );
    assert_eq!(
        t.ok(lists::get_by_value_list("l", li(&[1, 7]), RT::Index)),
        li(&[0, 2, 3])
    );
    assert_eq!(
        t.code(lists::get_by_value_list("l", 7, RT::Index)),
        4,
        "CDT-PAYLOAD"
    );
}

/// L-OP-INDEX … L-OP-RANK-RANGE remove twins, L-OP-LEGACY (pop, pop_range, remove,
/// remove_range, trim, get, get_range), SEL-INDEX-LIST, CDT-COUNT-ARG, CDT-EMPTY-STAYS, CDT-ABSENT-REMOVE.
#[test]
fn l_op_remove_and_legacy() {
    let base = [7, 3, 7, 1];
    let cases: Vec<(&str, aerolite::Operation, Value, &[i64])> = vec![
        (
            "L-OP-INDEX",
            lists::remove_by_index("l", -1, RT::Value),
            1.into(),
            &[7, 3, 7],
        ),
        (
            "L-OP-INDEX-RANGE",
            lists::remove_by_index_range("l", 1, RT::Count),
            3.into(),
            &[7],
        ),
        (
            "L-OP-VALUE",
            lists::remove_by_value("l", 3, RT::Index),
            li(&[1]),
            &[7, 7, 1],
        ),
        (
            "L-OP-VALUE-LIST",
            lists::remove_by_value_list("l", li(&[1, 3]), RT::Count),
            2.into(),
            &[7, 7],
        ),
        (
            "L-OP-VALUE-INTERVAL",
            lists::remove_by_value_range("l", Value::Nil, 7, RT::Value),
            li(&[1, 3]),
            &[7, 7],
        ),
        (
            "L-OP-VALUE-REL",
            lists::remove_by_value_relative_rank_range_count("l", 3, 1, 1, RT::Index),
            li(&[0]),
            &[3, 7, 1],
        ),
        (
            "L-OP-RANK",
            lists::remove_by_rank("l", 0, RT::Index),
            3.into(),
            &[7, 3, 7],
        ),
        (
            "L-OP-RANK-RANGE",
            lists::remove_by_rank_range_count("l", -2, 2, RT::Value),
            li(&[7, 7]),
            &[3, 1],
        ),
        ("pop", lists::pop("l", 1), 3.into(), &[7, 7, 1]),
        (
            "pop_range",
            lists::pop_range("l", 1, 2),
            li(&[3, 7]),
            &[7, 1],
        ),
        (
            "pop_range_from",
            lists::pop_range_from("l", -1),
            li(&[1]),
            &[7, 3, 7],
        ),
        ("remove", lists::remove("l", 0), 1.into(), &[3, 7, 1]),
        (
            "remove_range",
            lists::remove_range("l", 0, 2),
            2.into(),
            &[7, 1],
        ),
        (
            "remove_range_from",
            lists::remove_range_from("l", 2),
            2.into(),
            &[7, 3],
        ),
        ("trim", lists::trim("l", 1, 2), 2.into(), &[3, 7]),
        ("get", lists::get("l", 2), 7.into(), &[7, 3, 7, 1]),
        (
            "get_range",
            lists::get_range("l", 1, 2),
            li(&[3, 7]),
            &[7, 3, 7, 1],
        ),
        (
            "get_range_from",
            lists::get_range_from("l", 3),
            li(&[1]),
            &[7, 3, 7, 1],
        ),
        (
            "remove all",
            lists::remove_by_index_range("l", 0, RT::None),
            Value::Nil,
            &[],
        ),
    ];
    for (id, op, result, after) in cases {
        let t = open();
        t.set("l", li(&base));
        assert_eq!(t.ok(op), result, "{id}");
        assert_eq!(t.bin("l"), Some(li(after)), "{id}");
    }
    // CDT-COUNT-ARG: with [10, 20, 30], trim(2, −1) keeps [30] and returns 2.
    let t = open();
    t.set("l", li(&[10, 20, 30]));
    assert_eq!(t.ok(lists::trim("l", 2, -1)), Value::Int(2));
    assert_eq!(t.bin("l"), Some(li(&[30])));
    assert_eq!(t.ok(lists::get_range("l", 0, -5)), li(&[30]));
    assert_eq!(t.ok(lists::pop("none", 0)), Value::Nil);
    assert_eq!(t.bin("none"), None);
}
