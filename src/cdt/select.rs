//! Selectors and selection (cdt.md §3) shared by map and list get/remove ops.
//!
//! A selector picks a set of element positions ("indexes": key order for maps, SEL-INDEX-MAP;
//! position for lists). [`Picked`] is what a selector selected; `result.rs` turns it into the
//! op's result under a return type. Invariants: a multi-element selection is a set (SEL-SET),
//! held as ascending indexes; ranks tie-break by index (CH-RANK-TIES).
//!
//! Map entries are always sorted by key (normalize.rs), so key selectors are binary searches:
//! `by_key` is O(log n) on every map, whatever its order attribute.

use crate::error::{err, Result, ResultCode};
use crate::record::order::compare;
use crate::record::value::Value;
use std::cmp::Ordering;
use std::ops::Range;

/// A get_by_* / remove_by_* selector (M-OP-*, L-OP-*).
#[derive(Debug, Clone)]
pub enum Selector {
    /// SEL-KEY (maps).
    Key(Value),
    /// SEL-KEY-LIST (maps); the payload must be a list (CDT-PAYLOAD).
    KeyList(Value),
    /// SEL-INTERVAL on keys; `None` = unbounded.
    KeyInterval(Option<Value>, Option<Value>),
    /// SEL-KEY-REL: key, index, count (`None` = to the end).
    KeyRel(Value, i64, Option<u64>),
    /// SEL-SINGLE on index.
    Index(i64),
    /// SEL-RANGE on index.
    IndexRange(i64, Option<u64>),
    /// SEL-VALUE.
    Value(Value),
    /// SEL-VALUE-LIST; the payload must be a list.
    ValueList(Value),
    /// SEL-INTERVAL on values.
    ValueInterval(Option<Value>, Option<Value>),
    /// SEL-VALUE-REL: value, rank, count.
    ValueRel(Value, i64, Option<u64>),
    /// SEL-SINGLE on rank.
    Rank(i64),
    /// SEL-RANGE on rank.
    RankRange(i64, Option<u64>),
}

impl Selector {
    /// Single-element selectors (SEL-SINGLE, SEL-KEY).
    pub fn is_single(&self) -> bool {
        matches!(
            self,
            Selector::Key(_) | Selector::Index(_) | Selector::Rank(_)
        )
    }

    /// Key-based selectors exist only for maps.
    pub fn needs_keys(&self) -> bool {
        matches!(
            self,
            Selector::Key(_)
                | Selector::KeyList(_)
                | Selector::KeyInterval(..)
                | Selector::KeyRel(..)
        )
    }

    /// Whether results come in rank order (SEL-RESULT-ORDER, non-rank return types).
    pub fn rank_ordered(&self) -> bool {
        matches!(
            self,
            Selector::RankRange(..) | Selector::ValueInterval(..) | Selector::ValueRel(..)
        )
    }

    /// CDT-PAYLOAD: key and value lists must be lists → 4.
    pub fn check(&self) -> Result<()> {
        match self {
            Selector::KeyList(v) | Selector::ValueList(v) if !matches!(v, Value::List(_)) => err(
                ResultCode::ParameterError,
                format!("selector payload {v} is not a list (CDT-PAYLOAD)"),
            ),
            _ => Ok(()),
        }
    }
}

/// The elements of a container, by index.
pub trait Elements {
    /// Element count `n`.
    fn len(&self) -> usize;
    /// No elements.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Value of element `i`.
    fn value(&self, i: usize) -> &Value;
    /// Key of element `i` (maps), or `None` (lists).
    fn key(&self, i: usize) -> Option<&Value>;
    /// Number of keys less than `k` and whether `k` is present (maps; sorted by key).
    fn key_search(&self, k: &Value) -> std::result::Result<usize, usize>;
}

/// Map entries, sorted by key.
pub struct MapElems<'a>(pub &'a [(Value, Value)]);
/// List items.
pub struct ListElems<'a>(pub &'a [Value]);

impl Elements for MapElems<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn value(&self, i: usize) -> &Value {
        &self.0[i].1
    }
    fn key(&self, i: usize) -> Option<&Value> {
        Some(&self.0[i].0)
    }
    fn key_search(&self, k: &Value) -> std::result::Result<usize, usize> {
        // ORD-WILDCARD-KEY: WILDCARD is not a key (M-KEY-LOOKUP); it matches none and stands
        // before the first, where a binary search would stop at an arbitrary "equal" key.
        if matches!(k, Value::Wildcard) {
            return Err(0);
        }
        self.0.binary_search_by(|(ek, _)| compare(ek, k))
    }
}

impl Elements for ListElems<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }
    fn value(&self, i: usize) -> &Value {
        &self.0[i]
    }
    fn key(&self, _i: usize) -> Option<&Value> {
        None
    }
    fn key_search(&self, _k: &Value) -> std::result::Result<usize, usize> {
        Err(0)
    }
}

/// What a selector selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// A single-element selector: the index, or `None` when a key is absent.
    Single(Option<usize>),
    /// A multi-element selector: ascending unique indexes, and for by_value_list the matches in
    /// payload order (SEL-RESULT-ORDER).
    Multi {
        /// Selected indexes, ascending.
        set: Vec<usize>,
        /// by_value_list only: indexes in payload order.
        payload_order: Option<Vec<usize>>,
    },
}

/// SEL-NEG + SEL-SINGLE: the position for index or rank `i`, if in range.
pub fn single_pos(i: i64, n: usize) -> Option<usize> {
    let n = n as i128;
    let i = i128::from(i);
    let p = if i < 0 { n + i } else { i };
    (0..n).contains(&p).then_some(p as usize)
}

/// SEL-RANGE: `(i, count)` → positions; never fails.
pub fn range(i: i64, count: Option<u64>, n: usize) -> Range<usize> {
    let i = i128::from(i);
    let start = if i >= 0 { i } else { n as i128 + i };
    range_from(start, count, n)
}

/// The second half of SEL-RANGE and SEL-KEY-REL / SEL-VALUE-REL: `start` already resolved
/// (possibly negative), count reduced by a negative start.
pub fn range_from(start: i128, count: Option<u64>, n: usize) -> Range<usize> {
    let n = n as i128;
    if start >= n {
        return 0..0;
    }
    // An omitted count is unbounded: a negative start never shortens "to the end".
    let mut count = count.map_or(i128::MAX / 2, i128::from);
    let mut start = start;
    if start < 0 {
        count = (count + start).max(0);
        start = 0;
    }
    let end = n.min(start + count);
    debug_assert!(
        0 <= start && start <= end && end <= n,
        "a range lies inside the elements"
    );
    start as usize..end as usize
}

/// Indexes in ascending rank order (SEL-RANK, CH-RANK-TIES: stable sort keeps index order).
pub fn rank_order<E: Elements + ?Sized>(e: &E) -> Vec<usize> {
    let mut ord: Vec<usize> = (0..e.len()).collect();
    ord.sort_by(|&a, &b| compare(e.value(a), e.value(b)));
    // CH-RANK-TIES: the sort is stable, so equal values keep their index order.
    debug_assert!(
        ord.windows(2).all(|w| compare(e.value(w[0]), e.value(w[1]))
            .then(w[0].cmp(&w[1]))
            .is_lt()),
        "rank order ties by index"
    );
    ord
}

/// The rank of element `i`, in O(n) without sorting.
pub fn rank_of<E: Elements + ?Sized>(e: &E, i: usize) -> usize {
    let v = e.value(i);
    (0..e.len())
        .filter(|&j| match compare(e.value(j), v) {
            Ordering::Less => true,
            Ordering::Equal => j < i,
            Ordering::Greater => false,
        })
        .count()
}

fn not_applicable<T>(what: &str, i: i64, n: usize) -> Result<T> {
    err(
        ResultCode::OpNotApplicable,
        format!("{what} {i} out of range for {n} elements (SEL-SINGLE)"),
    )
}

fn payload(v: &Value) -> Result<&[Value]> {
    match v {
        Value::List(l) => Ok(&l.items),
        other => err(
            ResultCode::ParameterError,
            format!("selector payload {other} is not a list (CDT-PAYLOAD)"),
        ),
    }
}

fn lower_bound_value<E: Elements + ?Sized>(e: &E, v: &Value) -> usize {
    (0..e.len())
        .filter(|&i| compare(e.value(i), v) == Ordering::Less)
        .count()
}

/// Run a selector over `e`: a multi-element selection is a set of ascending indexes (SEL-SET).
pub fn pick<E: Elements + ?Sized>(e: &E, sel: &Selector) -> Result<Picked> {
    let picked = pick_any(e, sel)?;
    debug_assert!(
        match &picked {
            Picked::Single(p) => p.is_none_or(|p| p < e.len()),
            Picked::Multi { set, .. } =>
                set.windows(2).all(|w| w[0] < w[1]) && set.last().is_none_or(|&i| i < e.len()),
        },
        "SEL-SET: a selection is a set of ascending indexes"
    );
    Ok(picked)
}

fn pick_any<E: Elements + ?Sized>(e: &E, sel: &Selector) -> Result<Picked> {
    let n = e.len();
    let multi = |set: Vec<usize>| Picked::Multi {
        set,
        payload_order: None,
    };
    Ok(match sel {
        Selector::Key(k) => Picked::Single(e.key_search(k).ok()),
        Selector::Index(i) => match single_pos(*i, n) {
            Some(p) => Picked::Single(Some(p)),
            None => return not_applicable("index", *i, n),
        },
        Selector::Rank(r) => match single_pos(*r, n) {
            Some(p) => Picked::Single(Some(rank_order(e)[p])),
            None => return not_applicable("rank", *r, n),
        },
        Selector::KeyList(keys) => {
            let mut set: Vec<usize> = payload(keys)?
                .iter()
                .filter_map(|k| e.key_search(k).ok())
                .collect();
            set.sort_unstable();
            set.dedup();
            multi(set)
        }
        Selector::KeyInterval(b, end) => {
            let lo = b.as_ref().map_or(0, |b| bound(e.key_search(b)));
            let hi = end.as_ref().map_or(n, |x| bound(e.key_search(x)));
            multi((lo..hi.max(lo)).collect())
        }
        Selector::KeyRel(k, i, count) => {
            let anchor = bound(e.key_search(k)) as i128;
            multi(range_from(anchor + i128::from(*i), *count, n).collect())
        }
        Selector::IndexRange(i, count) => multi(range(*i, *count, n).collect()),
        Selector::Value(v) => multi((0..n).filter(|&i| e.value(i) == v).collect()),
        Selector::ValueList(vs) => {
            let mut seen = vec![false; n];
            let mut order = Vec::new();
            for v in payload(vs)? {
                for (i, s) in seen.iter_mut().enumerate() {
                    if !*s && e.value(i) == v {
                        *s = true;
                        order.push(i);
                    }
                }
            }
            let mut set = order.clone();
            set.sort_unstable();
            Picked::Multi {
                set,
                payload_order: Some(order),
            }
        }
        Selector::ValueInterval(b, end) => multi(
            (0..n)
                .filter(|&i| {
                    let v = e.value(i);
                    b.as_ref().is_none_or(|b| compare(v, b) != Ordering::Less)
                        && end.as_ref().is_none_or(|x| compare(v, x) == Ordering::Less)
                })
                .collect(),
        ),
        Selector::ValueRel(v, r, count) => {
            let anchor = lower_bound_value(e, v) as i128;
            let ord = rank_order(e);
            let mut set: Vec<usize> = ord[range_from(anchor + i128::from(*r), *count, n)].to_vec();
            set.sort_unstable();
            multi(set)
        }
        Selector::RankRange(r, count) => {
            let ord = rank_order(e);
            let mut set: Vec<usize> = ord[range(*r, *count, n)].to_vec();
            set.sort_unstable();
            multi(set)
        }
    })
}

fn bound(r: std::result::Result<usize, usize>) -> usize {
    match r {
        Ok(i) | Err(i) => i,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SEL-RANGE-EX, SEL-RANGE, SEL-NEG, SEL-SINGLE, CDT-COUNT-ARG.
    #[test]
    fn sel_range_ex() {
        assert_eq!(range(1, Some(2), 5), 1..3);
        assert_eq!(range(-3, Some(3), 5), 2..5);
        assert_eq!(range(-5, Some(4), 5), 0..4);
        assert_eq!(range(3, Some(10), 5), 3..5);
        assert!(range(5, Some(1), 5).is_empty());
        assert_eq!(range(-7, Some(3), 5), 0..1);
        assert!(range(-10, Some(3), 5).is_empty());
        assert_eq!(range(2, None, 5), 2..5);
        assert_eq!(range(2, Some(u64::MAX), 5), 2..5);
        assert_eq!(range(i64::MIN, Some(u64::MAX), 5), 0..5);
        assert_eq!(single_pos(-1, 5), Some(4));
        assert_eq!(single_pos(-6, 5), None);
        assert_eq!(single_pos(5, 5), None);
        assert_eq!(single_pos(0, 0), None);
        assert_eq!(single_pos(i64::MIN, 5), None);
    }

    /// SEL-RANK, CH-RANK-TIES, SEL-SET, SEL-VALUE-LIST payload order.
    #[test]
    fn sel_rank_ties_and_sets() {
        let items: Vec<Value> = vec![7.into(), 3.into(), 7.into(), 1.into()];
        let e = ListElems(&items);
        assert_eq!(rank_order(&e), vec![3, 1, 0, 2]);
        assert_eq!(rank_of(&e, 2), 3);
        let p = pick(
            &e,
            &Selector::ValueList(Value::list(vec![7.into(), 1.into(), 7.into()])),
        );
        assert_eq!(
            p.ok(),
            Some(Picked::Multi {
                set: vec![0, 2, 3],
                payload_order: Some(vec![0, 2, 3])
            })
        );
    }
}
