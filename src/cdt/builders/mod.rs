//! The public op builders, in the official client's style: `operations::maps::*` and
//! `operations::lists::*` (cdt.md §5, §6). Each returns an [`Operation`](crate::Operation) for
//! `Database::operate`; attach a context with `Operation::set_context(&[CTX…])`.
//!
//! Naming follows the official clients: the spec's `by_key_interval` / `by_value_interval` are
//! `*_by_key_range` / `*_by_value_range` (a Nil `end` means "through the highest", SEL-INTERVAL);
//! index and rank ranges take the official client's arguments (ORD-BUILDERS): for maps
//! `get_by_index_range(bin, index, count, rt)` and `get_by_index_range_from(bin, index, rt)` to
//! the end, for lists `get_by_index_range(bin, index, rt)` to the end and
//! `get_by_index_range_count(bin, index, count, rt)` (the same for rank and the `remove_by_*`
//! twins; the official crate names the two containers' forms differently); relative ranges
//! without `_count` select to the end. Counts are `i64` and a negative count is reinterpreted as
//! unsigned, i.e. "to the end" (CDT-COUNT-ARG).
//!
//! The transaction-tag pattern (record-model.md §22.2): a create-only tag put makes the debit
//! exactly-once; the retry of an applied operate fails with 24 and changes nothing.
//!
//! ```
//! use aerolite::operations::{add, maps};
//! use aerolite::{as_bin, as_key, Database, MapOrder, MapPolicy, MapReturnType, MapWriteFlags};
//! use aerolite::{ResultCode, WritePolicy};
//!
//! let db = Database::open_in_memory()?;
//! let key = as_key!("test", "acct", "alice");
//! let tag = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
//! let ops = [
//!     maps::put(&tag, "txns", "tx-42", 1_000),
//!     add(&as_bin!("balance", -10)),
//!     maps::remove_by_rank_range("txns", -100, 100, MapReturnType::None | MapReturnType::Inverted),
//! ];
//! db.operate(&WritePolicy::default(), &key, &ops)?;
//! let retry = db.operate(&WritePolicy::default(), &key, &ops);
//! assert_eq!(retry.map_err(|e| e.code()).err(), Some(ResultCode::ElementExists));
//! # Ok::<(), aerolite::Error>(())
//! ```

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
