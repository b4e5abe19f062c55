//! List operations (cdt.md §6): the op enum, static checks and dispatch on the bin's value.
//!
//! Invariant kept by every op: an ordered list is sorted ascending by §1 (L-ORDER-ORDERED); an
//! equal value is inserted after its equals, so ranks tie-break by position (CH-RANK-TIES).

pub mod inplace;
#[cfg(test)]
mod inplace_tests;
mod write;

pub use write::insert_sorted;

use crate::cdt::map::remove_indexes;
use crate::cdt::normalize::{list_is_canonical, normalize_at};
use crate::cdt::number;
use crate::cdt::policy::{ListPolicy, ListSortFlags};
use crate::cdt::result::{check, select_and_build};
use crate::cdt::return_type::ReturnType;
use crate::cdt::select::{ListElems, Selector};
use crate::error::{err, Result, ResultCode};
use crate::record::order::compare;
use crate::record::value::{List, ListOrderType, Value};

/// One list op (without its context).
#[derive(Debug, Clone)]
pub enum ListOp {
    /// L-SET-ORDER / L-CREATE.
    SetOrder(ListOrderType),
    /// L-CREATE: `create(order, pad)`; with a context its last step is made creating with `pad`.
    Create(ListOrderType, bool),
    /// §6.3 append.
    Append(ListPolicy, Value),
    /// §6.3 append_items; the payload must be a list.
    AppendItems(ListPolicy, Value),
    /// §6.4 insert.
    Insert(ListPolicy, i64, Value),
    /// §6.4 insert_items.
    InsertItems(ListPolicy, i64, Value),
    /// §6.5 set.
    Set(ListPolicy, i64, Value),
    /// §6.6 increment.
    Increment(ListPolicy, i64, Value),
    /// L-CLEAR.
    Clear,
    /// L-SORT-*.
    Sort(ListSortFlags),
    /// L-SIZE.
    Size,
    /// get_by_* (§6.8).
    Get(Selector, ReturnType),
    /// remove_by_* (§6.8).
    Remove(Selector, ReturnType),
}

fn payload_list(v: &mut Value, depth: usize) -> Result<()> {
    if !matches!(v, Value::List(_)) {
        return err(
            ResultCode::ParameterError,
            format!("list payload {v} is not a list (CDT-PAYLOAD)"),
        );
    }
    normalize_at(v, depth)
}

impl ListOp {
    /// Whether the op can modify (size and get_by_* are reads).
    pub fn is_modify(&self) -> bool {
        !matches!(self, ListOp::Size | ListOp::Get(..))
    }

    fn prepared(&self, depth: usize) -> Result<ListOp> {
        let mut op = self.clone();
        match &mut op {
            ListOp::Append(_, v) | ListOp::Insert(_, _, v) | ListOp::Set(_, _, v) => {
                normalize_at(v, depth + 1)?
            }
            ListOp::AppendItems(_, v) | ListOp::InsertItems(_, _, v) => payload_list(v, depth)?,
            ListOp::Increment(_, _, d) => *d = number::delta(d, false)?,
            ListOp::Get(sel, rt) | ListOp::Remove(sel, rt) => {
                check(sel, *rt, false)?;
            }
            ListOp::SetOrder(_)
            | ListOp::Create(..)
            | ListOp::Clear
            | ListOp::Sort(_)
            | ListOp::Size => {}
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
                    ListOp::Size | ListOp::Get(..) | ListOp::Clear | ListOp::Remove(..) => {
                        return Ok(Value::Nil);
                    }
                    ListOp::Sort(_) => {
                        return err(
                            ResultCode::BinTypeError,
                            "sort on an absent bin (CDT-SORT-ABSENT, L-SORT-ABSENT)",
                        )
                    }
                    ListOp::SetOrder(o) | ListOp::Create(o, _) => *o,
                    // L-ORDER-CREATE: only append, append_items and increment use the policy.
                    ListOp::Append(p, _) | ListOp::AppendItems(p, _) | ListOp::Increment(p, ..) => {
                        p.order
                    }
                    ListOp::Insert(..) | ListOp::InsertItems(..) | ListOp::Set(..) => {
                        ListOrderType::Unordered
                    }
                };
                let mut l = List {
                    order,
                    items: Vec::new(),
                };
                let (result, changed) = apply_list(&op, &mut l)?;
                debug_assert!(list_is_canonical(&l), "a created ordered list is sorted");
                if changed {
                    *slot = Some(Value::List(l));
                }
                Ok(result)
            }
            Some(Value::List(l)) => {
                let result = apply_list(&op, l)?.0;
                debug_assert!(
                    list_is_canonical(l),
                    "every list op keeps an ordered list sorted"
                );
                Ok(result)
            }
            Some(other) => err(
                ResultCode::BinTypeError,
                format!(
                    "list op on a {:?} value (CDT-WRONG-TYPE, CTX-OP-TYPE)",
                    other.particle_type()
                ),
            ),
        }
    }
}

fn size(l: &List) -> Value {
    Value::Int(l.items.len() as i64)
}

fn items_of(v: &Value) -> &[Value] {
    match v {
        Value::List(l) => &l.items,
        _ => &[],
    }
}

fn apply_list(op: &ListOp, l: &mut List) -> Result<(Value, bool)> {
    match op {
        ListOp::SetOrder(order) | ListOp::Create(order, _) => {
            if *order == ListOrderType::Ordered && l.order != ListOrderType::Ordered {
                l.items.sort_by(compare);
            }
            l.order = *order;
            Ok((Value::Nil, true))
        }
        ListOp::Append(p, v) => {
            let changed = write::append_items(l, p.flags, std::slice::from_ref(v))?;
            Ok((size(l), changed))
        }
        ListOp::AppendItems(p, v) => {
            let changed = write::append_items(l, p.flags, items_of(v))?;
            Ok((size(l), changed))
        }
        ListOp::Insert(p, i, v) => {
            let changed = write::insert_items(l, p.flags, *i, std::slice::from_ref(v))?;
            Ok((size(l), changed))
        }
        ListOp::InsertItems(p, i, v) => {
            let changed = write::insert_items(l, p.flags, *i, items_of(v))?;
            Ok((size(l), changed))
        }
        ListOp::Set(p, i, v) => Ok((Value::Nil, write::set(l, p.flags, *i, v)?)),
        ListOp::Increment(p, i, d) => match write::increment(l, p.flags, *i, d)? {
            Some(v) => Ok((v, true)),
            None => Ok((Value::Nil, false)),
        },
        ListOp::Clear => {
            l.items.clear();
            Ok((Value::Nil, true))
        }
        ListOp::Sort(flags) => {
            if l.order == ListOrderType::Unordered {
                if flags.contains(ListSortFlags::Descending) {
                    l.items.sort_by(|a, b| compare(b, a));
                } else {
                    l.items.sort_by(compare);
                }
            }
            if flags.contains(ListSortFlags::DropDuplicates) {
                l.items.dedup();
                // The list is sorted here, so equal elements were adjacent: none is left twice.
                debug_assert!(
                    l.items.windows(2).all(|w| w[0] != w[1]),
                    "L-SORT-*: DropDuplicates leaves each value once"
                );
            }
            Ok((Value::Nil, true))
        }
        ListOp::Size => Ok((size(l), false)),
        ListOp::Get(sel, rt) => Ok((
            select_and_build(&ListElems(&l.items), sel, *rt, false)?.0,
            false,
        )),
        ListOp::Remove(sel, rt) => {
            let (result, gone) = select_and_build(&ListElems(&l.items), sel, *rt, false)?;
            remove_indexes(&mut l.items, &gone);
            Ok((result, true))
        }
    }
}
