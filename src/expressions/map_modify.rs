//! Map modify expressions, named as the official client's `expressions::maps` (put,
//! put_items, increment, clear, remove_by_*; re-exported by `maps`), and the decoding of their
//! wire op codes into aerolite's map ops (cdt.md §5). A modify call applies the op to a copy of
//! the map (or of the container a context reaches into) and its value is the whole modified
//! container (EXP-CDT-MODIFY, cdt_call.rs); the stored record is never written.
//!
//! Op codes and argument orders are those of the `operate` payload: put `[67, key, value,
//! order, flags]` (the clients omit default flags), put_items `[68, map, order, flags]`,
//! increment `[73, key, delta, order]` (decrement 74), clear `[75]`, remove_by_* `[76…89,
//! return type, selector…]` (the get_by_* selectors).
//!
//! Invariants: `modify_op` never panics and yields only modify ops (`eval_modify` asserts
//! it); an argument list of another shape is `None`, an unknown call; the builders send
//! exactly the clients' `[op, args…]`, default write flags omitted as they do.

use crate::cdt::context::CTX;
use crate::cdt::map::MapOp;
use crate::cdt::policy::{MapPolicy, MapWriteFlags};
use crate::cdt::return_type::MapReturnType;
use crate::expressions::builders::{int_val, nil};
use crate::expressions::cdt_call::{arg_opt_int, arg_val, modify_call, remove_builders};
use crate::expressions::maps::read_op;
use crate::expressions::tree::Expression;
use crate::record::value::{MapOrder, Value};

/// Map op codes of the modifies (wire values).
mod code {
    pub const PUT: i64 = 67;
    pub const PUT_ITEMS: i64 = 68;
    pub const INCREMENT: i64 = 73;
    pub const DECREMENT: i64 = 74;
    pub const CLEAR: i64 = 75;
    pub const REMOVE_BY_KEY: i64 = 76;
    pub const REMOVE_BY_INDEX: i64 = 77;
    pub const REMOVE_BY_RANK: i64 = 79;
    pub const REMOVE_BY_KEY_LIST: i64 = 81;
    pub const REMOVE_BY_VALUE: i64 = 82;
    pub const REMOVE_BY_VALUE_LIST: i64 = 83;
    pub const REMOVE_BY_KEY_INTERVAL: i64 = 84;
    pub const REMOVE_BY_INDEX_RANGE: i64 = 85;
    pub const REMOVE_BY_VALUE_INTERVAL: i64 = 86;
    pub const REMOVE_BY_RANK_RANGE: i64 = 87;
    pub const REMOVE_BY_KEY_REL_INDEX_RANGE: i64 = 88;
    pub const REMOVE_BY_VALUE_REL_RANK_RANGE: i64 = 89;
}

/// The get_by_* code with the same selector as remove_by_* `op` (maps.rs decodes it).
fn get_code(op: i64) -> Option<i64> {
    use code::*;
    Some(match op {
        REMOVE_BY_KEY => 97,
        REMOVE_BY_INDEX => 98,
        REMOVE_BY_RANK => 100,
        REMOVE_BY_KEY_LIST => 107,
        REMOVE_BY_VALUE => 102,
        REMOVE_BY_VALUE_LIST => 108,
        REMOVE_BY_KEY_INTERVAL => 103,
        REMOVE_BY_INDEX_RANGE => 104,
        REMOVE_BY_VALUE_INTERVAL => 105,
        REMOVE_BY_RANK_RANGE => 106,
        REMOVE_BY_KEY_REL_INDEX_RANGE => 109,
        REMOVE_BY_VALUE_REL_RANK_RANGE => 110,
        _ => return None,
    })
}

/// Whether `op` is a map modify aerolite evaluates inside an expression.
pub fn is_modify_op(op: i64) -> bool {
    matches!(
        op,
        code::PUT | code::PUT_ITEMS | code::INCREMENT..=code::CLEAR
    ) || get_code(op).is_some()
}

/// The map order of a create attribute (the persist-index bit 0x10 is a storage hint).
fn order(attr: Option<i64>) -> Option<MapOrder> {
    match attr.unwrap_or(0) & !0x10 {
        0 => Some(MapOrder::Unordered),
        1 => Some(MapOrder::KeyOrdered),
        3 => Some(MapOrder::KeyValueOrdered),
        _ => None,
    }
}

/// The policy whose order attribute is argument `attr` and write flags argument `attr + 1`
/// (absent = default); nothing may follow the flags.
fn policy(a: &[Option<Value>], attr: usize) -> Option<MapPolicy> {
    if a.len() > attr + 2 {
        return None;
    }
    let flags = u32::try_from(arg_opt_int(a, attr + 1)?.unwrap_or(0)).ok()?;
    Some(MapPolicy::new(
        order(arg_opt_int(a, attr)?)?,
        MapWriteFlags(flags),
    ))
}

/// The map op of a wire modify call (`None` = arguments of the wrong shape → unknown).
pub fn modify_op(op: i64, a: &[Option<Value>]) -> Option<MapOp> {
    use code::*;
    Some(match op {
        PUT => MapOp::Put(policy(a, 2)?, arg_val(a, 0)?, arg_val(a, 1)?),
        PUT_ITEMS => MapOp::PutItems(policy(a, 1)?, arg_val(a, 0)?),
        INCREMENT | DECREMENT if a.len() <= 3 => {
            let delta = a.get(1).map_or(Some(Value::Nil), Clone::clone)?;
            let p = MapPolicy::new(order(arg_opt_int(a, 2)?)?, MapWriteFlags::Default);
            MapOp::Increment(p, arg_val(a, 0)?, delta, op == DECREMENT)
        }
        CLEAR => a.is_empty().then_some(MapOp::Clear)?,
        _ => match read_op(get_code(op)?, a)? {
            MapOp::Get(sel, rt) => MapOp::Remove(sel, rt),
            _ => return None,
        },
    })
}

fn map_call(op: i64, args: Vec<Expression>, bin: Expression, ctx: &[CTX]) -> Expression {
    modify_call(false, op, args, bin, ctx)
}

/// The order attribute, then the write flags only when not default (as the clients send).
fn policy_args(p: &MapPolicy, with_flags: bool) -> Vec<Expression> {
    let mut args = vec![int_val(p.order as i64)];
    if with_flags && p.flags != MapWriteFlags::Default {
        args.push(int_val(i64::from(p.flags.0)));
    }
    args
}

/// A remove by key or value interval: the end is sent only when given (as the clients do).
fn interval(
    rt: MapReturnType,
    op: i64,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let mut args = vec![int_val(i64::from(rt.0)), begin.unwrap_or_else(nil)];
    args.extend(end);
    map_call(op, args, bin, ctx)
}

/// The map with `key` set to `value`.
pub fn put(
    policy: &MapPolicy,
    key: Expression,
    value: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let mut args = vec![key, value];
    args.extend(policy_args(policy, true));
    map_call(code::PUT, args, bin, ctx)
}

/// The map with every entry of `map` put.
pub fn put_items(policy: &MapPolicy, map: Expression, bin: Expression, ctx: &[CTX]) -> Expression {
    let mut args = vec![map];
    args.extend(policy_args(policy, true));
    map_call(code::PUT_ITEMS, args, bin, ctx)
}

/// The map with the number under `key` incremented by `incr`.
pub fn increment(
    policy: &MapPolicy,
    key: Expression,
    incr: Expression,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let mut args = vec![key, incr];
    args.extend(policy_args(policy, false));
    map_call(code::INCREMENT, args, bin, ctx)
}

/// The map emptied.
pub fn clear(bin: Expression, ctx: &[CTX]) -> Expression {
    map_call(code::CLEAR, Vec::new(), bin, ctx)
}

/// The map without the entries with `begin <= key < end` (`None` = open end).
pub fn remove_by_key_range(
    rt: MapReturnType,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    interval(rt, code::REMOVE_BY_KEY_INTERVAL, begin, end, bin, ctx)
}

/// The map without the entries with `begin <= value < end` (`None` = open end).
pub fn remove_by_value_range(
    rt: MapReturnType,
    begin: Option<Expression>,
    end: Option<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    interval(rt, code::REMOVE_BY_VALUE_INTERVAL, begin, end, bin, ctx)
}

remove_builders! { false;
    /// The map without the entry with key `key`.
    remove_by_key(key) => code::REMOVE_BY_KEY;
    /// The map without the entries whose key is in `keys`.
    remove_by_key_list(keys) => code::REMOVE_BY_KEY_LIST;
    /// The map without the entries from the index of `key` plus `index` to the end.
    remove_by_key_relative_index_range(key, index) => code::REMOVE_BY_KEY_REL_INDEX_RANGE;
    /// The map without `count` entries from the index of `key` plus `index`.
    remove_by_key_relative_index_range_count(key, index, count) =>
        code::REMOVE_BY_KEY_REL_INDEX_RANGE;
    /// The map without the entries whose value equals `value`.
    remove_by_value(value) => code::REMOVE_BY_VALUE;
    /// The map without the entries whose value is in `values`.
    remove_by_value_list(values) => code::REMOVE_BY_VALUE_LIST;
    /// The map without the entries from the rank of `value` plus `rank` to the end.
    remove_by_value_relative_rank_range(value, rank) => code::REMOVE_BY_VALUE_REL_RANK_RANGE;
    /// The map without `count` entries from the rank of `value` plus `rank`.
    remove_by_value_relative_rank_range_count(value, rank, count) =>
        code::REMOVE_BY_VALUE_REL_RANK_RANGE;
    /// The map without the entry at key-order `index`.
    remove_by_index(index) => code::REMOVE_BY_INDEX;
    /// The map without the entries from `index` to the end.
    remove_by_index_range(index) => code::REMOVE_BY_INDEX_RANGE;
    /// The map without `count` entries from `index`.
    remove_by_index_range_count(index, count) => code::REMOVE_BY_INDEX_RANGE;
    /// The map without the entry of rank `rank`.
    remove_by_rank(rank) => code::REMOVE_BY_RANK;
    /// The map without the entries from rank `rank` to the end.
    remove_by_rank_range(rank) => code::REMOVE_BY_RANK_RANGE;
    /// The map without `count` entries from rank `rank`.
    remove_by_rank_range_count(rank, count) => code::REMOVE_BY_RANK_RANGE;
}
