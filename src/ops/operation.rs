//! The `Operation` type and the builder functions of `operations::*` (named as in the official
//! client: get, get_bin, get_header, put, add, append, prepend, touch, delete).

use crate::cdt::CdtOperation;
use crate::expressions::Expression;
use crate::record::bin::Bin;
use crate::record::value::Value;

/// One op of an operate (§15.3).
#[derive(Debug, Clone)]
pub enum Operation {
    /// O-READ: read one bin.
    Read(String),
    /// O-READALL: read every bin at this position.
    ReadAll,
    /// O-READHEADER: metadata only.
    ReadHeader,
    /// O-WRITE-SET / O-WRITE-NIL: set a bin; Nil deletes it.
    Write(Bin),
    /// O-ADD-*: numeric add.
    Add(Bin),
    /// O-APP-*: append to a string or bytes bin.
    Append(Bin),
    /// O-APP-*: prepend to a string or bytes bin.
    Prepend(Bin),
    /// O-TOUCH.
    Touch,
    /// O-DELALL: remove every bin of the working copy.
    DeleteAll,
    /// O-CDT: a map or list op.
    Cdt(CdtOperation),
    /// EXP-OP-READ: the expression's value as result entry `name` (flags: `ExpReadFlags`).
    ExpRead(String, Expression, i64),
    /// EXP-OP-WRITE: the expression's value stored in the bin (flags: `ExpWriteFlags`).
    ExpWrite(String, Expression, i64),
}

impl Operation {
    /// Whether this op writes (OP-PATH).
    pub fn is_write(&self) -> bool {
        match self {
            Operation::Read(_)
            | Operation::ReadAll
            | Operation::ReadHeader
            | Operation::ExpRead(..) => false,
            Operation::Cdt(c) => c.is_modify(),
            _ => true,
        }
    }

    /// The bin this op names, if any.
    pub fn bin_name(&self) -> Option<&str> {
        match self {
            Operation::Read(n) | Operation::ExpRead(n, ..) | Operation::ExpWrite(n, ..) => Some(n),
            Operation::Write(b)
            | Operation::Add(b)
            | Operation::Append(b)
            | Operation::Prepend(b) => Some(&b.name),
            Operation::Cdt(c) => Some(c.bin()),
            Operation::ReadAll
            | Operation::ReadHeader
            | Operation::Touch
            | Operation::DeleteAll => None,
        }
    }
}

/// Read all bins (O-READALL).
pub fn get() -> Operation {
    Operation::ReadAll
}

/// Read one bin (O-READ).
pub fn get_bin(name: &str) -> Operation {
    Operation::Read(name.to_string())
}

/// Read metadata only (O-READHEADER).
pub fn get_header() -> Operation {
    Operation::ReadHeader
}

/// Write a bin; a Nil value deletes it (O-WRITE-*).
pub fn put(bin: &Bin) -> Operation {
    Operation::Write(bin.clone())
}

/// Add to an integer or double bin (O-ADD-*).
pub fn add(bin: &Bin) -> Operation {
    Operation::Add(bin.clone())
}

/// Append to a string or bytes bin (O-APP-*).
pub fn append(bin: &Bin) -> Operation {
    Operation::Append(bin.clone())
}

/// Prepend to a string or bytes bin (O-APP-*).
pub fn prepend(bin: &Bin) -> Operation {
    Operation::Prepend(bin.clone())
}

/// Touch (O-TOUCH).
pub fn touch() -> Operation {
    Operation::Touch
}

/// Delete every bin of the record (O-DELALL).
pub fn delete() -> Operation {
    Operation::DeleteAll
}

/// Shorthand: a `Write` op of a Nil value (bin delete).
pub fn delete_bin(name: &str) -> Operation {
    Operation::Write(Bin {
        name: name.to_string(),
        value: Value::Nil,
    })
}

/// Expression operations, as the official Rust client's `operations::exp`.
pub mod exp {
    use super::Operation;
    use crate::expressions::Expression;

    /// Put the value of `exp` (on the record as the ops before it left it) in the result under
    /// `name`; `flags` from `ExpReadFlags` (EXP-OP-READ).
    pub fn read_exp(name: &str, exp: &Expression, flags: i64) -> Operation {
        Operation::ExpRead(name.to_string(), exp.clone(), flags)
    }

    /// Store the value of `exp` in bin `bin`; `flags` from `ExpWriteFlags` OR-ed (EXP-OP-WRITE).
    pub fn write_exp(bin: &str, exp: &Expression, flags: i64) -> Operation {
        Operation::ExpWrite(bin.to_string(), exp.clone(), flags)
    }
}

/// `exp_read(name, exp, flags)`: the same as [`exp::read_exp`].
pub fn exp_read(name: &str, exp: &Expression, flags: i64) -> Operation {
    self::exp::read_exp(name, exp, flags)
}

/// `exp_write(bin, exp, flags)`: the same as [`exp::write_exp`].
pub fn exp_write(bin: &str, exp: &Expression, flags: i64) -> Operation {
    self::exp::write_exp(bin, exp, flags)
}
