//! Aerospike filter expressions as data (`aerolite::expressions`, docs/expressions.md).
//!
//! Build a tree with the official client's function names (`eq(int_bin("a"), int_val(1))`,
//! `lists::size(list_bin("l"), &[])`, `lists::append(…)`, …), put it in a policy's `filter_expression` or in an
//! expression op (`operations::exp`), or decode it from the bytes a client sends
//! ([`Expression::from_bytes`]). Layout: `tree` (the node type), `builders`, `lists` / `maps`
//! (CDT reads; `list_modify` / `map_modify` the CDT modifies they re-export), `wire` (msgpack encode/decode), `check` (static typing), `eval` / `arith` /
//! `cdt_call` / `regex` (evaluation), `exp_op` (expression operations).
//!
//! Invariants: nothing is evaluated before `check` accepted it (so evaluation cannot hit a type
//! error and never panics); decoding is bounded (`MAX_EXP_BYTES`, `MAX_EXP_DEPTH`) and never
//! panics; encode ∘ decode is the identity on the encoder's output.

mod arith;
pub mod builders;
mod cdt_call;
#[doc(hidden)] // the static type check; `Expression::matches` and the engine run it
pub mod check;
mod eval;
pub mod exp_op;
mod list_modify;
pub mod lists;
mod map_modify;
pub mod maps;
mod regex;
mod tree;
#[doc(hidden)] // msgpack encoding; `Expression::{to_bytes, from_bytes}` are the API
pub mod wire;

pub use builders::*;
pub use eval::{RecordMeta, RecordView};
pub use exp_op::{ExpReadFlags, ExpWriteFlags};
pub use tree::{Call, ExpType, Expression};

use crate::error::Result;
use crate::record::value::Value;

impl Expression {
    /// The msgpack bytes the official clients send for this expression.
    pub fn to_bytes(&self) -> Vec<u8> {
        wire::encode(self)
    }

    /// Decode the bytes of a FILTER_EXP field or of an expression op; bad input → 4.
    pub fn from_bytes(bytes: &[u8]) -> Result<Expression> {
        wire::decode(bytes)
    }

    /// Static check (argument counts and types, names, scoping): 4 or 16 when malformed.
    pub fn check(&self) -> Result<()> {
        check::check(self).map(|_| ())
    }

    /// The filter decision for one record: `Ok(true)` only when the expression is true;
    /// false and unknown are `Ok(false)` (EXP-UNKNOWN-1). A malformed or non-boolean
    /// expression is an error (4 / 16). This is the entry point scans and batches call.
    pub fn matches(&self, view: &RecordView<'_>) -> Result<bool> {
        check::check_filter(self)?;
        Ok(matches!(
            eval::eval(self, view).as_deref(),
            Some(Value::Bool(true))
        ))
    }

    /// The value of the expression for one record; `None` = unknown. Malformed → 4 / 16.
    pub fn evaluate(&self, view: &RecordView<'_>) -> Result<Option<Value>> {
        check::check(self)?;
        Ok(eval::eval(self, view).map(|v| v.into_owned()))
    }
}
