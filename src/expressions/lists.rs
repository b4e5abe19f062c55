//! List read expressions, named as the official client's `expressions::lists` (a read of a
//! list bin or of another list expression, with an optional context), and the decoding of
//! their wire op codes into aerolite's list ops (cdt.md §6.8). The modify expressions
//! (`append`, `insert`, `remove_by_*`, …) live in `list_modify` and are re-exported here.

pub use crate::expressions::list_modify::*;

use crate::cdt::context::CTX;
use crate::cdt::list::ListOp;
use crate::cdt::return_type::ListReturnType;
use crate::cdt::select::Selector;
use crate::expressions::builders::{int_val, nil};
use crate::expressions::cdt_call::{
    arg_bound, arg_count, arg_int, arg_rt, arg_val, read_call, value_type_of,
};
use crate::expressions::tree::{ExpType, Expression};
use crate::record::value::Value;

/// List op codes of the reads (wire values).
mod code {
    pub const SIZE: i64 = 16;
    pub const GET_BY_INDEX: i64 = 19;
    pub const GET_BY_RANK: i64 = 21;
    pub const GET_BY_VALUE: i64 = 22;
    pub const GET_BY_VALUE_LIST: i64 = 23;
    pub const GET_BY_INDEX_RANGE: i64 = 24;
    pub const GET_BY_VALUE_INTERVAL: i64 = 25;
    pub const GET_BY_RANK_RANGE: i64 = 26;
    pub const GET_BY_VALUE_REL_RANK_RANGE: i64 = 27;
}

/// Whether `op` is a list read aerolite evaluates.
pub fn is_read_op(op: i64) -> bool {
    matches!(
        op,
        code::SIZE | code::GET_BY_INDEX | code::GET_BY_RANK..=code::GET_BY_VALUE_REL_RANK_RANGE
    )
}

/// The list op of a wire read call (`None` = arguments of the wrong shape → unknown).
pub fn read_op(op: i64, a: &[Option<Value>]) -> Option<ListOp> {
    if op == code::SIZE {
        return a.is_empty().then_some(ListOp::Size);
    }
    let rt = arg_rt(a)?;
    let sel = match op {
        code::GET_BY_INDEX => Selector::Index(arg_int(a, 1)?),
        code::GET_BY_RANK => Selector::Rank(arg_int(a, 1)?),
        code::GET_BY_VALUE => Selector::Value(arg_val(a, 1)?),
        code::GET_BY_VALUE_LIST => Selector::ValueList(arg_val(a, 1)?),
        code::GET_BY_INDEX_RANGE => Selector::IndexRange(arg_int(a, 1)?, arg_count(a, 2)?),
        code::GET_BY_VALUE_INTERVAL => Selector::ValueInterval(arg_bound(a, 1), arg_bound(a, 2)),
        code::GET_BY_RANK_RANGE => Selector::RankRange(arg_int(a, 1)?, arg_count(a, 2)?),
        code::GET_BY_VALUE_REL_RANK_RANGE => {
            Selector::ValueRel(arg_val(a, 1)?, arg_int(a, 2)?, arg_count(a, 3)?)
        }
        _ => return None,
    };
    Some(ListOp::Get(sel, rt))
}

fn rt_val(rt: ListReturnType) -> Expression {
    int_val(i64::from(rt.0))
}

fn multi(
    rt: ListReturnType,
    op: i64,
    mut args: Vec<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    args.insert(0, rt_val(rt));
    read_call(value_type_of(rt.0), op, args, bin, ctx)
}

/// Element count of the list.
pub fn size(bin: Expression, ctx: &[CTX]) -> Expression {
    read_call(ExpType::INT, code::SIZE, Vec::new(), bin, ctx)
}

/// Elements equal to `value`.
pub fn get_by_value(
    rt: ListReturnType,
    value: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_VALUE, vec![value], bin, ctx)
}

/// Elements with `begin <= value < end` (`None` = open end).
pub fn get_by_value_range(
    rt: ListReturnType,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let mut args = vec![begin.unwrap_or_else(nil)];
    args.extend(end);
    multi(rt, code::GET_BY_VALUE_INTERVAL, args, bin, ctx)
}

/// Elements equal to any of `values` (a list expression).
pub fn get_by_value_list(
    rt: ListReturnType,
    values: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_VALUE_LIST, vec![values], bin, ctx)
}

/// Elements from the rank of `value` plus `rank` to the end.
pub fn get_by_value_relative_rank_range(
    rt: ListReturnType,
    value: Expression,
    rank: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(
        rt,
        code::GET_BY_VALUE_REL_RANK_RANGE,
        vec![value, rank],
        bin,
        ctx,
    )
}

/// `count` elements from the rank of `value` plus `rank`.
pub fn get_by_value_relative_rank_range_count(
    rt: ListReturnType,
    value: Expression,
    rank: Expression,
    count: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(
        rt,
        code::GET_BY_VALUE_REL_RANK_RANGE,
        vec![value, rank, count],
        bin,
        ctx,
    )
}

/// The element at `index`, of type `value_type`.
pub fn get_by_index(
    rt: ListReturnType,
    value_type: ExpType,
    index: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    read_call(
        value_type,
        code::GET_BY_INDEX,
        vec![rt_val(rt), index],
        bin,
        ctx,
    )
}

/// Elements from `index` to the end.
pub fn get_by_index_range(
    rt: ListReturnType,
    index: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_INDEX_RANGE, vec![index], bin, ctx)
}

/// `count` elements from `index`.
pub fn get_by_index_range_count(
    rt: ListReturnType,
    index: Expression,
    count: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_INDEX_RANGE, vec![index, count], bin, ctx)
}

/// The element of rank `rank`, of type `value_type`.
pub fn get_by_rank(
    rt: ListReturnType,
    value_type: ExpType,
    rank: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    read_call(
        value_type,
        code::GET_BY_RANK,
        vec![rt_val(rt), rank],
        bin,
        ctx,
    )
}

/// Elements from rank `rank` to the end.
pub fn get_by_rank_range(
    rt: ListReturnType,
    rank: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_RANK_RANGE, vec![rank], bin, ctx)
}

/// `count` elements from rank `rank`.
pub fn get_by_rank_range_count(
    rt: ListReturnType,
    rank: Expression,
    count: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_RANK_RANGE, vec![rank, count], bin, ctx)
}
