//! Applying expression ops to the working copy (docs/expressions.md §Operations).
//!
//! EXP-OP-READ: the value goes into the result under the op's name; unknown → 26 unless
//! EvalNoFail (then nil). EXP-OP-WRITE: the value replaces the bin; unknown → 26 unless
//! EvalNoFail (bin untouched); nil deletes the bin only with AllowDelete, else 26; CreateOnly
//! on an existing bin → 6, UpdateOnly on a missing bin → 17; PolicyNoFail turns those three
//! refusals (nil, 6, 17) into "leave the bin alone". Invariant: a refused or skipped op leaves
//! the working copy unchanged; a failing op fails the whole operate (OP-ATOMIC).

use crate::cdt::normalize::normalize;
use crate::error::{err, Result, ResultCode};
use crate::expressions::{ExpReadFlags, ExpWriteFlags, Expression, RecordMeta};
use crate::ops::operation::Operation;
use crate::record::bin::BinList;
use crate::record::value::Value;

fn has(flags: i64, f: ExpWriteFlags) -> bool {
    flags & (f as i64) != 0
}

fn value(bins: &BinList, meta: Option<&RecordMeta>, e: &Expression) -> Result<Option<Value>> {
    let default = RecordMeta::default();
    let meta = meta.unwrap_or(&default);
    e.evaluate(&meta.view(bins))
}

/// Apply one `ExpRead` / `ExpWrite` op.
pub fn apply(
    bins: &mut BinList,
    op: &Operation,
    meta: Option<&RecordMeta>,
    all: bool,
    out: &mut BinList,
) -> Result<()> {
    match op {
        Operation::ExpRead(name, e, flags) => {
            let v = match value(bins, meta, e)? {
                Some(v) => v,
                None if flags & (ExpReadFlags::EvalNoFail as i64) != 0 => Value::Nil,
                None => return unknown("read_exp", name),
            };
            out.push(name, v);
            Ok(())
        }
        Operation::ExpWrite(name, e, flags) => {
            write(bins, name, value(bins, meta, e)?, *flags)?;
            if all {
                out.push(name, Value::Nil);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn unknown<T>(what: &str, name: &str) -> Result<T> {
    err(
        ResultCode::OpNotApplicable,
        format!("{what} {name:?}: the expression is unknown on this record (EXP-OP-UNKNOWN; EvalNoFail skips)"),
    )
}

fn write(bins: &mut BinList, name: &str, v: Option<Value>, flags: i64) -> Result<()> {
    let refuse = |code: ResultCode, why: &str| -> Result<()> {
        if has(flags, ExpWriteFlags::PolicyNoFail) {
            return Ok(());
        }
        err(
            code,
            format!("write_exp {name:?}: {why} (EXP-OP-WRITE; PolicyNoFail skips)"),
        )
    };
    let Some(mut v) = v else {
        if has(flags, ExpWriteFlags::EvalNoFail) {
            return Ok(());
        }
        return unknown("write_exp", name);
    };
    let exists = bins.get(name).is_some();
    if has(flags, ExpWriteFlags::CreateOnly) && exists {
        return refuse(ResultCode::BinExistsError, "CreateOnly and the bin exists");
    }
    if has(flags, ExpWriteFlags::UpdateOnly) && !exists {
        return refuse(
            ResultCode::BinNotFound,
            "UpdateOnly and the bin does not exist",
        );
    }
    if v.is_nil() {
        if !has(flags, ExpWriteFlags::AllowDelete) {
            return refuse(ResultCode::OpNotApplicable, "nil value without AllowDelete");
        }
        bins.remove(name);
        return Ok(());
    }
    normalize(&mut v)?;
    bins.set(name, v);
    Ok(())
}
