//! CDT read calls inside expressions (`lists::*`, `maps::*`): building the call node, and
//! evaluating it by running aerolite's own CDT read op (cdt.md) on a copy of the container.
//! A call whose container, arguments or context step is unknown or of the wrong type, whose
//! CDT op fails, or whose result is not of the declared type, is unknown (EXP-CDT-1).

use crate::cdt::context::CTX;
use crate::cdt::{CdtOp, CdtOperation};
use crate::expressions::check::value_type;
use crate::expressions::eval::Out;
use crate::expressions::tree::{Call, ExpType, Expression};
use crate::expressions::{lists, maps};
use crate::record::value::Value;
use std::borrow::Cow;

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

/// A range end: absent, nil or INFINITY = open.
pub fn arg_bound(args: &[Option<Value>], i: usize) -> Option<Value> {
    args.get(i)?.clone().filter(|v| !v.is_nil())
}
