//! CDT op payloads: an op value of particle BLOB holding a msgpack array `[op_code, args…]`, or
//! `[0xff, [ctx_type, ctx_value, …], [op_code, args…]]` with a context (C client
//! `as_cdt_internal.c:as_cdt_pack_header`; Rust `aerospike-core/src/msgpack/encoder.rs:
//! pack_cdt_op` and `pack_cdt_create_op`). Op codes and argument orders are the server's
//! `as_cdt_optype` table as the clients use it (Rust `operations/lists.rs`, `operations/maps.rs`:
//! list ops 0–40, map ops 64–110); optional trailing arguments are the create attributes
//! (order) and the write flags. A context type is `base | create flags`: list index 0x10, list
//! rank 0x11, list value 0x13, map index 0x20, map rank 0x21, map key 0x22, map value 0x23;
//! 0x40/0x80/0xc0 on a list index or map key make the step creating (`cdt_context.rs`).
//!
//! Invariant: `decode` never panics; what aerolite does not implement (string join, path and
//! expression contexts, legacy add/replace forms beyond put) is ParameterError (4) or
//! OpNotApplicable (26), never a guess.

use crate::cdt::builders::{bound, count};
use crate::cdt::context::CTX;
use crate::cdt::list::ListOp;
use crate::cdt::map::MapOp;
use crate::cdt::policy::{ListPolicy, ListSortFlags, ListWriteFlags, MapPolicy, MapWriteFlags};
use crate::cdt::return_type::ReturnType;
use crate::cdt::select::Selector;
use crate::cdt::{CdtOp, CdtOperation};
use crate::error::{err, Result, ResultCode};
use crate::record::value::{ListOrderType, MapOrder, Value};
use crate::wire::particle::msgpack;

/// The arguments of one op, consumed in order.
struct Args {
    op: i64,
    items: std::vec::IntoIter<Value>,
}

impl Args {
    fn value(&mut self) -> Result<Value> {
        match self.items.next() {
            Some(v) => Ok(v),
            None => err(
                ResultCode::ParameterError,
                format!("CDT op {} is missing an argument", self.op),
            ),
        }
    }
    fn opt_value(&mut self) -> Option<Value> {
        self.items.next()
    }
    fn int(&mut self) -> Result<i64> {
        let v = self.value()?;
        v.as_int().map_or_else(
            || {
                err(
                    ResultCode::ParameterError,
                    format!("CDT op {}: argument {v} is not an integer", self.op),
                )
            },
            Ok,
        )
    }
    fn opt_int(&mut self) -> Result<Option<i64>> {
        match self.items.next() {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(i)),
            Some(v) => err(
                ResultCode::ParameterError,
                format!("CDT op {}: argument {v} is not an integer", self.op),
            ),
        }
    }
    fn return_type(&mut self) -> Result<ReturnType> {
        let rt = self.int()?;
        u32::try_from(rt).map(ReturnType).or_else(|_| {
            err(
                ResultCode::ParameterError,
                format!("return type {rt} out of range"),
            )
        })
    }
    fn opt_count(&mut self) -> Result<Option<u64>> {
        Ok(self.opt_int()?.and_then(count))
    }
}

fn flags32(v: Option<i64>) -> u32 {
    v.map_or(0, |f| f as u32)
}

/// Decode the op value `blob` of a CDT op on `bin`.
pub fn decode(bin: &str, blob: &[u8]) -> Result<CdtOperation> {
    decode_with_shape(bin, blob).map(|(op, _)| op)
}

/// Like [`decode`], also saying whether the op is a map get/remove with return type KEY_VALUE,
/// whose result the server sends as a map of pairs in result order (flag 0x08, `msgpack`).
pub fn decode_with_shape(bin: &str, blob: &[u8]) -> Result<(CdtOperation, bool)> {
    let Value::List(top) = msgpack(blob)? else {
        return err(ResultCode::ParameterError, "CDT op payload is not an array");
    };
    let mut items = top.items;
    let (ctx, op_items) = match items.first() {
        Some(Value::Int(0xff)) if items.len() == 3 => {
            let op = items.pop().unwrap_or_default();
            let ctx = items.pop().unwrap_or_default();
            (context(ctx)?, op)
        }
        _ => (Vec::new(), Value::list(items)),
    };
    let Value::List(op_list) = op_items else {
        return err(ResultCode::ParameterError, "CDT op is not an array");
    };
    let mut it = op_list.items.into_iter();
    let Some(Value::Int(code)) = it.next() else {
        return err(
            ResultCode::ParameterError,
            "CDT op array without an op code",
        );
    };
    let mut args = Args {
        op: code,
        items: it,
    };
    let op = if (0..64).contains(&code) {
        CdtOp::List(list_op(code, &mut args)?)
    } else {
        CdtOp::Map(map_op(code, &mut args)?)
    };
    if args.items.next().is_some() {
        return err(
            ResultCode::ParameterError,
            format!("CDT op {code} has too many arguments"),
        );
    }
    let (op, ctx) = create_form(op, ctx);
    let key_value = matches!(
        &op,
        CdtOp::Map(MapOp::Get(_, rt) | MapOp::Remove(_, rt))
            if rt.0 & !ReturnType::Inverted.0 == ReturnType::KeyValue.0
    );
    Ok((CdtOperation::new(bin, op).with_context(ctx), key_value))
}

/// The clients' `maps::create(bin, order, ctx)` / `lists::create(bin, order, pad, ctx)` send
/// SET_TYPE with the create flags on the last context step (Rust `encoder.rs:
/// pack_cdt_create_op`): the element that step addresses is created with that order. That is
/// aerolite's `create(…).set_context(ctx)` (M-CREATE, L-CREATE), whose last step is made
/// creating by `CdtOperation::with_context`, so the step goes back to its plain form here.
fn create_form(op: CdtOp, mut ctx: Vec<CTX>) -> (CdtOp, Vec<CTX>) {
    let op = match (op, ctx.last().cloned()) {
        (CdtOp::Map(MapOp::SetPolicy(order)), Some(CTX::MapKeyCreate(k, _))) => {
            ctx.pop();
            ctx.push(CTX::MapKey(k));
            CdtOp::Map(MapOp::Create(order))
        }
        (CdtOp::List(ListOp::SetOrder(order)), Some(CTX::ListIndexCreate(i, _, pad))) => {
            ctx.pop();
            ctx.push(CTX::ListIndex(i));
            CdtOp::List(ListOp::Create(order, pad))
        }
        (op, _) => op,
    };
    (op, ctx)
}

/// A packed context `[type, value, …]` (msgpack, as `sindex-create`'s `context=` and the
/// INDEX_CONTEXT field carry it, Rust `encoder.rs:pack_ctx_for_index`) → steps.
pub fn context_bytes(b: &[u8]) -> Result<Vec<CTX>> {
    context(crate::format::msgpack::decode(b)?)
}

/// `[type, value, type, value, …]` → steps.
fn context(v: Value) -> Result<Vec<CTX>> {
    let Value::List(l) = v else {
        return err(ResultCode::ParameterError, "CDT context is not an array");
    };
    if l.items.len() % 2 != 0 || l.items.is_empty() {
        return err(
            ResultCode::ParameterError,
            "CDT context needs type/value pairs",
        );
    }
    let mut out = Vec::with_capacity(l.items.len() / 2);
    let mut it = l.items.into_iter();
    while let (Some(t), Some(v)) = (it.next(), it.next()) {
        out.push(step(t.as_int().unwrap_or(-1), v)?);
    }
    Ok(out)
}

fn step(t: i64, v: Value) -> Result<CTX> {
    let int = |v: &Value| {
        v.as_int().map_or_else(
            || {
                err(
                    ResultCode::ParameterError,
                    format!("context index {v} is not an integer"),
                )
            },
            Ok,
        )
    };
    let flags = t & 0xc0;
    Ok(match (t & !0xc0, flags) {
        (0x10, 0) => CTX::ListIndex(int(&v)?),
        (0x10, 0xc0) => CTX::ListIndexCreate(int(&v)?, ListOrderType::Ordered, false),
        (0x10, f) => CTX::ListIndexCreate(int(&v)?, ListOrderType::Unordered, f == 0x80),
        (0x11, 0) => CTX::ListRank(int(&v)?),
        (0x13, 0) => CTX::ListValue(v),
        (0x20, 0) => CTX::MapIndex(int(&v)?),
        (0x21, 0) => CTX::MapRank(int(&v)?),
        (0x22, 0) => CTX::MapKey(v),
        (0x22, 0x40) => CTX::MapKeyCreate(v, MapOrder::Unordered),
        (0x22, 0x80) => CTX::MapKeyCreate(v, MapOrder::KeyOrdered),
        (0x22, _) => CTX::MapKeyCreate(v, MapOrder::KeyValueOrdered),
        (0x23, 0) => CTX::MapValue(v),
        _ => {
            return err(
                ResultCode::ParameterError,
                format!("context type {t:#x} is not supported by aerolite"),
            )
        }
    })
}

fn map_order(attr: Option<i64>) -> Result<MapOrder> {
    Ok(match attr.map_or(0, |a| a & !0x10) {
        0 => MapOrder::Unordered,
        1 => MapOrder::KeyOrdered,
        3 => MapOrder::KeyValueOrdered,
        a => {
            return err(
                ResultCode::ParameterError,
                format!("map order attribute {a}"),
            )
        }
    })
}

fn list_order(attr: Option<i64>) -> Result<ListOrderType> {
    Ok(match attr.map_or(0, |a| a & !0x10) {
        0 => ListOrderType::Unordered,
        1 => ListOrderType::Ordered,
        a => {
            return err(
                ResultCode::ParameterError,
                format!("list order attribute {a}"),
            )
        }
    })
}

fn map_policy(a: &mut Args, forced: u32) -> Result<MapPolicy> {
    let order = map_order(a.opt_int()?)?;
    let flags = flags32(a.opt_int()?) | forced;
    Ok(MapPolicy::new(order, MapWriteFlags(flags)))
}

fn list_policy(a: &mut Args, with_attr: bool) -> Result<ListPolicy> {
    let order = if with_attr {
        list_order(a.opt_int()?)?
    } else {
        ListOrderType::Unordered
    };
    Ok(ListPolicy::new(
        order,
        ListWriteFlags(flags32(a.opt_int()?)),
    ))
}

fn map_op(code: i64, a: &mut Args) -> Result<MapOp> {
    Ok(match code {
        64 => MapOp::SetPolicy(map_order(Some(a.int()?))?),
        65 | 67 | 69 => {
            let key = a.value()?;
            let val = a.opt_value().unwrap_or_default();
            let forced = match code {
                65 => MapWriteFlags::CreateOnly.0,
                69 => MapWriteFlags::UpdateOnly.0,
                _ => 0,
            };
            MapOp::Put(map_policy(a, forced)?, key, val)
        }
        66 | 68 | 70 => {
            let items = a.value()?;
            let forced = match code {
                66 => MapWriteFlags::CreateOnly.0,
                70 => MapWriteFlags::UpdateOnly.0,
                _ => 0,
            };
            MapOp::PutItems(map_policy(a, forced)?, items)
        }
        73 | 74 => {
            let key = a.value()?;
            let delta = a.opt_value().unwrap_or_default();
            let policy = MapPolicy::new(map_order(a.opt_int()?)?, MapWriteFlags::Default);
            MapOp::Increment(policy, key, delta, code == 74)
        }
        75 => MapOp::Clear,
        96 => MapOp::Size,
        76..=89 => {
            let rt = a.return_type()?;
            MapOp::Remove(map_selector(code - 76, a)?, rt)
        }
        97..=110 => {
            let rt = a.return_type()?;
            MapOp::Get(map_selector(get_to_remove(code), a)?, rt)
        }
        _ => return unknown(code),
    })
}

/// Map get codes (97…) as offsets of the remove table (76…).
fn get_to_remove(code: i64) -> i64 {
    match code {
        97 => 0,
        98 => 1,
        100 => 3,
        102 => 6,
        103 => 8,
        104 => 9,
        105 => 10,
        106 => 11,
        107 => 5,
        108 => 7,
        109 => 12,
        110 => 13,
        _ => -1,
    }
}

/// Remove-table offsets: 0 key, 1 index, 3 rank, 5 key list, 6 value, 7 value list,
/// 8 key interval, 9 index range, 10 value interval, 11 rank range, 12 key rel, 13 value rel.
fn map_selector(off: i64, a: &mut Args) -> Result<Selector> {
    Ok(match off {
        0 => Selector::Key(a.value()?),
        1 => Selector::Index(a.int()?),
        3 => Selector::Rank(a.int()?),
        5 => Selector::KeyList(a.value()?),
        6 => Selector::Value(a.value()?),
        7 => Selector::ValueList(a.value()?),
        8 => Selector::KeyInterval(bound(a.value()?), a.opt_value().and_then(bound)),
        9 => Selector::IndexRange(a.int()?, a.opt_count()?),
        10 => Selector::ValueInterval(bound(a.value()?), a.opt_value().and_then(bound)),
        11 => Selector::RankRange(a.int()?, a.opt_count()?),
        12 => Selector::KeyRel(a.value()?, a.int()?, a.opt_count()?),
        13 => Selector::ValueRel(a.value()?, a.int()?, a.opt_count()?),
        _ => return unknown(off + 76),
    })
}

fn list_op(code: i64, a: &mut Args) -> Result<ListOp> {
    Ok(match code {
        0 => ListOp::SetOrder(list_order(Some(a.int()?))?),
        1 => {
            let v = a.value()?;
            ListOp::Append(list_policy(a, true)?, v)
        }
        2 => {
            let v = a.value()?;
            ListOp::AppendItems(list_policy(a, true)?, v)
        }
        3 => {
            let (i, v) = (a.int()?, a.value()?);
            ListOp::Insert(list_policy(a, false)?, i, v)
        }
        4 => {
            let (i, v) = (a.int()?, a.value()?);
            ListOp::InsertItems(list_policy(a, false)?, i, v)
        }
        9 => {
            let (i, v) = (a.int()?, a.value()?);
            ListOp::Set(list_policy(a, false)?, i, v)
        }
        12 => {
            let i = a.int()?;
            let delta = a.opt_value().unwrap_or_default();
            ListOp::Increment(list_policy(a, true)?, i, delta)
        }
        11 => ListOp::Clear,
        13 => ListOp::Sort(ListSortFlags(flags32(a.opt_int()?))),
        16 => ListOp::Size,
        5..=8 | 10 | 17 | 18 => legacy_list(code, a)?,
        19..=27 => {
            let rt = a.return_type()?;
            ListOp::Get(list_selector(code - 19, a)?, rt)
        }
        32..=40 => {
            let rt = a.return_type()?;
            ListOp::Remove(list_selector(code - 32, a)?, rt)
        }
        _ => return unknown(code),
    })
}

/// pop, pop_range, remove, remove_range, trim, get, get_range (L-OP-LEGACY).
fn legacy_list(code: i64, a: &mut Args) -> Result<ListOp> {
    let i = a.int()?;
    let one = matches!(code, 5 | 7 | 17);
    let sel = if one {
        Selector::Index(i)
    } else {
        Selector::IndexRange(i, a.opt_count()?)
    };
    Ok(match code {
        5 | 6 => ListOp::Remove(sel, ReturnType::Value),
        7 | 8 => ListOp::Remove(sel, ReturnType::Count),
        10 => ListOp::Remove(sel, ReturnType::Count | ReturnType::Inverted),
        _ => ListOp::Get(sel, ReturnType::Value),
    })
}

/// Offsets from 19 (get) or 32 (remove): 0 index, 2 rank, 3 value, 4 value list,
/// 5 index range, 6 value interval, 7 rank range, 8 value rel.
fn list_selector(off: i64, a: &mut Args) -> Result<Selector> {
    Ok(match off {
        0 => Selector::Index(a.int()?),
        2 => Selector::Rank(a.int()?),
        3 => Selector::Value(a.value()?),
        4 => Selector::ValueList(a.value()?),
        5 => Selector::IndexRange(a.int()?, a.opt_count()?),
        6 => Selector::ValueInterval(bound(a.value()?), a.opt_value().and_then(bound)),
        7 => Selector::RankRange(a.int()?, a.opt_count()?),
        8 => Selector::ValueRel(a.value()?, a.int()?, a.opt_count()?),
        _ => return unknown(off),
    })
}

fn unknown<T>(code: i64) -> Result<T> {
    err(
        ResultCode::ParameterError,
        format!("CDT op code {code} is unknown or not supported by aerolite"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(blob: &[u8], bin: Option<Value>) -> (Value, Option<Value>) {
        let op = decode("b", blob).expect("decodes");
        let mut slot = bin;
        let r = op.apply(&mut slot).expect("applies");
        (r, slot)
    }

    /// `maps::put(&MapPolicy::default(), "b", "k", 1)`: args key, value, order attribute 0
    /// (Rust `operations/maps.rs:put`, `msgpack/encoder.rs:pack_cdt_op`) →
    /// `94 43 a2 03 6b 01 00`; the put returns the map size.
    #[test]
    fn map_put_bytes() {
        let (r, slot) = run(&[0x94, 0x43, 0xa2, 0x03, b'k', 0x01, 0x00], None);
        assert_eq!(r, Value::Int(1));
        assert_eq!(slot, Some(Value::map(vec![("k".into(), 1.into())])));
    }

    /// `lists::append(&ListPolicy::default(), "b", 5)` under `ctx_map_key("a")`:
    /// `[0xff, [0x22, "a"], [1, 5, 0, 0]]` with 0xff packed as `cc ff` (`pack_integer`).
    #[test]
    fn list_append_in_map_context_bytes() {
        let blob = [
            0x93, 0xcc, 0xff, 0x92, 0x22, 0xa2, 0x03, b'a', 0x94, 0x01, 0x05, 0x00, 0x00,
        ];
        let bin = Value::map(vec![("a".into(), Value::list(vec![1.into()]))]);
        let (r, slot) = run(&blob, Some(bin));
        assert_eq!(r, Value::Int(2));
        let want = Value::map(vec![("a".into(), Value::list(vec![1.into(), 5.into()]))]);
        assert_eq!(slot, Some(want));
    }

    /// `maps::get_by_key_range(bin, "a", Nil, rt)` sends no end: `[103, 7, "a"]`
    /// (`operations/maps.rs:get_by_key_range` pushes the end only when it is not nil).
    #[test]
    fn map_get_by_key_range_without_end() {
        let bin = Value::map(vec![("a".into(), 1.into()), ("b".into(), 2.into())]);
        let (r, _) = run(&[0x93, 0x67, 0x07, 0xa2, 0x03, b'a'], Some(bin));
        assert_eq!(r, Value::list(vec![1.into(), 2.into()]));
    }

    /// Legacy list ops: `lists::pop(bin, 0)` is `[5, 0]`; `lists::size` is `[16]`.
    #[test]
    fn legacy_list_ops() {
        let bin = Value::list(vec![7.into(), 8.into()]);
        let (r, slot) = run(&[0x92, 0x05, 0x00], Some(bin));
        assert_eq!(r, Value::Int(7));
        let (r, _) = run(&[0x91, 0x10], slot);
        assert_eq!(r, Value::Int(1));
    }

    /// Garbage, unknown codes, bad contexts and extra arguments are errors, not panics.
    #[test]
    fn bad_payloads_are_errors() {
        for blob in [
            &[][..],
            &[0x01],
            &[0x90],
            &[0x91, 0x7f],
            &[0x91, 0x1c],
            &[0x93, 0xcc, 0xff, 0x91, 0x22, 0x91, 0x10],
            &[0x93, 0xcc, 0xff, 0x92, 0x04, 0x01, 0x91, 0x10],
            &[0x92, 0x10, 0x01],
            &[0x94, 0x13, 0x07, 0x01, 0x01],
        ] {
            assert!(decode("b", blob).is_err(), "{blob:x?}");
        }
    }
}
