//! CDT calls inside expressions (`lists::*`, `maps::*`): building the call node, and
//! evaluating it by running aerolite's own CDT op (cdt.md) on a copy of the container.
//! A read call's value is the op's result (EXP-CDT-1); a modify call (module flag `MODIFY`)
//! applies the op to the copy and its value is the whole modified container, the stored record
//! never being touched (EXP-CDT-MODIFY). A call whose container, arguments or context step is
//! unknown or of the wrong type, whose CDT op fails, or whose value is not of the declared type,
//! is unknown.

use crate::cdt::context::CTX;
use crate::cdt::{CdtOp, CdtOperation};
use crate::expressions::check::value_type;
use crate::expressions::eval::Out;
use crate::expressions::tree::{Call, ExpType, Expression};
use crate::expressions::{lists, maps};
use crate::record::value::{ListOrderType, MapOrder, Value};
use std::borrow::Cow;

/// The module flag of a modify call (the clients' `MODIFY`, the server's
/// `CALL_FLAG_MODIFY_LOCAL`); module 0 is a CDT read.
pub const MODIFY: i64 = 0x40;

/// Create flags of a context step on the wire (list index and map key steps only).
const CTX_CREATE_BITS: i64 = 0xc0;

/// Context type ids on the wire (the official clients' CTX ids).
mod ctx_id {
    pub const LIST_INDEX: i64 = 0x10;
    pub const LIST_RANK: i64 = 0x11;
    pub const LIST_VALUE: i64 = 0x13;
    pub const MAP_INDEX: i64 = 0x20;
    pub const MAP_RANK: i64 = 0x21;
    pub const MAP_KEY: i64 = 0x22;
    pub const MAP_VALUE: i64 = 0x23;
}

/// A context step as the official Rust client packs it in an expression: the type id without
/// create flags, and the step's value.
pub fn ctx_to_wire(c: &CTX) -> (i64, Value) {
    use ctx_id::*;
    match c {
        CTX::MapKey(k) | CTX::MapKeyCreate(k, _) => (MAP_KEY, k.clone()),
        CTX::MapIndex(i) => (MAP_INDEX, Value::Int(*i)),
        CTX::MapRank(r) => (MAP_RANK, Value::Int(*r)),
        CTX::MapValue(v) => (MAP_VALUE, v.clone()),
        CTX::ListIndex(i) | CTX::ListIndexCreate(i, ..) => (LIST_INDEX, Value::Int(*i)),
        CTX::ListRank(r) => (LIST_RANK, Value::Int(*r)),
        CTX::ListValue(v) => (LIST_VALUE, v.clone()),
    }
}

/// The read step of a wire context entry (create flags, bits 0x40 and 0x80, are ignored by a
/// read); `None` for an unknown id.
pub fn ctx_from_wire(id: i64, v: &Value) -> Option<CTX> {
    use ctx_id::*;
    let int = || v.as_int();
    Some(match id & 0x3f {
        LIST_INDEX => CTX::ListIndex(int()?),
        LIST_RANK => CTX::ListRank(int()?),
        LIST_VALUE => CTX::ListValue(v.clone()),
        MAP_INDEX => CTX::MapIndex(int()?),
        MAP_RANK => CTX::MapRank(int()?),
        MAP_KEY => CTX::MapKey(v.clone()),
        MAP_VALUE => CTX::MapValue(v.clone()),
        _ => return None,
    })
}

/// The step of a wire context entry of a modify call: create flags on a list index or map key
/// step make it creating, as in an `operate` op; `None` for an unknown id or flags elsewhere.
/// (The Rust client 3.x packs context ids without their create flags in expressions — the
/// builders do the same — so only clients that send the flags get creating steps.)
pub fn ctx_from_wire_creating(id: i64, v: &Value) -> Option<CTX> {
    let flags = id & CTX_CREATE_BITS;
    let plain = ctx_from_wire(id & !CTX_CREATE_BITS, v)?;
    Some(match (plain, flags) {
        (step, 0) => step,
        (CTX::MapKey(k), 0x40) => CTX::MapKeyCreate(k, MapOrder::Unordered),
        (CTX::MapKey(k), 0x80) => CTX::MapKeyCreate(k, MapOrder::KeyOrdered),
        (CTX::MapKey(k), _) => CTX::MapKeyCreate(k, MapOrder::KeyValueOrdered),
        (CTX::ListIndex(i), 0xc0) => CTX::ListIndexCreate(i, ListOrderType::Ordered, false),
        (CTX::ListIndex(i), f) => CTX::ListIndexCreate(i, ListOrderType::Unordered, f == 0x80),
        _ => return None,
    })
}

/// A modify call node. Its declared type is the type of the top-level container, as the
/// clients derive it: the kind of the first context step, else the op's own kind.
pub fn modify_call(
    list_op: bool,
    cdt_op: i64,
    args: Vec<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    let top_is_list = ctx.first().map_or(list_op, |c| {
        matches!(
            c,
            CTX::ListIndex(_) | CTX::ListIndexCreate(..) | CTX::ListRank(_) | CTX::ListValue(_)
        )
    });
    Expression::Call(Box::new(Call {
        return_type: if top_is_list {
            ExpType::LIST
        } else {
            ExpType::MAP
        },
        module: MODIFY,
        ctx: ctx.iter().map(ctx_to_wire).collect(),
        cdt_op,
        args,
        bin,
    }))
}

/// Remove builders whose arguments are all expressions, one line each: `/// doc` then
/// `name(arg, …) => op_code;`. Each takes the return type first and the container and context
/// last, as the official clients' `remove_by_*`; `$list` says whether they are list ops.
macro_rules! remove_builders {
    ($list:expr; $($(#[$doc:meta])* $name:ident($($arg:ident),*) => $code:expr;)*) => {$(
        $(#[$doc])*
        pub fn $name(
            rt: crate::cdt::return_type::ReturnType,
            $($arg: Expression,)*
            bin: Expression,
            ctx: &[CTX],
        ) -> Expression {
            let args = vec![int_val(i64::from(rt.0)), $($arg),*];
            modify_call($list, $code, args, bin, ctx)
        }
    )*};
}
pub(crate) use remove_builders;

/// A read call node.
pub fn read_call(
    return_type: ExpType,
    cdt_op: i64,
    args: Vec<Expression>,
    bin: Expression,
    ctx: &[CTX],
) -> Expression {
    Expression::Call(Box::new(Call {
        return_type,
        module: 0,
        ctx: ctx.iter().map(ctx_to_wire).collect(),
        cdt_op,
        args,
        bin,
    }))
}

/// The official clients' result type of a multi-element read with return type `rt`.
pub fn value_type_of(rt: u32) -> ExpType {
    match rt & !0x10000 {
        0 => ExpType::NIL,
        5 => ExpType::INT,
        13 => ExpType::BOOL,
        8 | 16 | 17 => ExpType::MAP,
        _ => ExpType::LIST,
    }
}

/// Evaluate a checked call; `eval` evaluates sub-expressions. An INFINITY argument reaches the
/// op decoder as `None` (an open range end).
pub fn eval_call<'a>(c: &'a Call, mut eval: impl FnMut(&'a Expression) -> Out<'a>) -> Out<'a> {
    let container = eval(&c.bin)?;
    let mut args = Vec::with_capacity(c.args.len());
    for a in &c.args {
        args.push(match a {
            Expression::Infinity => None,
            Expression::Wildcard => return None,
            _ => Some(eval(a)?.into_owned()),
        });
    }
    if c.module == MODIFY {
        return eval_modify(c, container.into_owned(), &args);
    }
    let op = if lists::is_read_op(c.cdt_op) {
        CdtOp::List(lists::read_op(c.cdt_op, &args)?)
    } else {
        CdtOp::Map(maps::read_op(c.cdt_op, &args)?)
    };
    let ctx: Option<Vec<CTX>> = c.ctx.iter().map(|(id, v)| ctx_from_wire(*id, v)).collect();
    let operation = CdtOperation::new("", op).with_context(ctx?);
    // EXP-CDT-1: expressions only read; the wire codes map to read ops only.
    assert!(
        !operation.is_modify(),
        "an expression CDT call is a read op"
    );
    let mut slot = Some(container.into_owned());
    #[cfg(debug_assertions)]
    let before = slot.clone();
    let result = operation.apply(&mut slot).ok()?;
    #[cfg(debug_assertions)]
    debug_assert!(slot == before, "a CDT read leaves its container unchanged");
    (value_type(&result) == c.return_type).then_some(Cow::Owned(result))
}

/// EXP-CDT-MODIFY: apply the modify op to `container` (already a copy) and answer the whole
/// container; the op's own result (a size, removed elements) is dropped, as the server does.
fn eval_modify<'a>(c: &Call, container: Value, args: &[Option<Value>]) -> Out<'a> {
    let op = if lists::is_modify_op(c.cdt_op) {
        CdtOp::List(lists::modify_op(c.cdt_op, args)?)
    } else {
        CdtOp::Map(maps::modify_op(c.cdt_op, args)?)
    };
    let ctx: Option<Vec<CTX>> = c
        .ctx
        .iter()
        .map(|(id, v)| ctx_from_wire_creating(*id, v))
        .collect();
    let operation = CdtOperation::new("", op).with_context(ctx?);
    assert!(
        operation.is_modify(),
        "a modify call decodes to a modify op"
    );
    // A nil container is an absent bin: the op creates it as `operate` does (or fails).
    let mut slot = (!container.is_nil()).then_some(container);
    operation.apply(&mut slot).ok()?;
    // An op on a present container leaves one (CDT-ABSENT-NOOP only keeps an absent bin absent).
    let modified = slot?;
    (value_type(&modified) == c.return_type).then_some(Cow::Owned(modified))
}

/// Argument helpers for the op decoders: `None` when absent or of the wrong type.
pub fn arg_int(args: &[Option<Value>], i: usize) -> Option<i64> {
    args.get(i)?.as_ref()?.as_int()
}

/// The return type argument (the first argument of every get_by_* op).
pub fn arg_rt(args: &[Option<Value>]) -> Option<crate::cdt::return_type::ReturnType> {
    let rt = u32::try_from(arg_int(args, 0)?).ok()?;
    Some(crate::cdt::return_type::ReturnType::from_code(rt))
}

/// A value argument (INFINITY is not a value here).
pub fn arg_val(args: &[Option<Value>], i: usize) -> Option<Value> {
    args.get(i)?.clone()
}

/// An optional count argument: absent = to the end.
pub fn arg_count(args: &[Option<Value>], i: usize) -> Option<Option<u64>> {
    match args.get(i) {
        None => Some(None),
        Some(v) => Some(Some(v.as_ref()?.as_int()? as u64)),
    }
}

/// An optional integer argument (an order attribute, write or sort flags): absent = `Some(None)`.
pub fn arg_opt_int(args: &[Option<Value>], i: usize) -> Option<Option<i64>> {
    match args.get(i) {
        None => Some(None),
        Some(v) => Some(Some(v.as_ref()?.as_int()?)),
    }
}

/// A range end: absent, nil or INFINITY = open.
pub fn arg_bound(args: &[Option<Value>], i: usize) -> Option<Value> {
    args.get(i)?.clone().filter(|v| !v.is_nil())
}
