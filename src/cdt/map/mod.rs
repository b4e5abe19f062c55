//! Map operations (cdt.md §5): the op enum, static checks and dispatch on the bin's value.
//!
//! Invariant kept by every op: entries are sorted by key with unique valid keys, whatever the
//! order attribute (M-ORDER-SEMANTICS, normalize.rs). Key lookups are therefore binary searches —
//! O(log n) by key on the decoded, sorted `Vec` (cdt.md issue item 7). The hot ops also run on the
//! packed bytes with an in-memory offset index (`inplace.rs`, issue 16 point 4); nothing of it is
//! stored, so the format keeps the decoded sorted form's canonical encoding.

pub mod inplace;
#[cfg(test)]
mod inplace_tests;
mod write;

use crate::cdt::normalize::{check_key, map_is_canonical, normalize_at};
use crate::cdt::number;
use crate::cdt::policy::MapPolicy;
use crate::cdt::result::{check, select_and_build};
use crate::cdt::return_type::ReturnType;
use crate::cdt::select::{MapElems, Selector};
use crate::error::{err, Result, ResultCode};
use crate::record::value::{Map, MapOrder, Value};

/// One map op (without its context).
#[derive(Debug, Clone)]
pub enum MapOp {
    /// M-ORDER-CHANGE / M-CREATE: set_map_policy(order).
    SetPolicy(MapOrder),
    /// M-CREATE: `create(order)`; with a context its last step is made creating.
    Create(MapOrder),
    /// §5.4 put.
    Put(MapPolicy, Value, Value),
    /// §5.5 put_items; the payload must be a map.
    PutItems(MapPolicy, Value),
    /// §5.6 increment (`true` = decrement, M-DEC).
    Increment(MapPolicy, Value, Value, bool),
    /// M-CLEAR.
    Clear,
    /// M-SIZE.
    Size,
    /// get_by_* (§5.8).
    Get(Selector, ReturnType),
    /// remove_by_* (§5.8).
    Remove(Selector, ReturnType),
}

impl MapOp {
    /// Whether the op can modify (size and get_by_* are reads).
    pub fn is_modify(&self) -> bool {
        !matches!(self, MapOp::Size | MapOp::Get(..))
    }

    /// Parameter checks that need no bin (→ 4 or 26), and canonical copies of the operands for a
    /// map at nesting `depth` of the bin value.
    fn prepared(&self, depth: usize) -> Result<MapOp> {
        let mut op = self.clone();
        match &mut op {
            MapOp::Put(_, k, v) => {
                check_key(k)?;
                normalize_at(v, depth + 1)?;
            }
            MapOp::PutItems(_, items) => {
                if !matches!(items, Value::Map(_)) {
                    return err(
                        ResultCode::ParameterError,
                        format!("put_items payload {items} is not a map (CDT-PAYLOAD)"),
                    );
                }
                // M-PUTI-INVALID: invalid or duplicate payload keys → 4, before any flag check.
                normalize_at(items, depth)?;
            }
            MapOp::Increment(_, k, d, neg) => {
                check_key(k)?;
                *d = number::delta(d, *neg)?;
            }
            MapOp::Get(sel, rt) | MapOp::Remove(sel, rt) => {
                check(sel, *rt, true)?;
            }
            MapOp::SetPolicy(_) | MapOp::Create(_) | MapOp::Clear | MapOp::Size => {}
        }
        Ok(op)
    }

    /// Apply to a bin's (or a context element's) value at nesting `depth` (0 = the bin);
    /// `None` = absent.
    pub fn apply(&self, slot: &mut Option<Value>, depth: usize) -> Result<Value> {
        let op = self.prepared(depth)?;
        match slot {
            None => {
                let order = match &op {
                    MapOp::Size | MapOp::Get(..) | MapOp::Clear | MapOp::Remove(..) => {
                        // CDT-ABSENT-READ, CDT-ABSENT-REMOVE, M-CLEAR-ABSENT.
                        return Ok(Value::Nil);
                    }
                    MapOp::SetPolicy(o) | MapOp::Create(o) => *o,
                    MapOp::Put(p, ..) | MapOp::PutItems(p, _) | MapOp::Increment(p, ..) => p.order,
                };
                // CDT-ABSENT-CREATE / M-ORDER-CREATE; CDT-ABSENT-NOOP (DEV-2): keep the bin
                // absent when the op ends as a no-op.
                let mut m = Map {
                    order,
                    entries: Vec::new(),
                };
                let (result, changed) = apply_map(&op, &mut m)?;
                debug_assert!(
                    map_is_canonical(&m),
                    "a created map is sorted by unique keys"
                );
                if changed {
                    *slot = Some(Value::Map(m));
                }
                Ok(result)
            }
            Some(Value::Map(m)) => {
                let result = apply_map(&op, m)?.0;
                debug_assert!(
                    map_is_canonical(m),
                    "every map op keeps keys sorted and unique"
                );
                Ok(result)
            }
            Some(other) => err(
                ResultCode::BinTypeError,
                format!(
                    "map op on a {:?} value (CDT-WRONG-TYPE, CTX-OP-TYPE)",
                    other.particle_type()
                ),
            ),
        }
    }
}

/// Apply a prepared op to an existing (or just created, empty) map. Returns the result and
/// whether the map was written (for CDT-ABSENT-NOOP).
fn apply_map(op: &MapOp, m: &mut Map) -> Result<(Value, bool)> {
    let size = |m: &Map| Value::Int(m.entries.len() as i64);
    match op {
        MapOp::SetPolicy(order) | MapOp::Create(order) => {
            m.order = *order;
            Ok((Value::Nil, true))
        }
        MapOp::Put(p, k, v) => {
            let changed = write::put(m, p.flags, k, v)?;
            Ok((size(m), changed))
        }
        MapOp::PutItems(p, items) => {
            let Value::Map(items) = items else {
                return err(ResultCode::ParameterError, "put_items payload is not a map");
            };
            let changed = write::put_items(m, p.flags, &items.entries)?;
            Ok((size(m), changed))
        }
        MapOp::Increment(_, k, d, _) => Ok((write::increment(m, k, d)?, true)),
        MapOp::Clear => {
            m.entries.clear();
            Ok((Value::Nil, true))
        }
        MapOp::Size => Ok((size(m), false)),
        MapOp::Get(sel, rt) => Ok((
            select_and_build(&MapElems(&m.entries), sel, *rt, true)?.0,
            false,
        )),
        MapOp::Remove(sel, rt) => {
            let (result, gone) = select_and_build(&MapElems(&m.entries), sel, *rt, true)?;
            remove_indexes(&mut m.entries, &gone);
            Ok((result, true))
        }
    }
}

/// Remove the elements at `gone` (ascending indexes), keeping the others' order.
pub fn remove_indexes<T>(items: &mut Vec<T>, gone: &[usize]) {
    // SEL-SET: a selection is ascending, unique and in range (select.rs `pick`).
    debug_assert!(
        gone.windows(2).all(|w| w[0] < w[1]),
        "remove_indexes: ascending, unique indexes"
    );
    assert!(
        gone.last().is_none_or(|&i| i < items.len()),
        "remove_indexes: indexes inside the container"
    );
    let n = items.len();
    match gone {
        [] => {}
        [one] => {
            items.remove(*one);
        }
        _ => {
            let mut it = gone.iter().peekable();
            let mut i = 0usize;
            items.retain(|_| {
                let drop = it.peek() == Some(&&i);
                if drop {
                    it.next();
                }
                i += 1;
                !drop
            });
        }
    }
    assert_eq!(
        items.len(),
        n - gone.len(),
        "every selected element removed once"
    );
}
