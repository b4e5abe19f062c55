//! Static validation of an op list, before any record is looked at (WP-05 … WP-07A) or, on the
//! read path, after the lookup (RP-08).

use crate::error::{err, Result, ResultCode};
use crate::ops::operation::Operation;
use crate::ops::WriteOps;
use crate::policy::write::RecordExistsAction;
use crate::record::bin::{validate_bin_name, Bin};

/// L-OPS: at most this many ops per request.
pub const OPS_MAX: usize = 32768;

/// WP-05 … WP-07A for a write-path request; a put is checked as its op list of writes.
pub fn validate_write_request(
    ops: WriteOps<'_>,
    action: RecordExistsAction,
    respond_all_ops: bool,
) -> Result<()> {
    match ops {
        WriteOps::List(ops) => validate_write_ops(ops, action, respond_all_ops),
        WriteOps::Put(bins) => validate_put(bins, action),
    }
}

/// WP-05 … WP-07A for a write-path request.
pub fn validate_write_ops(
    ops: &[Operation],
    action: RecordExistsAction,
    respond_all_ops: bool,
) -> Result<()> {
    check_write_op_count(ops.len())?;
    let replace = is_replace(action);
    let mut read_alls = 0;
    for (i, op) in ops.iter().enumerate() {
        if replace && matches!(op, Operation::Touch) {
            return err(
                ResultCode::ParameterError,
                format!("op {i}: touch with {action:?} (WP-06a)"),
            );
        }
        if let Some(name) = op.bin_name() {
            check_write_bin_name(i, name)?;
        }
        if replace && forbidden_with_replace(op) {
            return Err(forbidden_with_replace_error(i, action));
        }
        if matches!(op, Operation::ReadAll) {
            if respond_all_ops {
                return err(
                    ResultCode::ParameterError,
                    format!("op {i}: read-all with respond_all_ops (WP-06d, OPR-ALL-READALL)"),
                );
            }
            read_alls += 1;
            if read_alls > 1 {
                return err(
                    ResultCode::ParameterError,
                    format!("op {i}: a second read-all (WP-06e)"),
                );
            }
        }
    }
    if read_alls > 0 {
        check_read_all_company(ops)?;
    }
    Ok(())
}

/// [`validate_write_ops`] for a put's bins, each an `Operation::Write` (no touch, read-all or
/// header read among them): the same checks in the same order, so the same first error.
fn validate_put(bins: &[Bin], action: RecordExistsAction) -> Result<()> {
    check_write_op_count(bins.len())?;
    let replace = is_replace(action);
    for (i, b) in bins.iter().enumerate() {
        check_write_bin_name(i, &b.name)?;
        if replace && b.value.is_nil() {
            return Err(forbidden_with_replace_error(i, action));
        }
    }
    Ok(())
}

/// WP-05: at least one op, at most [`OPS_MAX`].
fn check_write_op_count(n: usize) -> Result<()> {
    if n == 0 {
        return err(
            ResultCode::ParameterError,
            "operate with no ops (WP-05, OP-EMPTY)",
        );
    }
    if n > OPS_MAX {
        return err(
            ResultCode::ParameterError,
            format!("{n} ops; at most {OPS_MAX} (WP-05, L-OPS)"),
        );
    }
    Ok(())
}

/// WP-06b: op `i`'s bin name.
fn check_write_bin_name(i: usize, name: &str) -> Result<()> {
    validate_bin_name(name).map_err(|e| {
        crate::error::Error::new(e.code(), format!("op {i}: {} (WP-06b)", e.detail()))
    })
}

fn is_replace(action: RecordExistsAction) -> bool {
    matches!(
        action,
        RecordExistsAction::Replace | RecordExistsAction::ReplaceOnly
    )
}

/// WP-06c's error for op `i`.
fn forbidden_with_replace_error(i: usize, action: RecordExistsAction) -> crate::error::Error {
    crate::error::Error::new(
        ResultCode::ParameterError,
        format!("op {i}: bin delete/add/append/prepend/CDT modify/delete-all with {action:?} (WP-06c, W-REP-FORBIDDEN)"),
    )
}

/// WP-06c: a bin delete (Nil write), add, append, prepend, CDT modify or delete-all, which
/// `Replace` / `ReplaceOnly` refuse.
fn forbidden_with_replace(op: &Operation) -> bool {
    match op {
        Operation::Write(b) => b.value.is_nil(),
        Operation::Add(_) | Operation::Append(_) | Operation::Prepend(_) => true,
        Operation::DeleteAll => true,
        Operation::Cdt(c) => c.is_modify(),
        _ => false,
    }
}

/// WP-07 / WP-07A for a request with a read-all: no op beside it yields a result entry or
/// reads the header.
fn check_read_all_company(ops: &[Operation]) -> Result<()> {
    let entry_op = ops
        .iter()
        .any(|op| matches!(op, Operation::Read(_) | Operation::Cdt(_)));
    if entry_op {
        return err(
            ResultCode::ParameterError,
            "read-all together with a bin read or CDT op (WP-07)",
        );
    }
    if ops.iter().any(|op| matches!(op, Operation::ReadHeader)) {
        return err(
            ResultCode::ParameterError,
            "read-header together with read-all (WP-07A)",
        );
    }
    Ok(())
}

/// RP-08, first part: more than 32768 ops → 4. A named-bin get counts each name as a read op
/// (that is how Aerospike clients send it), so its bin list is held to the same limit.
pub fn validate_read_op_count(n: usize) -> Result<()> {
    if n > OPS_MAX {
        return err(
            ResultCode::ParameterError,
            format!("{n} ops; at most {OPS_MAX} (RP-08, L-OPS)"),
        );
    }
    Ok(())
}

/// RP-08, per op in request order: a bad bin name → 21. The read path runs this just before
/// applying op `i`, so that an earlier op's own error (a CDT read error) decides first.
pub fn validate_read_op(i: usize, op: &Operation) -> Result<()> {
    if let Some(name) = op.bin_name() {
        validate_bin_name(name).map_err(|e| {
            crate::error::Error::new(e.code(), format!("op {i}: {} (RP-08)", e.detail()))
        })?;
    }
    Ok(())
}
