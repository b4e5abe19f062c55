//! Model-based test: random sequences of list ops on unordered and ordered lists, applied through
//! `CdtOperation::apply`, are compared result by result and state by state with a naive `Vec`
//! model. Covers L-APP-*, L-INS-*, L-ORDER-ORDERED, L-OP-INDEX, L-OP-RANK (CH-RANK-TIES),
//! L-OP-VALUE, L-OP-VALUE-REL, L-OP-INDEX-RANGE, trim (L-OP-LEGACY), L-SORT-*, CDT-ABSENT-NOOP.
//! `PROPTEST_CASES` raises the case count (default 64).

use aerolite::operations::lists;
use aerolite::{
    ListOrderType, ListPolicy, ListReturnType as RT, ListSortFlags, ListWriteFlags as F, Operation,
    Value,
};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Append(i64, bool),
    Insert(i64, i64),
    RemoveIndex(i64),
    GetRank(i64),
    RemoveValue(i64),
    ValueRel(i64, i64, i64),
    Trim(i64, i64),
    Sort(bool),
    Size,
}

fn op() -> impl Strategy<Value = Op> {
    let v = -3i64..5;
    prop_oneof![
        (v.clone(), any::<bool>()).prop_map(|(v, u)| Op::Append(v, u)),
        (-5i64..7, v.clone()).prop_map(|(i, v)| Op::Insert(i, v)),
        (-6i64..6).prop_map(Op::RemoveIndex),
        (-6i64..6).prop_map(Op::GetRank),
        v.clone().prop_map(Op::RemoveValue),
        (v, -4i64..4, -1i64..4).prop_map(|(v, r, c)| Op::ValueRel(v, r, c)),
        (-5i64..5, -1i64..5).prop_map(|(i, c)| Op::Trim(i, c)),
        any::<bool>().prop_map(Op::Sort),
        Just(Op::Size),
    ]
}

fn window(start: i128, count: i64, n: usize) -> Vec<usize> {
    let count = i128::from(count as u64);
    (0..n)
        .filter(|&p| (p as i128) >= start && (p as i128) < start + count)
        .collect()
}

fn pos(i: i64, n: usize) -> Option<usize> {
    let p = if i < 0 { n as i64 + i } else { i };
    (0..n as i64).contains(&p).then_some(p as usize)
}

/// Element indexes in rank order, ties by position.
fn ranks(l: &[i64]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..l.len()).collect();
    idx.sort_by_key(|&i| (l[i], i));
    idx
}

fn ints(v: &[i64]) -> Value {
    Value::list(v.iter().map(|&x| Value::Int(x)).collect())
}

/// The model state: elements and whether the list is ordered (its order is fixed when created:
/// append uses the policy's order, insert creates an unordered list, L-ORDER-CREATE).
type State = Option<(Vec<i64>, bool)>;

fn model(st: &mut State, policy_ordered: bool, op: &Op) -> Result<Value, i32> {
    if st.is_none() && matches!(op, Op::Append(..) | Op::Insert(..)) {
        let ordered = policy_ordered && matches!(op, Op::Append(..));
        let mut fresh = Some((Vec::new(), ordered));
        let r = model(&mut fresh, policy_ordered, op)?;
        *st = fresh;
        return Ok(r);
    }
    let ordered = st.as_ref().is_some_and(|s| s.1);
    let mut tmp = st.as_ref().map(|s| s.0.clone());
    let r = model_list(&mut tmp, ordered, op);
    if let (Some(s), Some(v)) = (st.as_mut(), tmp) {
        s.0 = v;
    }
    r
}

fn model_list(l: &mut Option<Vec<i64>>, ordered: bool, op: &Op) -> Result<Value, i32> {
    let n = l.as_ref().map_or(0, Vec::len);
    match op {
        Op::Append(v, unique) => {
            let cur = l.get_or_insert_with(Vec::new);
            if *unique && cur.contains(v) {
                return Err(24);
            }
            cur.push(*v);
            if ordered {
                cur.sort();
            }
            Ok(Value::Int(cur.len() as i64))
        }
        Op::Insert(i, v) => {
            if ordered {
                return Err(26);
            }
            let p = if *i < 0 { n as i64 + i } else { *i };
            if p < 0 {
                return Err(26);
            }
            if p > n as i64 {
                // Nil padding is outside this integer model: skip through the real op's error.
                return Err(-100);
            }
            let cur = l.get_or_insert_with(Vec::new);
            cur.insert(p as usize, *v);
            Ok(Value::Int(cur.len() as i64))
        }
        Op::RemoveIndex(i) => {
            let Some(cur) = l else { return Ok(Value::Nil) };
            match pos(*i, n) {
                Some(p) => Ok(Value::Int(cur.remove(p))),
                None => Err(26),
            }
        }
        Op::GetRank(r) => {
            let Some(cur) = l else { return Ok(Value::Nil) };
            match pos(*r, n) {
                Some(p) => Ok(Value::Int(cur[ranks(cur)[p]])),
                None => Err(26),
            }
        }
        Op::RemoveValue(v) => {
            let Some(cur) = l else { return Ok(Value::Nil) };
            let before = cur.len();
            cur.retain(|x| x != v);
            Ok(Value::Int((before - cur.len()) as i64))
        }
        Op::ValueRel(v, r, c) => {
            let Some(cur) = l else { return Ok(Value::Nil) };
            let anchor = cur.iter().filter(|x| *x < v).count() as i128;
            let ord = ranks(cur);
            let vals: Vec<i64> = window(anchor + i128::from(*r), *c, n)
                .into_iter()
                .map(|p| cur[ord[p]])
                .collect();
            Ok(ints(&vals))
        }
        Op::Trim(i, c) => {
            let Some(cur) = l else { return Ok(Value::Nil) };
            let start = if *i < 0 {
                n as i128 + i128::from(*i)
            } else {
                i128::from(*i)
            };
            let keep = window(start, *c, n);
            let removed = n - keep.len();
            *cur = keep.into_iter().map(|p| cur[p]).collect();
            Ok(Value::Int(removed as i64))
        }
        Op::Sort(desc) => {
            let Some(cur) = l else { return Err(12) };
            if !ordered {
                cur.sort();
                if *desc {
                    cur.reverse();
                }
            }
            Ok(Value::Nil)
        }
        Op::Size => Ok(l
            .as_ref()
            .map_or(Value::Nil, |c| Value::Int(c.len() as i64))),
    }
}

fn real(op: &Op, ordered: bool) -> Operation {
    let order = if ordered {
        ListOrderType::Ordered
    } else {
        ListOrderType::Unordered
    };
    let pol = |f: F| ListPolicy::new(order, f);
    match op {
        Op::Append(v, u) => {
            lists::append(&pol(if *u { F::AddUnique } else { F::Default }), "l", *v)
        }
        Op::Insert(i, v) => lists::insert(&pol(F::Default), "l", *i, *v),
        Op::RemoveIndex(i) => lists::remove_by_index("l", *i, RT::Value),
        Op::GetRank(r) => lists::get_by_rank("l", *r, RT::Value),
        Op::RemoveValue(v) => lists::remove_by_value("l", *v, RT::Count),
        Op::ValueRel(v, r, c) => {
            lists::get_by_value_relative_rank_range_count("l", *v, *r, *c, RT::Value)
        }
        Op::Trim(i, c) => lists::trim("l", *i, *c),
        Op::Sort(d) => lists::sort(
            "l",
            if *d {
                ListSortFlags::Descending
            } else {
                ListSortFlags::Default
            },
        ),
        Op::Size => lists::size("l"),
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn list_ops_match_model(ordered in any::<bool>(), ops in prop::collection::vec(op(), 1..40)) {
        let mut slot: Option<Value> = None;
        let mut md: State = None;
        for o in &ops {
            let Operation::Cdt(c) = real(o, ordered) else { panic!("cdt op") };
            let mut trial = slot.clone();
            let mut shadow = md.clone();
            let want = model(&mut shadow, ordered, o);
            if want == Err(-100) {
                continue;
            }
            let got = c.apply(&mut trial).map_err(|e| e.code().code());
            prop_assert_eq!(&got, &want, "op {:?}", o);
            if got.is_ok() {
                slot = trial;
                md = shadow;
            }
            let state: Option<Vec<i64>> = slot.as_ref().map(|v| match v {
                Value::List(l) => l.items.iter().map(|x| x.as_int().unwrap_or(i64::MIN)).collect(),
                _ => vec![],
            });
            prop_assert_eq!(&state, &md.as_ref().map(|s| s.0.clone()), "after {:?}", o);
        }
    }
}
