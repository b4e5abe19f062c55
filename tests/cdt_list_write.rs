//! List writes through `Database::operate` (cdt.md §6.1–§6.7): orders, append(_items) with
//! AddUnique / NoFail / Partial (L-APP*, L-VEC-01 … L-VEC-08), insert(_items), set, increment,
//! size, clear, sort, set_order, and the absent-bin rules.

mod cdt_support;
mod common;

use aerolite::operations::{lists, put};
use aerolite::{Bin, ListOrderType as O, ListPolicy, ListSortFlags, ListWriteFlags as F, Value};
use cdt_support::*;

fn pol(order: O, flags: F) -> ListPolicy {
    ListPolicy::new(order, flags)
}

fn un(flags: F) -> ListPolicy {
    pol(O::Unordered, flags)
}

/// L-APP-UNORD, L-APP-ORD, L-APP-AU-NEW, L-APP-AU-EXISTS, L-APP-AU-NF, L-APP-BOUNDED,
/// L-APP-ABSENT-BIN, L-ORDER-CREATE, L-ORDER-ORDERED, L-FLAG-EQUAL, L-FLAG-SCOPE (with the
/// insert, set and increment tests below), CDT-SIZE-RESULT.
#[test]
fn l_append() {
    let t = open();
    assert_eq!(
        t.ok(lists::append(&pol(O::Ordered, F::Default), "l", 5)),
        Value::Int(1)
    );
    assert_eq!(list_order(&t.bin("l").expect("created")), Some(O::Ordered));
    assert_eq!(t.ok(lists::append(&un(F::Default), "l", 1)), Value::Int(2));
    assert_eq!(
        t.ok(lists::append(&un(F::InsertBounded), "l", 3)),
        Value::Int(3)
    );
    assert_eq!(t.bin("l"), Some(li(&[1, 3, 5])));
    assert_eq!(
        list_order(&t.bin("l").expect("list")),
        Some(O::Ordered),
        "order kept"
    );
    t.set("u", li(&[3, 1]));
    assert_eq!(
        t.ok(lists::append(&un(F::AddUnique), "u", 2)),
        Value::Int(3)
    );
    assert_eq!(t.code(lists::append(&un(F::AddUnique), "u", 1)), 24);
    assert_eq!(
        t.ok(lists::append(&un(F::AddUnique | F::NoFail), "u", 1)),
        Value::Int(3)
    );
    // L-FLAG-EQUAL: 1.0 is not 1.
    assert_eq!(
        t.ok(lists::append(&un(F::AddUnique), "u", 1.0)),
        Value::Int(4)
    );
    assert_eq!(
        t.bin("u"),
        Some(Value::list(vec![3.into(), 1.into(), 2.into(), 1.0.into()]))
    );
}

/// L-APPI-PLAIN, L-APPI-EMPTY, L-APPI-ORD-DUP, L-APPI-ORD-EXISTS, L-APPI-UNORD-AU,
/// L-APPI-ALL-SKIPPED, L-APPI-ABSENT-BIN, L-FLAG-PARTIAL, CDT-PAYLOAD.
#[test]
fn l_append_items() {
    let t = open();
    t.set("u", li(&[5, 1]));
    assert_eq!(
        t.ok(lists::append_items(&un(F::Default), "u", li(&[3, 1]))),
        Value::Int(4)
    );
    assert_eq!(t.bin("u"), Some(li(&[5, 1, 3, 1])));
    t.set("o", lo(&[5, 1], O::Ordered));
    assert_eq!(
        t.ok(lists::append_items(&un(F::Default), "o", li(&[3, 1]))),
        Value::Int(4)
    );
    assert_eq!(t.bin("o"), Some(li(&[1, 1, 3, 5])));
    assert_eq!(
        t.ok(lists::append_items(&un(F::Default), "o", li(&[]))),
        Value::Int(4)
    );
    assert_eq!(t.code(lists::append_items(&un(F::Default), "o", 3)), 4);
    // Unordered AddUnique: payload order, first violation decides.
    t.set("u", li(&[1]));
    assert_eq!(
        t.code(lists::append_items(&un(F::AddUnique), "u", li(&[2, 2]))),
        26
    );
    assert_eq!(
        t.code(lists::append_items(&un(F::AddUnique), "u", li(&[2, 1]))),
        24
    );
    assert_eq!(
        t.ok(lists::append_items(
            &un(F::AddUnique | F::NoFail),
            "u",
            li(&[2, 1])
        )),
        Value::Int(1)
    );
    let nfp = F::AddUnique | F::NoFail | F::Partial;
    assert_eq!(
        t.ok(lists::append_items(&un(nfp), "u", li(&[2, 1, 2, 3]))),
        Value::Int(3)
    );
    assert_eq!(t.bin("u"), Some(li(&[1, 2, 3])));
    let g = t.gen();
    assert_eq!(
        t.ok(lists::append_items(&un(nfp), "u", li(&[1, 2]))),
        Value::Int(3)
    );
    assert_eq!(t.bin("u"), Some(li(&[1, 2, 3])));
    assert_eq!(t.gen(), g + 1, "CDT-NOOP-WRITE");
    // Absent bin, every item skipped: no bin.
    assert_eq!(
        t.ok(lists::append_items(&un(F::Default), "e", li(&[]))),
        Value::Int(0)
    );
    assert_eq!(t.bin("e"), None);
}

/// L-VEC-01 … L-VEC-04 as two operates of two ops each on a missing record; L-VEC-05 …
/// L-VEC-08; DEV-2; Z-CDT-NOOP-MISSING.
#[test]
fn l_vec_vectors() {
    let t = open();
    let p = li(&[0, 4, 5, 9, 9, 11, 15, 0]);
    let ord = |f: F| pol(O::Ordered, f);
    let nfp = F::AddUnique | F::Partial | F::NoFail;
    let nf = F::AddUnique | F::NoFail;
    let r = t
        .run(&[
            lists::append_items(&ord(nfp), "a", p.clone()),
            lists::append_items(&ord(nf), "b", p.clone()),
        ])
        .expect("L-VEC-01/02");
    let got: Vec<Value> = r.bins.into_entries().into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, vec![Value::Int(6), Value::Int(0)]);
    assert_eq!(t.bin("a"), Some(li(&[0, 4, 5, 9, 11, 15])), "L-VEC-01");
    assert_eq!(t.bin("b"), None, "L-VEC-02");
    let r = t
        .run(&[
            lists::append_items(&ord(nfp), "a", li(&[11, 3])),
            lists::append_items(&ord(nf), "b", li(&[11, 3])),
        ])
        .expect("L-VEC-03/04");
    let got: Vec<Value> = r.bins.into_entries().into_iter().map(|(_, v)| v).collect();
    assert_eq!(got, vec![Value::Int(7), Value::Int(2)]);
    assert_eq!(t.bin("a"), Some(li(&[0, 3, 4, 5, 9, 11, 15])), "L-VEC-03");
    assert_eq!(t.bin("b"), Some(li(&[3, 11])), "L-VEC-04");
    assert_eq!(list_order(&t.bin("b").expect("b")), Some(O::Ordered));
    // L-VEC-02 alone on a missing record: no bin at all → 2.
    let t2 = open();
    assert_eq!(t2.code(lists::append_items(&ord(nf), "b", p.clone())), 2);
    assert!(!t2.exists());
    // L-VEC-05.
    assert_eq!(
        t2.code(lists::append_items(&ord(F::AddUnique), "b", p.clone())),
        26
    );
    assert!(!t2.exists());
    // L-VEC-06, L-VEC-07.
    t.set("c", lo(&[0, 4, 5, 9, 11, 15], O::Ordered));
    assert_eq!(
        t.code(lists::append_items(&ord(F::AddUnique), "c", li(&[11, 3]))),
        24
    );
    assert_eq!(
        t.ok(lists::append_items(&ord(nf), "c", li(&[11, 3]))),
        Value::Int(6)
    );
    assert_eq!(t.bin("c"), Some(li(&[0, 4, 5, 9, 11, 15])));
    // L-VEC-08.
    t.set("u", li(&[1]));
    t.set("o", lo(&[1], O::Ordered));
    assert_eq!(
        t.code(lists::append_items(&un(F::AddUnique), "u", li(&[1, 2, 2]))),
        24
    );
    assert_eq!(
        t.code(lists::append_items(&un(F::AddUnique), "o", li(&[1, 2, 2]))),
        26
    );
    assert_eq!(t.bin("u"), Some(li(&[1])));
    assert_eq!(t.bin("o"), Some(li(&[1])));
}

/// L-INS-ORDERED, L-INS-POS, L-INS-NEG-OUT, L-INS-BEYOND, L-INS-BOUNDED, L-INS-AU, L-INSI-AU,
/// L-INSI-EMPTY, L-INS-ABSENT-BIN, L-EX-22, L-EX-23.
#[test]
fn l_insert() {
    let t = open();
    t.set("l", li(&[1, 2]));
    assert_eq!(
        t.ok(lists::insert(&un(F::Default), "l", 4, "x")),
        Value::Int(5),
        "L-EX-22"
    );
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            1.into(),
            2.into(),
            Value::Nil,
            Value::Nil,
            "x".into()
        ]))
    );
    t.set("l", li(&[1, 2]));
    assert_eq!(
        t.code(lists::insert(&un(F::Default), "l", -3, "x")),
        26,
        "L-EX-23"
    );
    assert_eq!(t.code(lists::insert(&un(F::NoFail), "l", -3, "x")), 26);
    assert_eq!(
        t.ok(lists::insert(&un(F::Default), "l", -2, 0)),
        Value::Int(3)
    );
    assert_eq!(
        t.ok(lists::insert(&un(F::Default), "l", 3, 9)),
        Value::Int(4)
    );
    assert_eq!(t.bin("l"), Some(li(&[0, 1, 2, 9])));
    assert_eq!(t.code(lists::insert(&un(F::InsertBounded), "l", 5, 7)), 26);
    assert_eq!(
        t.ok(lists::insert(&un(F::InsertBounded | F::NoFail), "l", 5, 7)),
        Value::Int(4)
    );
    assert_eq!(
        t.ok(lists::insert(&un(F::InsertBounded), "l", 4, 7)),
        Value::Int(5)
    );
    assert_eq!(t.code(lists::insert(&un(F::AddUnique), "l", 0, 7)), 24);
    assert_eq!(
        t.ok(lists::insert(&un(F::AddUnique | F::NoFail), "l", 0, 7)),
        Value::Int(5)
    );
    assert_eq!(t.bin("l"), Some(li(&[0, 1, 2, 9, 7])));
    // insert_items.
    assert_eq!(
        t.ok(lists::insert_items(&un(F::Default), "l", 1, li(&[5, 6]))),
        Value::Int(7)
    );
    assert_eq!(t.bin("l"), Some(li(&[0, 5, 6, 1, 2, 9, 7])));
    assert_eq!(
        t.ok(lists::insert_items(&un(F::Default), "l", 1, li(&[]))),
        Value::Int(7)
    );
    assert_eq!(
        t.code(lists::insert_items(&un(F::AddUnique), "l", 0, li(&[8, 8]))),
        26
    );
    assert_eq!(
        t.code(lists::insert_items(&un(F::AddUnique), "l", 0, li(&[8, 5]))),
        24
    );
    let nfp = F::AddUnique | F::NoFail | F::Partial;
    assert_eq!(
        t.ok(lists::insert_items(&un(nfp), "l", 0, li(&[8, 5, 8]))),
        Value::Int(8)
    );
    assert_eq!(t.bin("l"), Some(li(&[8, 0, 5, 6, 1, 2, 9, 7])));
    assert_eq!(
        t.ok(lists::insert_items(&un(F::Default), "l", 10, li(&[1]))),
        Value::Int(11)
    );
    // Ordered list.
    t.set("o", lo(&[1], O::Ordered));
    assert_eq!(t.code(lists::insert(&un(F::Default), "o", 0, 0)), 26);
    assert_eq!(
        t.code(lists::insert_items(&un(F::NoFail), "o", 0, li(&[0]))),
        26
    );
    // Absent bin: unordered list created whatever the policy.
    assert_eq!(
        t.ok(lists::insert(&pol(O::Ordered, F::Default), "n", 2, 5)),
        Value::Int(3)
    );
    assert_eq!(
        t.bin("n"),
        Some(Value::list(vec![Value::Nil, Value::Nil, 5.into()]))
    );
    assert_eq!(list_order(&t.bin("n").expect("n")), Some(O::Unordered));
    assert_eq!(
        t.ok(lists::insert(&un(F::InsertBounded | F::NoFail), "z", 1, 5)),
        Value::Int(0)
    );
    assert_eq!(t.bin("z"), None);
}

/// L-SET-ORDERED, L-SET-IN, L-SET-NEG-OUT, L-SET-BEYOND, L-SET-AU, L-SET-AU-SELF,
/// L-SET-ABSENT-BIN.
#[test]
fn l_set() {
    let t = open();
    t.set("l", li(&[1, 2, 3]));
    assert_eq!(t.ok(lists::set(&un(F::Default), "l", -1, 9)), Value::Nil);
    assert_eq!(t.bin("l"), Some(li(&[1, 2, 9])));
    assert_eq!(t.code(lists::set(&un(F::Default), "l", -4, 9)), 26);
    assert_eq!(t.code(lists::set(&un(F::AddUnique), "l", 0, 2)), 24);
    t.ok(lists::set(&un(F::AddUnique | F::NoFail), "l", 0, 2));
    assert_eq!(t.bin("l"), Some(li(&[1, 2, 9])));
    t.ok(lists::set(&un(F::AddUnique), "l", 1, 2));
    assert_eq!(t.bin("l"), Some(li(&[1, 2, 9])), "L-SET-AU-SELF");
    t.ok(lists::set(&un(F::Default), "l", 4, 5));
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            1.into(),
            2.into(),
            9.into(),
            Value::Nil,
            5.into()
        ]))
    );
    assert_eq!(t.code(lists::set(&un(F::InsertBounded), "l", 6, 5)), 26);
    t.ok(lists::set(&un(F::InsertBounded), "l", 5, 6));
    assert_eq!(t.ok(lists::size("l")), Value::Int(6));
    t.set("o", lo(&[1], O::Ordered));
    assert_eq!(t.code(lists::set(&un(F::Default), "o", 0, 0)), 26);
    t.ok(lists::set(&pol(O::Ordered, F::Default), "n", 1, 7));
    assert_eq!(t.bin("n"), Some(Value::list(vec![Value::Nil, 7.into()])));
    assert_eq!(list_order(&t.bin("n").expect("n")), Some(O::Unordered));
}

/// L-INC-IN, L-INC-NONNUM, L-INC-NEG-OUT, L-INC-BEYOND-UNORD, L-INC-BEYOND-ORD, L-INC-AU,
/// L-INC-ABSENT-BIN.
#[test]
fn l_increment() {
    let t = open();
    t.set("l", Value::list(vec![1.into(), "s".into(), 2.5.into()]));
    assert_eq!(
        t.ok(lists::increment(&un(F::Default), "l", 0, 4)),
        Value::Int(5)
    );
    assert_eq!(
        t.ok(lists::increment(&un(F::Default), "l", -1, 1)),
        Value::Float(3.5)
    );
    assert_eq!(
        t.ok(lists::increment(&un(F::Default), "l", 0, Value::Nil)),
        Value::Int(6)
    );
    assert_eq!(t.code(lists::increment(&un(F::Default), "l", 1, 1)), 4);
    assert_eq!(t.code(lists::increment(&un(F::Default), "l", 0, "x")), 4);
    assert_eq!(t.code(lists::increment(&un(F::Default), "l", -4, 1)), 26);
    assert_eq!(
        t.ok(lists::increment(&un(F::Default), "l", 4, 7)),
        Value::Int(7)
    );
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            6.into(),
            "s".into(),
            3.5.into(),
            Value::Nil,
            7.into()
        ]))
    );
    assert_eq!(
        t.code(lists::increment(&un(F::InsertBounded), "l", 7, 1)),
        26
    );
    assert_eq!(t.code(lists::increment(&un(F::AddUnique), "l", 0, 1)), 24);
    assert_eq!(
        t.ok(lists::increment(&un(F::AddUnique | F::NoFail), "l", 0, 1)),
        Value::Nil
    );
    assert_eq!(t.ok(lists::size("l")), Value::Int(5));
    // Ordered: moved to its sorted position; i = n inserts sorted; i > n → 26.
    t.set("o", lo(&[1, 5, 9], O::Ordered));
    assert_eq!(
        t.ok(lists::increment(&un(F::Default), "o", 0, 6)),
        Value::Int(7)
    );
    assert_eq!(t.bin("o"), Some(li(&[5, 7, 9])));
    assert_eq!(
        t.ok(lists::increment(&un(F::Default), "o", 3, 6)),
        Value::Int(6)
    );
    assert_eq!(t.bin("o"), Some(li(&[5, 6, 7, 9])));
    assert_eq!(t.code(lists::increment(&un(F::Default), "o", 5, 6)), 26);
    // Absent bin: created with the policy's order.
    assert_eq!(
        t.ok(lists::increment(&pol(O::Ordered, F::Default), "n", 0, 3)),
        Value::Int(3)
    );
    assert_eq!(list_order(&t.bin("n").expect("n")), Some(O::Ordered));
    assert_eq!(
        t.code(lists::increment(&pol(O::Ordered, F::Default), "n2", 1, 3)),
        26
    );
    assert_eq!(t.bin("n2"), None);
}

/// L-SIZE, L-CLEAR, L-CLEAR-ABSENT, L-SORT-FLAGS, L-SORT-UNORD, L-SORT-ORD, L-SORT-ABSENT,
/// CDT-SORT-ABSENT, L-SET-ORDER, L-CREATE, L-ORDER-VALUE, CDT-WRONG-TYPE, CDT-EMPTY-STAYS.
#[test]
fn l_size_clear_sort_order() {
    let t = open();
    t.set(
        "l",
        Value::list(vec![3.into(), "a".into(), 1.into(), 3.into(), 2.5.into()]),
    );
    assert_eq!(t.ok(lists::size("l")), Value::Int(5));
    assert_eq!(t.ok(lists::size("none")), Value::Nil);
    assert_eq!(t.ok(lists::sort("l", ListSortFlags::Default)), Value::Nil);
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            1.into(),
            3.into(),
            3.into(),
            "a".into(),
            2.5.into()
        ]))
    );
    t.ok(lists::sort(
        "l",
        ListSortFlags::Descending | ListSortFlags::DropDuplicates,
    ));
    assert_eq!(
        t.bin("l"),
        Some(Value::list(vec![
            2.5.into(),
            "a".into(),
            3.into(),
            1.into()
        ]))
    );
    assert_eq!(list_order(&t.bin("l").expect("l")), Some(O::Unordered));
    t.set("o", lo(&[1, 1, 2], O::Ordered));
    t.ok(lists::sort("o", ListSortFlags::Descending));
    assert_eq!(t.bin("o"), Some(li(&[1, 1, 2])));
    t.ok(lists::sort("o", ListSortFlags::DropDuplicates));
    assert_eq!(t.bin("o"), Some(li(&[1, 2])));
    assert_eq!(t.code(lists::sort("none", ListSortFlags::Default)), 12);
    // clear keeps the order.
    assert_eq!(t.ok(lists::clear("o")), Value::Nil);
    assert_eq!(t.bin("o"), Some(li(&[])));
    assert_eq!(list_order(&t.bin("o").expect("o")), Some(O::Ordered));
    assert_eq!(t.ok(lists::clear("none")), Value::Nil);
    assert_eq!(t.bin("none"), None);
    // set_order sorts when becoming ordered; keeps the sequence the other way.
    t.set("s", li(&[3, 1, 2]));
    assert_eq!(t.ok(lists::set_order("s", O::Ordered)), Value::Nil);
    assert_eq!(t.bin("s"), Some(li(&[1, 2, 3])));
    t.ok(lists::set_order("s", O::Unordered));
    t.ok(lists::append(&un(F::Default), "s", 0));
    assert_eq!(t.bin("s"), Some(li(&[1, 2, 3, 0])));
    t.ok(lists::set_order("new", O::Ordered));
    assert_eq!(
        list_order(&t.bin("new").expect("created")),
        Some(O::Ordered)
    );
    t.ok(lists::create("new2", O::Ordered, true));
    assert_eq!(
        list_order(&t.bin("new2").expect("created")),
        Some(O::Ordered)
    );
    // L-ORDER-VALUE: an ordered list written as a value is stored sorted.
    t.t.db
        .put(
            &Default::default(),
            &t.key,
            &[Bin::new("w", lo(&[3, 1, 2], O::Ordered))],
        )
        .expect("put");
    assert_eq!(t.bin("w"), Some(li(&[1, 2, 3])));
    // CDT-WRONG-TYPE.
    t.set("str", "x");
    t.set("m", mi(&[(1, 1)]));
    assert_eq!(t.code(lists::append(&un(F::Default), "str", 1)), 12);
    assert_eq!(t.code(lists::size("m")), 12);
    assert_eq!(t.code(lists::sort("m", ListSortFlags::Default)), 12);
    let _ = put(&Bin::new("unused", 1));
}
