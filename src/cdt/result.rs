//! Turning a selection into an op result (cdt.md §4 RT-*, SEL-INVERTED, SEL-RESULT-ORDER).
//!
//! [`select_and_build`] validates the return type, runs the selector, applies Inverted, orders the
//! selected elements and builds the result value. It also returns the indexes to delete for the
//! remove_by_* twin (indexes and ranks in results refer to the container before removal).

use crate::cdt::return_type::{Base, ReturnType};
use crate::cdt::select::{pick, rank_of, rank_order, Elements, Picked, Selector};
use crate::error::{err, Result, ResultCode};
use crate::record::order::compare;
use crate::record::value::{Map, MapOrder, Value};

/// Static checks of a selector + return type (before the bin is looked at): RT-UNKNOWN → 4,
/// CDT-PAYLOAD → 4, map-only return types on lists → 26 (§4), Inverted with a single-element
/// selector → 26 (SEL-INVERTED).
pub fn check(sel: &Selector, rt: ReturnType, is_map: bool) -> Result<(Base, bool)> {
    let (base, inverted) = rt.parse()?;
    sel.check()?;
    if !is_map && base.map_only() {
        return err(
            ResultCode::OpNotApplicable,
            format!("return type {base:?} needs map keys; this is a list op (§4)"),
        );
    }
    if !is_map && sel.needs_keys() {
        return err(ResultCode::ParameterError, "a key selector on a list op");
    }
    if inverted && sel.is_single() {
        return err(
            ResultCode::OpNotApplicable,
            "Inverted with a single-element selector (SEL-INVERTED)",
        );
    }
    Ok((base, inverted))
}

/// Select and build the result; returns `(result, indexes to remove ascending)`.
pub fn select_and_build<E: Elements + ?Sized>(
    e: &E,
    sel: &Selector,
    rt: ReturnType,
    is_map: bool,
) -> Result<(Value, Vec<usize>)> {
    let (base, inverted) = check(sel, rt, is_map)?;
    let n = e.len();
    match pick(e, sel)? {
        Picked::Single(found) => Ok((single(e, base, found), found.into_iter().collect())),
        Picked::Multi { set, payload_order } => {
            let set = if inverted { complement(&set, n) } else { set };
            let order = if base.is_rank() {
                if matches!(
                    sel,
                    Selector::RankRange(..)
                        | Selector::Value(_)
                        | Selector::ValueInterval(..)
                        | Selector::ValueRel(..)
                ) || (inverted && matches!(sel, Selector::ValueList(_)))
                {
                    by_rank(e, &set)
                } else if let (false, Some(p)) = (inverted, payload_order) {
                    p
                } else {
                    set.clone()
                }
            } else if !inverted && sel.rank_ordered() {
                by_rank(e, &set)
            } else {
                set.clone()
            };
            Ok((multi(e, base, &order), set))
        }
    }
}

fn complement(set: &[usize], n: usize) -> Vec<usize> {
    assert!(
        set.len() <= n,
        "a selection is a subset of the elements (SEL-SET)"
    );
    let mut out = Vec::with_capacity(n - set.len());
    let mut it = set.iter().peekable();
    for i in 0..n {
        if it.peek() == Some(&&i) {
            it.next();
        } else {
            out.push(i);
        }
    }
    // SEL-INVERTED: the complement and the set partition 0 … n.
    assert_eq!(
        out.len() + set.len(),
        n,
        "Inverted selects exactly the others"
    );
    out
}

fn by_rank<E: Elements + ?Sized>(e: &E, set: &[usize]) -> Vec<usize> {
    let mut v = set.to_vec();
    v.sort_by(|&a, &b| compare(e.value(a), e.value(b)).then(a.cmp(&b)));
    debug_assert!(
        v.windows(2).all(|w| compare(e.value(w[0]), e.value(w[1]))
            .then(w[0].cmp(&w[1]))
            .is_lt()),
        "rank order, ties by index (CH-RANK-TIES)"
    );
    v
}

fn int(i: usize) -> Value {
    Value::Int(i64::try_from(i).unwrap_or(i64::MAX))
}

fn key_of<E: Elements + ?Sized>(e: &E, i: usize) -> Value {
    e.key(i).cloned().unwrap_or(Value::Nil)
}

fn pair<E: Elements + ?Sized>(e: &E, i: usize) -> Value {
    Value::list(vec![key_of(e, i), e.value(i).clone()])
}

fn map_of<E: Elements + ?Sized>(e: &E, idx: &[usize], order: MapOrder) -> Value {
    let mut sorted = idx.to_vec();
    // Index order is key order for maps (SEL-INDEX-MAP): the result map stays sorted by key.
    sorted.sort_unstable();
    Value::Map(Map {
        order,
        entries: sorted
            .iter()
            .map(|&i| (key_of(e, i), e.value(i).clone()))
            .collect(),
    })
}

/// RT-* single-element column.
fn single<E: Elements + ?Sized>(e: &E, base: Base, found: Option<usize>) -> Value {
    let n = e.len();
    assert!(
        found.is_none_or(|i| i < n),
        "a single selection lies inside the elements"
    );
    let Some(i) = found else {
        return match base {
            Base::None | Base::Key | Base::Value => Value::Nil,
            Base::Index | Base::ReverseIndex | Base::Rank | Base::ReverseRank => Value::Int(-1),
            Base::Count => Value::Int(0),
            Base::KeyValue => Value::list(vec![]),
            Base::Exists => Value::Bool(false),
            Base::UnorderedMap => map_of(e, &[], MapOrder::Unordered),
            Base::OrderedMap => map_of(e, &[], MapOrder::KeyOrdered),
        };
    };
    match base {
        Base::None => Value::Nil,
        Base::Index => int(i),
        Base::ReverseIndex => int(n - 1 - i),
        Base::Rank => int(rank_of(e, i)),
        Base::ReverseRank => int(n - 1 - rank_of(e, i)),
        Base::Count => Value::Int(1),
        Base::Key => key_of(e, i),
        Base::Value => e.value(i).clone(),
        Base::KeyValue => Value::list(vec![pair(e, i)]),
        Base::Exists => Value::Bool(true),
        Base::UnorderedMap => map_of(e, &[i], MapOrder::Unordered),
        Base::OrderedMap => map_of(e, &[i], MapOrder::KeyOrdered),
    }
}

/// RT-* multi-element column; `order` is the result order.
fn multi<E: Elements + ?Sized>(e: &E, base: Base, order: &[usize]) -> Value {
    let n = e.len();
    let ranks = || {
        let mut r = vec![usize::MAX; n];
        for (pos, &i) in rank_order(e).iter().enumerate() {
            r[i] = pos;
        }
        debug_assert!(r.iter().all(|&x| x < n), "every element has a rank");
        r
    };
    match base {
        Base::None => Value::Nil,
        Base::Index => Value::list(order.iter().map(|&i| int(i)).collect()),
        Base::ReverseIndex => Value::list(order.iter().map(|&i| int(n - 1 - i)).collect()),
        Base::Rank => {
            let r = ranks();
            Value::list(order.iter().map(|&i| int(r[i])).collect())
        }
        Base::ReverseRank => {
            let r = ranks();
            Value::list(order.iter().map(|&i| int(n - 1 - r[i])).collect())
        }
        Base::Count => int(order.len()),
        Base::Key => Value::list(order.iter().map(|&i| key_of(e, i)).collect()),
        Base::Value => Value::list(order.iter().map(|&i| e.value(i).clone()).collect()),
        Base::KeyValue => Value::list(order.iter().map(|&i| pair(e, i)).collect()),
        Base::Exists => Value::Bool(!order.is_empty()),
        Base::UnorderedMap => map_of(e, order, MapOrder::Unordered),
        Base::OrderedMap => map_of(e, order, MapOrder::KeyOrdered),
    }
}
