//! Nested contexts through `Database::operate` (cdt.md §10): the CTX-EX example, every step kind,
//! the error rows (CTX-BIN-TYPE, CTX-STEP-TYPE, CTX-NOT-FOUND, CTX-OP-TYPE, CTX-ABSENT-BIN) and
//! creation (CTX-CREATE, M-CREATE, L-CREATE), including a txn-tag map inside a bin of maps.

mod cdt_support;
mod common;

use aerolite::operations::{lists, maps};
use aerolite::{
    ListOrderType, ListPolicy, ListReturnType, MapOrder, MapPolicy, MapReturnType as RT,
    MapWriteFlags, Operation, Value, CTX,
};
use cdt_support::*;

fn ex() -> T {
    let t = open();
    let u1 = Value::map(vec![("m".into(), 7.into()), ("n".into(), 1.into())]);
    let u2 = Value::list(vec![3.into(), Value::map(vec![("k".into(), 2.into())])]);
    t.set("b", Value::map(vec![("u1".into(), u1), ("u2".into(), u2)]));
    t
}

fn c(op: Operation, ctx: &[CTX]) -> Operation {
    op.set_context(ctx)
}

fn mp() -> MapPolicy {
    MapPolicy::default()
}

/// CTX-EX, CTX-APPLY, CTX-OP-TYPE, CTX-NOT-FOUND, CTX-STEP-TYPE, CE-CTX.
#[test]
fn ctx_ex() {
    let t = ex();
    let before = t.bin("b").expect("bin");
    assert_eq!(
        t.ok(c(maps::put(&mp(), "b", "z", 0), &[CTX::map_key("u1")])),
        Value::Int(3)
    );
    let after = t.bin("b").expect("bin");
    let Value::Map(m) = &after else { panic!("map") };
    assert_eq!(
        m.entries[0].1,
        Value::map(vec![
            ("m".into(), 7.into()),
            ("n".into(), 1.into()),
            ("z".into(), 0.into())
        ])
    );
    let Value::Map(b0) = &before else {
        panic!("map")
    };
    assert_eq!(m.entries[1], b0.entries[1], "the rest unchanged");
    assert_eq!(
        t.ok(c(
            maps::increment_value(&mp(), "b", "k", 5),
            &[CTX::map_key("u2"), CTX::list_index(1)]
        )),
        Value::Int(7)
    );
    let g = t.gen();
    assert_eq!(
        t.code(c(maps::put(&mp(), "b", "x", 1), &[CTX::map_key("u2")])),
        12
    );
    assert_eq!(
        t.code(c(
            maps::put(&mp(), "b", "x", 1),
            &[CTX::map_key("u1"), CTX::map_rank(-1)]
        )),
        12
    );
    assert_eq!(
        t.code(c(maps::put(&mp(), "b", "x", 1), &[CTX::map_key("u3")])),
        26
    );
    assert_eq!(
        t.code(c(
            maps::put(&mp(), "b", "x", 1),
            &[CTX::map_key("u1"), CTX::map_key("n"), CTX::map_key("x")]
        )),
        26
    );
    assert_eq!(t.gen(), g, "OP-ATOMIC: failed ops change nothing");
}

/// CTX-PATH: map_index, map_rank, map_value, list_index, list_rank, list_value (lowest rank
/// among equals), negative indexes; reads with a context.
#[test]
fn ctx_path_steps() {
    let t = open();
    let inner = |x: i64| Value::list(vec![x.into()]);
    // Map {a: [3], b: [1], c: [2]} and list [[5], [4], [4]].
    t.set(
        "m",
        Value::map(vec![
            ("a".into(), inner(3)),
            ("b".into(), inner(1)),
            ("c".into(), inner(2)),
        ]),
    );
    t.set("l", Value::list(vec![inner(5), inner(4), inner(4)]));
    let first = |bin: &str, ctx: &[CTX]| t.ok(c(lists::get(bin, 0), ctx));
    assert_eq!(first("m", &[CTX::map_index(-1)]), Value::Int(2));
    assert_eq!(first("m", &[CTX::map_rank(0)]), Value::Int(1));
    assert_eq!(first("m", &[CTX::map_value(inner(3))]), Value::Int(3));
    assert_eq!(first("m", &[CTX::map_key("b")]), Value::Int(1));
    assert_eq!(first("l", &[CTX::list_index(-3)]), Value::Int(5));
    assert_eq!(first("l", &[CTX::list_rank(-1)]), Value::Int(5));
    // list_value selects the lowest-ranked equal element: index 1 (ties by position).
    t.ok(c(
        lists::append(&ListPolicy::default(), "l", 9),
        &[CTX::list_value(inner(4))],
    ));
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            inner(5),
            Value::list(vec![4.into(), 9.into()]),
            inner(4)
        ]))
    );
    assert_eq!(t.code(c(lists::get("l", 0), &[CTX::list_index(3)])), 26);
    assert_eq!(t.code(c(lists::get("m", 0), &[CTX::map_rank(3)])), 26);
    assert_eq!(
        t.code(c(lists::get("m", 0), &[CTX::map_value(inner(9))])),
        26
    );
    assert_eq!(
        t.code(c(lists::get("m", 0), &[CTX::list_index(0)])),
        26,
        "list step on a map"
    );
    assert_eq!(
        t.code(c(lists::get("l", 0), &[CTX::map_key("a")])),
        26,
        "map step on a list"
    );
    assert_eq!(
        t.code(c(maps::size("l"), &[CTX::list_index(0)])),
        12,
        "CTX-OP-TYPE"
    );
}

/// CTX-APPLY with an enclosing ordered list: the changed element moves to its sorted place; the
/// enclosing map keeps its order attribute.
#[test]
fn ctx_apply_ordered_parent() {
    let t = open();
    let ordered = aerolite::Value::List(aerolite::List {
        order: ListOrderType::Ordered,
        items: vec![li(&[1]), li(&[5])],
    });
    t.set("l", ordered);
    t.ok(c(
        lists::append(&ListPolicy::default(), "l", 0),
        &[CTX::list_index(0)],
    ));
    t.ok(c(
        lists::set(&ListPolicy::default(), "l", 0, 9),
        &[CTX::list_index(0)],
    ));
    assert_eq!(t.bin("l"), Some(Value::list(vec![li(&[5]), li(&[9, 0])])));
    t.set("m", mo(&[], MapOrder::KeyOrdered));
    t.ok(c(
        maps::put(&mp(), "m", "k", 1),
        &[CTX::map_key_create("x", MapOrder::KeyOrdered)],
    ));
    assert_eq!(
        map_order(&t.bin("m").expect("m")),
        Some(MapOrder::KeyOrdered)
    );
}

/// CTX-BIN-TYPE, CTX-READ-ABSENT, CTX-ABSENT-BIN.
#[test]
fn ctx_bin_rules() {
    let t = open();
    t.set("s", "str");
    assert_eq!(t.code(c(maps::size("s"), &[CTX::map_key("a")])), 4);
    assert_eq!(
        t.code(c(maps::put(&mp(), "s", 1, 1), &[CTX::list_index(0)])),
        4
    );
    assert_eq!(
        t.ok(c(maps::size("none"), &[CTX::map_key("a")])),
        Value::Nil
    );
    assert_eq!(
        t.ok(c(
            maps::get_by_key("none", 1, RT::Value),
            &[CTX::map_key_create("a", MapOrder::Unordered)]
        )),
        Value::Nil
    );
    assert_eq!(
        t.code(c(maps::put(&mp(), "none", 1, 1), &[CTX::map_key("a")])),
        26
    );
    assert_eq!(
        t.code(c(maps::put(&mp(), "none", 1, 1), &[CTX::list_index(0)])),
        26
    );
    assert_eq!(t.bin("none"), None);
    // A read with a creating step on an existing bin whose key is missing → 26.
    t.set("m", mi(&[(1, 1)]));
    assert_eq!(
        t.code(c(
            maps::size("m"),
            &[CTX::map_key_create("a", MapOrder::Unordered)]
        )),
        26
    );
}

/// CTX-CREATE: map_key_create and list_index_create on absent bins and missing elements, level
/// orders, later steps creating, padding, refused positions, and no-op ops leaving nothing.
#[test]
fn ctx_create() {
    let t = open();
    // A txn-tag map inside a bin of maps: bin "accts" {user: {txns: {...}}}.
    let tag = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    let ctx = [
        CTX::map_key_create("u1", MapOrder::KeyOrdered),
        CTX::map_key_create("txns", MapOrder::Unordered),
    ];
    assert_eq!(
        t.ok(c(maps::put(&tag, "accts", "tx-1", 100), &ctx)),
        Value::Int(1)
    );
    assert_eq!(t.code(c(maps::put(&tag, "accts", "tx-1", 100), &ctx)), 24);
    let accts = t.bin("accts").expect("created");
    assert_eq!(
        map_order(&accts),
        Some(MapOrder::KeyOrdered),
        "bin gets the first step's order"
    );
    let Value::Map(a) = &accts else { panic!("map") };
    let Value::Map(u1) = &a.entries[0].1 else {
        panic!("u1 map")
    };
    assert_eq!(
        u1.order,
        MapOrder::Unordered,
        "level created by step 1 gets step 2's order"
    );
    let Value::Map(txns) = &u1.entries[0].1 else {
        panic!("txns map")
    };
    assert_eq!(
        txns.order,
        MapOrder::KeyOrdered,
        "the op's own order (M-ORDER-CREATE)"
    );
    assert_eq!(
        t.ok(c(maps::get_by_key("accts", "tx-1", RT::Exists), &ctx)),
        Value::Bool(true)
    );
    // After a creating step, a plain map_key / list_index(0|-1) creates too; others → 26.
    let t = open();
    t.set("m", mi(&[]));
    let ok = [
        CTX::map_key_create("a", MapOrder::Unordered),
        CTX::map_key("b"),
        CTX::list_index(-1),
    ];
    assert_eq!(
        t.ok(c(lists::append(&ListPolicy::default(), "m", 5), &ok)),
        Value::Int(1)
    );
    assert_eq!(
        t.bin("m"),
        Some(Value::map(vec![(
            "a".into(),
            Value::map(vec![("b".into(), Value::list(vec![li(&[5])]))])
        )]))
    );
    for bad in [
        vec![
            CTX::map_key_create("x", MapOrder::Unordered),
            CTX::map_index(0),
        ],
        vec![
            CTX::map_key_create("x", MapOrder::Unordered),
            CTX::list_index(1),
        ],
        vec![
            CTX::map_key_create("x", MapOrder::Unordered),
            CTX::list_index_create(2, ListOrderType::Unordered, false),
        ],
        vec![
            CTX::map_key_create("x", MapOrder::Unordered),
            CTX::map_value(1),
        ],
    ] {
        assert_eq!(
            t.code(c(lists::append(&ListPolicy::default(), "m", 5), &bad)),
            26,
            "{bad:?}"
        );
    }
    // list_index_create on an existing unordered list: i = n, i > n with pad; else 26.
    t.set("l", li(&[]));
    let lic = |i: i64, pad: bool| CTX::list_index_create(i, ListOrderType::Unordered, pad);
    assert_eq!(
        t.ok(c(maps::put(&mp(), "l", "k", 1), &[lic(-1, false)])),
        Value::Int(1)
    );
    assert_eq!(
        t.ok(c(maps::put(&mp(), "l", "k", 2), &[lic(1, false)])),
        Value::Int(1)
    );
    assert_eq!(
        t.code(c(maps::put(&mp(), "l", "k", 3), &[lic(3, false)])),
        26
    );
    assert_eq!(
        t.ok(c(maps::put(&mp(), "l", "k", 3), &[lic(3, true)])),
        Value::Int(1)
    );
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            Value::map(vec![("k".into(), 1.into())]),
            Value::map(vec![("k".into(), 2.into())]),
            Value::Nil,
            Value::map(vec![("k".into(), 3.into())]),
        ]))
    );
    // Ordered list: any out-of-range index creates; the element is sorted in.
    t.set(
        "o",
        aerolite::Value::List(aerolite::List {
            order: ListOrderType::Ordered,
            items: vec![li(&[9])],
        }),
    );
    let loc = CTX::list_index_create(7, ListOrderType::Ordered, false);
    assert_eq!(
        t.ok(c(lists::append(&ListPolicy::default(), "o", 1), &[loc])),
        Value::Int(1)
    );
    assert_eq!(t.bin("o"), Some(Value::list(vec![li(&[1]), li(&[9])])));
    // A no-op on a created path leaves nothing behind (DEV-2 through contexts).
    let t = open();
    t.set("x", 1);
    let uo = MapPolicy::new(
        MapOrder::Unordered,
        MapWriteFlags::UpdateOnly | MapWriteFlags::NoFail,
    );
    assert_eq!(
        t.ok(c(
            maps::put(&uo, "m", "k", 1),
            &[CTX::map_key_create("a", MapOrder::Unordered)]
        )),
        Value::Int(0)
    );
    assert_eq!(t.bin("m"), None);
    assert_eq!(t.bin("x"), Some(Value::Int(1)));
}

/// M-CREATE and L-CREATE with a context: the last step is made creating; the new element gets
/// the op's order.
#[test]
fn ctx_m_create_l_create() {
    let t = open();
    t.set("m", mi(&[(1, 1)]));
    assert_eq!(
        t.ok(c(
            maps::create("m", MapOrder::KeyOrdered),
            &[CTX::map_key("new")]
        )),
        Value::Nil
    );
    let Value::Map(m) = t.bin("m").expect("m") else {
        panic!("map")
    };
    assert_eq!(m.entries.len(), 2);
    assert_eq!(map_order(&m.entries[1].1), Some(MapOrder::KeyOrdered));
    t.set("l", li(&[1]));
    t.ok(c(
        lists::create("l", ListOrderType::Ordered, true),
        &[CTX::list_index(3)],
    ));
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![1.into(), Value::Nil, Value::Nil, li(&[])]))
    );
    let Value::List(l) = t.bin("l").expect("l") else {
        panic!("list")
    };
    assert_eq!(list_order(&l.items[3]), Some(ListOrderType::Ordered));
    // Existing element: create just sets its order.
    t.ok(c(
        lists::create("l", ListOrderType::Unordered, false),
        &[CTX::list_index(3)],
    ));
    let Value::List(l) = t.bin("l").expect("l") else {
        panic!("list")
    };
    assert_eq!(list_order(&l.items[3]), Some(ListOrderType::Unordered));
    // CTX-APPLY: the nested empty list follows SEL-SINGLE like a bin would (→ 26).
    assert_eq!(
        t.code(c(
            lists::get_by_index("l", 0, ListReturnType::Count),
            &[CTX::list_index(3)]
        )),
        26
    );
}

fn nest(d: usize) -> Value {
    (0..d).fold(Value::Int(1), |v, _| Value::list(vec![v]))
}

/// Nesting bound: a stored bin never nests deeper than the particle decoder accepts (64, as
/// storage-format.md "Particle encoding"), so an operand or context reaching deeper → 4 and the
/// record stays readable (an interpretation: cdt.md states no nesting limit).
#[test]
fn ctx_nesting_limit() {
    let t = open();
    assert_eq!(t.ok(maps::put(&mp(), "m", 1, nest(63))), Value::Int(1));
    assert!(t.bin("m").is_some(), "readable back");
    assert_eq!(t.code(maps::put(&mp(), "m", 2, nest(64))), 4);
    assert_eq!(
        t.code(lists::append(&ListPolicy::default(), "l", nest(64))),
        4
    );
    let deep: Vec<CTX> = (0..65)
        .map(|_| CTX::list_index_create(0, ListOrderType::Unordered, false))
        .collect();
    assert_eq!(
        t.code(c(lists::append(&ListPolicy::default(), "x", 1), &deep)),
        4
    );
    let ok: Vec<CTX> = (0..63)
        .map(|_| CTX::list_index_create(0, ListOrderType::Unordered, false))
        .collect();
    assert_eq!(
        t.ok(c(lists::append(&ListPolicy::default(), "x", 1), &ok)),
        Value::Int(1)
    );
    assert_eq!(t.bin("x"), Some(nest(64)));
    assert_eq!(
        t.code(c(lists::append(&ListPolicy::default(), "x", li(&[1])), &ok)),
        4
    );
}
