//! The public op builders, in the official client's style: `operations::maps::*` and
//! `operations::lists::*` (cdt.md §5, §6). Each returns an [`Operation`](crate::Operation) for
//! `Database::operate`; attach a context with `Operation::set_context(&[CTX…])`.
//!
//! Naming follows the official clients: the spec's `by_key_interval` / `by_value_interval` are
//! `*_by_key_range` / `*_by_value_range` (a Nil `end` means "through the highest", SEL-INTERVAL);
//! `*_range` forms without `_count` select to the end; counts are `i64` and a negative count is
//! reinterpreted as unsigned, i.e. "to the end" (CDT-COUNT-ARG).

pub mod lists;
pub mod maps;

use crate::record::value::Value;

/// CDT-COUNT-ARG: a signed count reinterpreted as unsigned.
pub(crate) fn count(c: i64) -> Option<u64> {
    Some(c as u64)
}

/// SEL-INTERVAL bounds: Nil means unbounded.
pub(crate) fn bound(v: Value) -> Option<Value> {
    (!v.is_nil()).then_some(v)
}
