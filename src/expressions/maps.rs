//! Map read expressions, named as the official client's `expressions::maps`, and the decoding
//! of their wire op codes into aerolite's map ops (cdt.md §5.8). The modify expressions
//! (`put`, `increment`, `remove_by_*`, …) live in `map_modify` and are re-exported here.

pub use crate::expressions::map_modify::*;

use crate::cdt::context::CTX;
use crate::cdt::map::MapOp;
use crate::cdt::return_type::MapReturnType;
use crate::cdt::select::Selector;
use crate::expressions::builders::{int_val, nil};
use crate::expressions::cdt_call::{
    arg_bound, arg_count, arg_int, arg_rt, arg_val, read_call, value_type_of,
};
use crate::expressions::tree::{ExpType, Expression};
use crate::record::value::Value;

/// Map op codes of the reads (wire values).
mod code {
    pub const SIZE: i64 = 96;
    pub const GET_BY_KEY: i64 = 97;
    pub const GET_BY_INDEX: i64 = 98;
    pub const GET_BY_RANK: i64 = 100;
    pub const GET_BY_VALUE: i64 = 102;
    pub const GET_BY_KEY_INTERVAL: i64 = 103;
    pub const GET_BY_INDEX_RANGE: i64 = 104;
    pub const GET_BY_VALUE_INTERVAL: i64 = 105;
    pub const GET_BY_RANK_RANGE: i64 = 106;
    pub const GET_BY_KEY_LIST: i64 = 107;
    pub const GET_BY_VALUE_LIST: i64 = 108;
    pub const GET_BY_KEY_REL_INDEX_RANGE: i64 = 109;
    pub const GET_BY_VALUE_REL_RANK_RANGE: i64 = 110;
}

/// Whether `op` is a map read aerolite evaluates.
pub fn is_read_op(op: i64) -> bool {
    matches!(op, code::SIZE..=code::GET_BY_INDEX | code::GET_BY_RANK | code::GET_BY_VALUE..=code::GET_BY_VALUE_REL_RANK_RANGE)
}

/// The map op of a wire read call (`None` = arguments of the wrong shape → unknown).
pub fn read_op(op: i64, a: &[Option<Value>]) -> Option<MapOp> {
    if op == code::SIZE {
        return a.is_empty().then_some(MapOp::Size);
    }
    let rt = arg_rt(a)?;
    let sel = match op {
        code::GET_BY_KEY => Selector::Key(arg_val(a, 1)?),
        code::GET_BY_INDEX => Selector::Index(arg_int(a, 1)?),
        code::GET_BY_RANK => Selector::Rank(arg_int(a, 1)?),
        code::GET_BY_VALUE => Selector::Value(arg_val(a, 1)?),
        code::GET_BY_KEY_INTERVAL => Selector::KeyInterval(arg_bound(a, 1), arg_bound(a, 2)),
        code::GET_BY_INDEX_RANGE => Selector::IndexRange(arg_int(a, 1)?, arg_count(a, 2)?),
        code::GET_BY_VALUE_INTERVAL => Selector::ValueInterval(arg_bound(a, 1), arg_bound(a, 2)),
        code::GET_BY_RANK_RANGE => Selector::RankRange(arg_int(a, 1)?, arg_count(a, 2)?),
        code::GET_BY_KEY_LIST => Selector::KeyList(arg_val(a, 1)?),
        code::GET_BY_VALUE_LIST => Selector::ValueList(arg_val(a, 1)?),
        code::GET_BY_KEY_REL_INDEX_RANGE => {
            Selector::KeyRel(arg_val(a, 1)?, arg_int(a, 2)?, arg_count(a, 3)?)
        }
        code::GET_BY_VALUE_REL_RANK_RANGE => {
            Selector::ValueRel(arg_val(a, 1)?, arg_int(a, 2)?, arg_count(a, 3)?)
        }
        _ => return None,
    };
    Some(MapOp::Get(sel, rt))
}

fn rt_val(rt: MapReturnType) -> Expression {
    int_val(i64::from(rt.0))
}

fn multi(
    rt: MapReturnType,
    op: i64,
    mut args: Vec<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    args.insert(0, rt_val(rt));
    read_call(value_type_of(rt.0), op, args, bin, ctx)
}

fn single(
    rt: MapReturnType,
    value_type: ExpType,
    op: i64,
    arg: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    read_call(value_type, op, vec![rt_val(rt), arg], bin, ctx)
}

fn interval(begin: Option<Expression>, end: Option<Expression>) -> Vec<Expression> {
    let mut args = vec![begin.unwrap_or_else(nil)];
    args.extend(end);
    args
}

/// Entry count of the map.
pub fn size(bin: Expression, ctx: &[CTX]) -> Expression {
    read_call(ExpType::INT, code::SIZE, Vec::new(), bin, ctx)
}

/// The entry with key `key`, its result of type `value_type`.
pub fn get_by_key(
    rt: MapReturnType,
    value_type: ExpType,
    key: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    single(rt, value_type, code::GET_BY_KEY, key, bin, ctx)
}

/// Entries with `begin <= key < end` (`None` = open end).
pub fn get_by_key_range(
    rt: MapReturnType,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(
        rt,
        code::GET_BY_KEY_INTERVAL,
        interval(begin, end),
        bin,
        ctx,
    )
}

/// Entries whose key is in `keys` (a list expression).
pub fn get_by_key_list(
    rt: MapReturnType,
    keys: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_KEY_LIST, vec![keys], bin, ctx)
}

/// Entries from the index of `key` plus `index` to the end.
pub fn get_by_key_relative_index_range(
    rt: MapReturnType,
    key: Expression,
    index: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(
        rt,
        code::GET_BY_KEY_REL_INDEX_RANGE,
        vec![key, index],
        bin,
        ctx,
    )
}

/// `count` entries from the index of `key` plus `index`.
pub fn get_by_key_relative_index_range_count(
    rt: MapReturnType,
    key: Expression,
    index: Expression,
    count: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(
        rt,
        code::GET_BY_KEY_REL_INDEX_RANGE,
        vec![key, index, count],
        bin,
        ctx,
    )
}

/// Entries whose value equals `value`.
pub fn get_by_value(
    rt: MapReturnType,
    value: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_VALUE, vec![value], bin, ctx)
}

/// Entries with `begin <= value < end`.
pub fn get_by_value_range(
    rt: MapReturnType,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(
        rt,
        code::GET_BY_VALUE_INTERVAL,
        interval(begin, end),
        bin,
        ctx,
    )
}

/// Entries whose value is in `values`.
pub fn get_by_value_list(
    rt: MapReturnType,
    values: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_VALUE_LIST, vec![values], bin, ctx)
}

/// Entries from the rank of `value` plus `rank` to the end.
pub fn get_by_value_relative_rank_range(
    rt: MapReturnType,
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

/// `count` entries from the rank of `value` plus `rank`.
pub fn get_by_value_relative_rank_range_count(
    rt: MapReturnType,
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

/// The entry at key-order `index`, its result of type `value_type`.
pub fn get_by_index(
    rt: MapReturnType,
    value_type: ExpType,
    index: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    single(rt, value_type, code::GET_BY_INDEX, index, bin, ctx)
}

/// Entries from `index` to the end.
pub fn get_by_index_range(
    rt: MapReturnType,
    index: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_INDEX_RANGE, vec![index], bin, ctx)
}

/// `count` entries from `index`.
pub fn get_by_index_range_count(
    rt: MapReturnType,
    index: Expression,
    count: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_INDEX_RANGE, vec![index, count], bin, ctx)
}

/// The entry of rank `rank`, its result of type `value_type`.
pub fn get_by_rank(
    rt: MapReturnType,
    value_type: ExpType,
    rank: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    single(rt, value_type, code::GET_BY_RANK, rank, bin, ctx)
}

/// Entries from rank `rank` to the end.
pub fn get_by_rank_range(
    rt: MapReturnType,
    rank: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_RANK_RANGE, vec![rank], bin, ctx)
}

/// `count` entries from rank `rank`.
pub fn get_by_rank_range_count(
    rt: MapReturnType,
    rank: Expression,
    count: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    multi(rt, code::GET_BY_RANK_RANGE, vec![rank, count], bin, ctx)
}
