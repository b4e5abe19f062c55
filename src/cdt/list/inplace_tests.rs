//! Differential test of the in-place list ops: on random lists (unordered and ordered) and op
//! sequences, the packed list gives the same result, error and bytes as decode →
//! `ListOp::apply` → encode, op after op; an op the packed list hands back (`None`) runs decoded
//! and the list is indexed anew, as the engine does.

use super::inplace::PackedList;
use super::ListOp;
use crate::cdt::policy::{ListPolicy, ListWriteFlags};
use crate::cdt::return_type::ReturnType;
use crate::cdt::select::Selector;
use crate::format::particle;
use crate::record::value::{List, ListOrderType, Value};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-70i64..70).prop_map(Value::Int),
        (-70_000i64..70_000).prop_map(Value::Int),
        "[a-c]{0,3}".prop_map(Value::String),
        "[a-z]{0,40}".prop_map(Value::String),
        (-3.0f64..3.0).prop_map(Value::Float),
        // Equal by the value order, different bytes: where an equal value lands shows.
        Just(Value::Float(0.0)),
        Just(Value::Float(-0.0)),
        Just(Value::Nil),
    ]
}

fn flags() -> impl Strategy<Value = ListWriteFlags> {
    prop_oneof![
        Just(ListWriteFlags::Default),
        Just(ListWriteFlags::AddUnique),
        Just(ListWriteFlags::InsertBounded),
        Just(ListWriteFlags::AddUnique | ListWriteFlags::NoFail),
        Just(ListWriteFlags::AddUnique | ListWriteFlags::NoFail | ListWriteFlags::Partial),
        Just(ListWriteFlags::InsertBounded | ListWriteFlags::NoFail),
    ]
}

fn rt() -> impl Strategy<Value = ReturnType> {
    prop_oneof![
        Just(ReturnType::None),
        Just(ReturnType::Index),
        Just(ReturnType::ReverseIndex),
        Just(ReturnType::Count),
        Just(ReturnType::Value),
        Just(ReturnType::Exists),
        Just(ReturnType::Rank),
        Just(ReturnType::Value | ReturnType::Inverted),
    ]
}

fn selector() -> impl Strategy<Value = Selector> {
    prop_oneof![
        (-30i64..30).prop_map(Selector::Index),
        ((-30i64..30), proptest::option::of(0u64..10))
            .prop_map(|(i, c)| Selector::IndexRange(i, c)),
        value().prop_map(Selector::Value),
        (0i64..3).prop_map(Selector::Rank),
    ]
}

fn op() -> impl Strategy<Value = ListOp> {
    let p = |f| ListPolicy::new(ListOrderType::Unordered, f);
    let items = || proptest::collection::vec(value(), 0..6);
    prop_oneof![
        (flags(), value()).prop_map(move |(f, v)| ListOp::Append(p(f), v)),
        (flags(), items()).prop_map(move |(f, v)| ListOp::AppendItems(p(f), Value::list(v))),
        (flags(), -30i64..30, value()).prop_map(move |(f, i, v)| ListOp::Insert(p(f), i, v)),
        (flags(), -30i64..30, items())
            .prop_map(move |(f, i, v)| ListOp::InsertItems(p(f), i, Value::list(v))),
        (flags(), -30i64..30, value()).prop_map(move |(f, i, v)| ListOp::Set(p(f), i, v)),
        (flags(), -30i64..30, -5i64..5)
            .prop_map(move |(f, i, d)| ListOp::Increment(p(f), i, Value::Int(d))),
        Just(ListOp::Size),
        (selector(), rt()).prop_map(|(s, r)| ListOp::Get(s, r)),
        (selector(), rt()).prop_map(|(s, r)| ListOp::Remove(s, r)),
        Just(ListOp::Clear),
    ]
}

fn encoded(v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    particle::encode(v, &mut b);
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn packed_equals_decoded(
        items in proptest::collection::vec(value(), 0..40),
        ordered in any::<bool>(),
        ops in proptest::collection::vec(op(), 1..24),
    ) {
        let order = if ordered { ListOrderType::Ordered } else { ListOrderType::Unordered };
        let mut l = Value::List(List { order, items });
        crate::cdt::normalize::normalize(&mut l).expect("valid items");
        let mut slow = Some(l.clone());
        let mut fast = PackedList::from_particle(encoded(&l)).expect("canonical bytes index");
        for op in &ops {
            let want = op.apply(&mut slow, 0);
            let Some(got) = fast.apply(op) else {
                // Not an in-place op: the caller re-runs it decoded; index the result anew.
                let now = slow.clone().expect("an existing list stays");
                fast = PackedList::from_particle(encoded(&now)).expect("canonical bytes index");
                continue;
            };
            match (&got, &want) {
                (Ok(g), Ok(w)) => prop_assert_eq!(encoded(g), encoded(w), "result of {:?}", op),
                (Err(g), Err(w)) => {
                    prop_assert_eq!(g.code(), w.code());
                    prop_assert_eq!(g.detail(), w.detail());
                    break;
                }
                _ => prop_assert!(false, "{:?}: fast {:?} slow {:?}", op, got, want),
            }
            let slow_list = slow.clone().expect("an existing list stays");
            prop_assert_eq!(fast.bytes(), &encoded(&slow_list)[..], "bytes after {:?}", op);
        }
    }
}

/// The hot ops run in place (they do not fall back): append, insert, set, increment, size, get
/// and remove by index, and on an ordered list add-unique and get / remove by value.
#[test]
fn hot_ops_run_in_place() {
    let p = |f| ListPolicy::new(ListOrderType::Unordered, f);
    let l = Value::list((0..100).map(Value::Int).collect());
    let mut fast = PackedList::from_particle(encoded(&l)).expect("indexes");
    let ops = [
        ListOp::Append(p(ListWriteFlags::Default), Value::Int(7)),
        ListOp::Insert(p(ListWriteFlags::Default), 50, Value::Int(7)),
        ListOp::Set(p(ListWriteFlags::Default), 3, Value::Int(9)),
        ListOp::Increment(p(ListWriteFlags::Default), 4, Value::Int(1)),
        ListOp::Size,
        ListOp::Get(Selector::IndexRange(10, Some(5)), ReturnType::Value),
        ListOp::Remove(Selector::Index(-1), ReturnType::Value),
    ];
    for op in &ops {
        assert!(fast.apply(op).is_some_and(|r| r.is_ok()), "{op:?} in place");
    }
    let sorted = Value::List(List {
        order: ListOrderType::Ordered,
        items: (0..100).map(Value::Int).collect(),
    });
    let mut fast = PackedList::from_particle(encoded(&sorted)).expect("indexes");
    let ops = [
        ListOp::Append(p(ListWriteFlags::AddUnique), Value::Int(200)),
        ListOp::Get(Selector::Value(Value::Int(5)), ReturnType::Index),
        ListOp::Remove(Selector::Value(Value::Int(6)), ReturnType::Count),
    ];
    for op in &ops {
        assert!(fast.apply(op).is_some_and(|r| r.is_ok()), "{op:?} in place");
    }
    assert_eq!(fast.len(), 100);
}

/// A list whose bytes are not the canonical encoding (a wide integer) is not indexed.
#[test]
fn non_canonical_bytes_are_refused() {
    let mut b = vec![particle::tag::LIST, 0x91, 0xd3];
    b.extend_from_slice(&1i64.to_be_bytes());
    assert!(particle::decode_all(&b).is_ok());
    assert!(PackedList::from_particle(b).is_none());
}
