//! List modify expressions, named as the official client's `expressions::lists` (append,
//! insert, set, increment, clear, sort, remove_by_*; re-exported by `lists`), and the decoding
//! of their wire op codes into aerolite's list ops (cdt.md §6). A modify call applies the op to
//! a copy of the list (or of the container a context reaches into) and its value is the whole
//! modified container (EXP-CDT-MODIFY, cdt_call.rs); the stored record is never written.
//!
//! Op codes and argument orders are those of the `operate` payload (the clients send the same
//! `[op, args…]`): append `[1, value, order, flags]`, append_items `[2, list, order, flags]`,
//! insert(_items) `[3|4, index, value, flags]`, set `[9, index, value, flags]`, clear `[11]`,
//! increment `[12, index, delta, order, flags]`, sort `[13, flags]`, remove_by_* `[32…40, return
//! type, selector…]` (the get_by_* selectors, code − 13).
//!
//! Invariants: `modify_op` never panics and yields only modify ops (`eval_modify` asserts
//! it); an argument list of another shape (a bad order attribute, a trailing argument) is
//! `None`, an unknown call; the builders send exactly the clients' `[op, args…]`.

use crate::cdt::context::CTX;
use crate::cdt::list::ListOp;
use crate::cdt::policy::{ListPolicy, ListSortFlags, ListWriteFlags};
use crate::cdt::return_type::ListReturnType;
use crate::expressions::builders::{int_val, nil};
use crate::expressions::cdt_call::{arg_int, arg_opt_int, arg_val, modify_call, remove_builders};
use crate::expressions::lists::read_op;
use crate::expressions::tree::Expression;
use crate::record::value::{ListOrderType, Value};

/// List op codes of the modifies (wire values).
mod code {
    pub const APPEND: i64 = 1;
    pub const APPEND_ITEMS: i64 = 2;
    pub const INSERT: i64 = 3;
    pub const INSERT_ITEMS: i64 = 4;
    pub const SET: i64 = 9;
    pub const CLEAR: i64 = 11;
    pub const INCREMENT: i64 = 12;
    pub const SORT: i64 = 13;
    pub const REMOVE_BY_INDEX: i64 = 32;
    pub const REMOVE_BY_RANK: i64 = 34;
    pub const REMOVE_BY_VALUE: i64 = 35;
    pub const REMOVE_BY_VALUE_LIST: i64 = 36;
    pub const REMOVE_BY_INDEX_RANGE: i64 = 37;
    pub const REMOVE_BY_VALUE_INTERVAL: i64 = 38;
    pub const REMOVE_BY_RANK_RANGE: i64 = 39;
    pub const REMOVE_BY_VALUE_REL_RANK_RANGE: i64 = 40;
    /// remove_by_* code − get_by_* code.
    pub const REMOVE_TO_GET: i64 = 13;
}

/// Whether `op` is a list modify aerolite evaluates inside an expression.
pub fn is_modify_op(op: i64) -> bool {
    use code::*;
    matches!(
        op,
        APPEND..=INSERT_ITEMS
            | SET
            | CLEAR..=SORT
            | REMOVE_BY_INDEX
            | REMOVE_BY_RANK..=REMOVE_BY_VALUE_REL_RANK_RANGE
    )
}

/// The list order of a create attribute (the persist-index bit 0x10 is a storage hint).
fn order(attr: Option<i64>) -> Option<ListOrderType> {
    match attr.unwrap_or(0) & !0x10 {
        0 => Some(ListOrderType::Unordered),
        1 => Some(ListOrderType::Ordered),
        _ => None,
    }
}

/// The policy of an op whose order attribute (if any) is argument `attr` and whose write
/// flags are argument `flags`; nothing may follow the flags.
fn policy(a: &[Option<Value>], attr: Option<usize>, flags: usize) -> Option<ListPolicy> {
    if a.len() > flags + 1 {
        return None;
    }
    let order = match attr {
        Some(i) => order(arg_opt_int(a, i)?)?,
        None => ListOrderType::Unordered,
    };
    let flags = u32::try_from(arg_opt_int(a, flags)?.unwrap_or(0)).ok()?;
    Some(ListPolicy::new(order, ListWriteFlags(flags)))
}

/// The list op of a wire modify call (`None` = arguments of the wrong shape → unknown).
pub fn modify_op(op: i64, a: &[Option<Value>]) -> Option<ListOp> {
    use code::*;
    Some(match op {
        APPEND => ListOp::Append(policy(a, Some(1), 2)?, arg_val(a, 0)?),
        APPEND_ITEMS => ListOp::AppendItems(policy(a, Some(1), 2)?, arg_val(a, 0)?),
        INSERT => ListOp::Insert(policy(a, None, 2)?, arg_int(a, 0)?, arg_val(a, 1)?),
        INSERT_ITEMS => ListOp::InsertItems(policy(a, None, 2)?, arg_int(a, 0)?, arg_val(a, 1)?),
        SET => ListOp::Set(policy(a, None, 2)?, arg_int(a, 0)?, arg_val(a, 1)?),
        INCREMENT => {
            let delta = a.get(1).map_or(Some(Value::Nil), Clone::clone)?;
            ListOp::Increment(policy(a, Some(2), 3)?, arg_int(a, 0)?, delta)
        }
        CLEAR => a.is_empty().then_some(ListOp::Clear)?,
        SORT if a.len() <= 1 => {
            let flags = u32::try_from(arg_opt_int(a, 0)?.unwrap_or(0)).ok()?;
            ListOp::Sort(ListSortFlags(flags))
        }
        REMOVE_BY_INDEX | REMOVE_BY_RANK..=REMOVE_BY_VALUE_REL_RANK_RANGE => {
            match read_op(op - REMOVE_TO_GET, a)? {
                ListOp::Get(sel, rt) => ListOp::Remove(sel, rt),
                _ => return None,
            }
        }
        _ => return None,
    })
}

fn list_call(op: i64, args: Vec<Expression>, bin: Expression, ctx: &[CTX]) -> Expression {
    modify_call(true, op, args, bin, ctx)
}

fn order_val(p: &ListPolicy) -> Expression {
    int_val(p.order as i64)
}

fn flags_val(p: &ListPolicy) -> Expression {
    int_val(i64::from(p.flags.0))
}

/// The list with `value` appended.
pub fn append(policy: ListPolicy, value: Expression, bin: Expression, ctx: &[CTX]) -> Expression {
    let args = vec![value, order_val(&policy), flags_val(&policy)];
    list_call(code::APPEND, args, bin, ctx)
}

/// The list with the items of `list` appended.
pub fn append_items(
    policy: ListPolicy,
    list: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let args = vec![list, order_val(&policy), flags_val(&policy)];
    list_call(code::APPEND_ITEMS, args, bin, ctx)
}

/// The list with `value` inserted at `index`.
pub fn insert(
    policy: ListPolicy,
    index: Expression,
    value: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let args = vec![index, value, flags_val(&policy)];
    list_call(code::INSERT, args, bin, ctx)
}

/// The list with the items of `list` inserted from `index`.
pub fn insert_items(
    policy: ListPolicy,
    index: Expression,
    list: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let args = vec![index, list, flags_val(&policy)];
    list_call(code::INSERT_ITEMS, args, bin, ctx)
}

/// The list with the number at `index` incremented by `value`.
pub fn increment(
    policy: ListPolicy,
    index: Expression,
    value: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let args = vec![index, value, order_val(&policy), flags_val(&policy)];
    list_call(code::INCREMENT, args, bin, ctx)
}

/// The list with the element at `index` set to `value`.
pub fn set(
    policy: ListPolicy,
    index: Expression,
    value: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let args = vec![index, value, flags_val(&policy)];
    list_call(code::SET, args, bin, ctx)
}

/// The list emptied.
pub fn clear(bin: Expression, ctx: &[CTX]) -> Expression {
    list_call(code::CLEAR, Vec::new(), bin, ctx)
}

/// The list sorted with `sort_flags`.
pub fn sort(sort_flags: ListSortFlags, bin: Expression, ctx: &[CTX]) -> Expression {
    let args = vec![int_val(i64::from(sort_flags.0))];
    list_call(code::SORT, args, bin, ctx)
}

/// The list without the elements with `begin <= value < end` (`None` = open end).
pub fn remove_by_value_range(
    rt: ListReturnType,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let mut args = vec![int_val(i64::from(rt.0)), begin.unwrap_or_else(nil)];
    args.extend(end);
    list_call(code::REMOVE_BY_VALUE_INTERVAL, args, bin, ctx)
}

remove_builders! { true;
    /// The list without the elements equal to `value`.
    remove_by_value(value) => code::REMOVE_BY_VALUE;
    /// The list without the elements equal to any of `values`.
    remove_by_value_list(values) => code::REMOVE_BY_VALUE_LIST;
    /// The list without the elements from the rank of `value` plus `rank` to the end.
    remove_by_value_relative_rank_range(value, rank) => code::REMOVE_BY_VALUE_REL_RANK_RANGE;
    /// The list without `count` elements from the rank of `value` plus `rank`.
    remove_by_value_relative_rank_range_count(value, rank, count) =>
        code::REMOVE_BY_VALUE_REL_RANK_RANGE;
    /// The list without the element at `index`.
    remove_by_index(index) => code::REMOVE_BY_INDEX;
    /// The list without the elements from `index` to the end.
    remove_by_index_range(index) => code::REMOVE_BY_INDEX_RANGE;
    /// The list without `count` elements from `index`.
    remove_by_index_range_count(index, count) => code::REMOVE_BY_INDEX_RANGE;
    /// The list without the element of rank `rank`.
    remove_by_rank(rank) => code::REMOVE_BY_RANK;
    /// The list without the elements from rank `rank` to the end.
    remove_by_rank_range(rank) => code::REMOVE_BY_RANK_RANGE;
    /// The list without `count` elements from rank `rank`.
    remove_by_rank_range_count(rank, count) => code::REMOVE_BY_RANK_RANGE;
}
