//! Model-based test: random sequences of map ops applied through `CdtOperation::apply` are
//! compared, result by result and state by state, with a naive model (a `BTreeMap` plus linear
//! scans for ranks and ranges). Covers M-PUT-*, M-PUTI-*, M-INC-*, SEL-RANGE, SEL-RANK /
//! CH-RANK-TIES, SEL-INTERVAL, SEL-RESULT-ORDER, RT-INVERTED, CDT-ABSENT-NOOP.
//! `PROPTEST_CASES` raises the case count (default 64).

use aerolite::operations::maps;
use aerolite::{MapOrder, MapPolicy, MapReturnType as RT, MapWriteFlags as F, Operation, Value};
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
enum Op {
    Put(i64, i64, u32),
    PutItems(Vec<(i64, i64)>, u32),
    Inc(i64, i64),
    GetKey(i64),
    RemoveKey(i64),
    RankRange(i64, i64, bool),
    IndexRange(i64, i64, bool),
    ValueInterval(i64, i64),
    RemoveValueInterval(i64, i64),
    KeyRel(i64, i64, i64),
    Size,
}

fn flags() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![0u32, 1, 2, 5, 6, 9, 13, 14, 3])
}

fn op() -> impl Strategy<Value = Op> {
    let k = -3i64..8;
    let v = -2i64..6;
    prop_oneof![
        (k.clone(), v.clone(), flags()).prop_map(|(k, v, f)| Op::Put(k, v, f)),
        (prop::collection::vec((k.clone(), v.clone()), 0..4), flags())
            .prop_map(|(items, f)| Op::PutItems(items, f)),
        (k.clone(), v.clone()).prop_map(|(k, d)| Op::Inc(k, d)),
        k.clone().prop_map(Op::GetKey),
        k.clone().prop_map(Op::RemoveKey),
        (-6i64..6, -2i64..6, any::<bool>()).prop_map(|(r, c, i)| Op::RankRange(r, c, i)),
        (-6i64..6, -2i64..6, any::<bool>()).prop_map(|(r, c, i)| Op::IndexRange(r, c, i)),
        (v.clone(), v.clone()).prop_map(|(b, e)| Op::ValueInterval(b, e)),
        (v.clone(), v.clone()).prop_map(|(b, e)| Op::RemoveValueInterval(b, e)),
        (k, -4i64..4, -1i64..4).prop_map(|(k, i, c)| Op::KeyRel(k, i, c)),
        Just(Op::Size),
    ]
}

/// Naive window: positions `[start, start + count) ∩ [0, n)` (SEL-RANGE, CDT-COUNT-ARG).
fn window(i: i64, count: i64, n: usize) -> Vec<usize> {
    let n128 = n as i128;
    let start = if i < 0 {
        n128 + i128::from(i)
    } else {
        i128::from(i)
    };
    let count = i128::from(count as u64);
    (0..n)
        .filter(|&p| (p as i128) >= start && (p as i128) < start + count)
        .collect()
}

struct Model {
    m: Option<BTreeMap<i64, i64>>,
}

impl Model {
    fn entries(&self) -> Vec<(i64, i64)> {
        self.m
            .as_ref()
            .map(|m| m.iter().map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default()
    }
    /// Indexes in rank order: by value, ties by key.
    fn rank_order(&self) -> Vec<usize> {
        let e = self.entries();
        let mut idx: Vec<usize> = (0..e.len()).collect();
        idx.sort_by_key(|&i| (e[i].1, e[i].0));
        idx
    }
}

fn ints(v: &[i64]) -> Value {
    Value::list(v.iter().map(|&x| Value::Int(x)).collect())
}

fn apply_model(md: &mut Model, op: &Op) -> Result<Value, i32> {
    let n = md.entries().len();
    match op {
        Op::Put(k, v, f) => put_items_model(md, &[(*k, *v)], *f),
        Op::PutItems(items, f) => {
            let mut dedup: BTreeMap<i64, i64> = BTreeMap::new();
            for (k, v) in items {
                dedup.insert(*k, *v);
            }
            let items: Vec<(i64, i64)> = dedup.into_iter().collect();
            put_items_model(md, &items, *f)
        }
        Op::Inc(k, d) => {
            let m = md.m.get_or_insert_with(BTreeMap::new);
            let e = m.entry(*k).or_insert(0);
            *e = e.wrapping_add(*d);
            Ok(Value::Int(*e))
        }
        Op::GetKey(k) => Ok(match &md.m {
            None => Value::Nil,
            Some(m) => m.get(k).map_or(Value::Nil, |v| Value::Int(*v)),
        }),
        Op::RemoveKey(k) => Ok(match &mut md.m {
            None => Value::Nil,
            Some(m) => m.remove(k).map_or(Value::Nil, Value::Int),
        }),
        Op::RankRange(r, c, inv) => {
            if md.m.is_none() {
                return Ok(Value::Nil);
            }
            let ord = md.rank_order();
            let e = md.entries();
            let sel: Vec<usize> = window(*r, *c, n).into_iter().map(|p| ord[p]).collect();
            let keys: Vec<i64> = if *inv {
                (0..n)
                    .filter(|i| !sel.contains(i))
                    .map(|i| e[i].0)
                    .collect()
            } else {
                sel.iter().map(|&i| e[i].0).collect()
            };
            Ok(ints(&keys))
        }
        Op::IndexRange(i, c, inv) => {
            if md.m.is_none() {
                return Ok(Value::Nil);
            }
            let e = md.entries();
            let sel = window(*i, *c, n);
            let vals: Vec<i64> = (0..n)
                .filter(|p| sel.contains(p) != *inv)
                .map(|p| e[p].1)
                .collect();
            Ok(ints(&vals))
        }
        Op::ValueInterval(b, end) | Op::RemoveValueInterval(b, end) => {
            let Some(m) = &mut md.m else {
                return Ok(Value::Nil);
            };
            let mut hits: Vec<(i64, i64)> = m
                .iter()
                .filter(|(_, v)| *v >= b && *v < end)
                .map(|(k, v)| (*v, *k))
                .collect();
            hits.sort();
            if matches!(op, Op::RemoveValueInterval(..)) {
                for (_, k) in &hits {
                    m.remove(k);
                }
                return Ok(Value::Int(hits.len() as i64));
            }
            Ok(ints(&hits.iter().map(|(_, k)| *k).collect::<Vec<_>>()))
        }
        Op::KeyRel(k, i, c) => {
            let Some(m) = &md.m else {
                return Ok(Value::Nil);
            };
            let e = md.entries();
            let anchor = m.keys().filter(|x| *x < k).count() as i128;
            let start = anchor + i128::from(*i);
            let count = i128::from(*c as u64);
            let keys: Vec<i64> = (0..e.len())
                .filter(|&p| (p as i128) >= start && (p as i128) < start + count)
                .map(|p| e[p].0)
                .collect();
            Ok(ints(&keys))
        }
        Op::Size => Ok(md
            .m
            .as_ref()
            .map_or(Value::Nil, |m| Value::Int(m.len() as i64))),
    }
}

fn put_items_model(md: &mut Model, items: &[(i64, i64)], f: u32) -> Result<Value, i32> {
    let (co, uo, nf, p) = (f & 1 != 0, f & 2 != 0, f & 4 != 0, f & 8 != 0);
    let cur = md.m.clone().unwrap_or_default();
    let mut apply = Vec::new();
    for (k, v) in items {
        let exists = cur.contains_key(k);
        let viol = if co && exists {
            Some(24)
        } else if uo && !exists {
            Some(23)
        } else {
            None
        };
        match viol {
            Some(_) if nf && p => {}
            Some(_) if nf => return Ok(Value::Int(cur.len() as i64)),
            Some(code) => return Err(code),
            None => apply.push((*k, *v)),
        }
    }
    if apply.is_empty() {
        return Ok(Value::Int(cur.len() as i64));
    }
    let m = md.m.get_or_insert_with(BTreeMap::new);
    for (k, v) in apply {
        m.insert(k, v);
    }
    Ok(Value::Int(m.len() as i64))
}

fn real_op(op: &Op) -> Operation {
    let pol = |f: u32| MapPolicy::new(MapOrder::KeyOrdered, F(f));
    match op {
        Op::Put(k, v, f) => maps::put(&pol(*f), "m", *k, *v),
        Op::PutItems(items, f) => maps::put_items(
            &pol(*f),
            "m",
            Value::map(
                items
                    .iter()
                    .map(|(k, v)| (Value::Int(*k), Value::Int(*v)))
                    .collect(),
            ),
        ),
        Op::Inc(k, d) => maps::increment_value(&pol(0), "m", *k, *d),
        Op::GetKey(k) => maps::get_by_key("m", *k, RT::Value),
        Op::RemoveKey(k) => maps::remove_by_key("m", *k, RT::Value),
        Op::RankRange(r, c, inv) => {
            let rt = if *inv {
                RT::Key | RT::Inverted
            } else {
                RT::Key
            };
            maps::get_by_rank_range("m", *r, *c, rt)
        }
        Op::IndexRange(i, c, inv) => {
            let rt = if *inv {
                RT::Value | RT::Inverted
            } else {
                RT::Value
            };
            maps::get_by_index_range("m", *i, *c, rt)
        }
        Op::ValueInterval(b, e) => maps::get_by_value_range("m", *b, *e, RT::Key),
        Op::RemoveValueInterval(b, e) => maps::remove_by_value_range("m", *b, *e, RT::Count),
        Op::KeyRel(k, i, c) => {
            maps::get_by_key_relative_index_range_count("m", *k, *i, *c, RT::Key)
        }
        Op::Size => maps::size("m"),
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
    fn map_ops_match_model(ops in prop::collection::vec(op(), 1..40)) {
        let mut slot: Option<Value> = None;
        let mut md = Model { m: None };
        for o in &ops {
            let Operation::Cdt(c) = real_op(o) else { panic!("cdt op") };
            let mut trial = slot.clone();
            let got = c.apply(&mut trial).map_err(|e| e.code().code());
            let want = apply_model(&mut md, o);
            prop_assert_eq!(&got, &want, "op {:?}", o);
            if got.is_ok() {
                slot = trial;
            }
            let state: Option<Vec<(i64, i64)>> = slot.as_ref().map(|v| match v {
                Value::Map(m) => m.entries.iter().map(|(k, v)| (k.as_int().unwrap_or(i64::MIN), v.as_int().unwrap_or(i64::MIN))).collect(),
                _ => vec![],
            });
            prop_assert_eq!(state, md.m.as_ref().map(|m| m.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>()), "after {:?}", o);
        }
    }
}
