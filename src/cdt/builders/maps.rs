//! `operations::maps`: map op builders (cdt.md §5).

use super::{bound, count};
use crate::cdt::map::MapOp;
use crate::cdt::policy::MapPolicy;
use crate::cdt::return_type::MapReturnType;
use crate::cdt::select::Selector;
use crate::cdt::{CdtOp, CdtOperation};
use crate::ops::Operation;
use crate::record::value::{MapOrder, Value};

fn op(bin: &str, m: MapOp) -> Operation {
    Operation::Cdt(CdtOperation::new(bin, CdtOp::Map(m)))
}

/// M-ORDER-CHANGE: set the map's order (creates an empty map on an absent bin).
pub fn set_order(bin: &str, order: MapOrder) -> Operation {
    op(bin, MapOp::SetPolicy(order))
}

/// M-CREATE: create a map with `order` (with a context, at the selected element).
pub fn create(bin: &str, order: MapOrder) -> Operation {
    op(bin, MapOp::Create(order))
}

/// §5.4 put; returns the map size.
pub fn put(
    policy: &MapPolicy,
    bin: &str,
    key: impl Into<Value>,
    value: impl Into<Value>,
) -> Operation {
    op(bin, MapOp::Put(*policy, key.into(), value.into()))
}

/// §5.5 put_items (`items` must be a map); returns the map size.
pub fn put_items(policy: &MapPolicy, bin: &str, items: impl Into<Value>) -> Operation {
    op(bin, MapOp::PutItems(*policy, items.into()))
}

/// §5.6 increment; returns the new value. A Nil delta means 1.
pub fn increment_value(
    policy: &MapPolicy,
    bin: &str,
    key: impl Into<Value>,
    delta: impl Into<Value>,
) -> Operation {
    op(
        bin,
        MapOp::Increment(*policy, key.into(), delta.into(), false),
    )
}

/// M-DEC: decrement = increment by the negated delta.
pub fn decrement_value(
    policy: &MapPolicy,
    bin: &str,
    key: impl Into<Value>,
    delta: impl Into<Value>,
) -> Operation {
    op(
        bin,
        MapOp::Increment(*policy, key.into(), delta.into(), true),
    )
}

/// M-CLEAR.
pub fn clear(bin: &str) -> Operation {
    op(bin, MapOp::Clear)
}

/// M-SIZE.
pub fn size(bin: &str) -> Operation {
    op(bin, MapOp::Size)
}

macro_rules! twins {
    ($($(#[$doc:meta])* $get:ident / $remove:ident ($($arg:ident : $ty:ty),*) => $sel:expr;)*) => {$(
        $(#[$doc])*
        pub fn $get(bin: &str, $($arg: $ty,)* return_type: MapReturnType) -> Operation {
            op(bin, MapOp::Get($sel, return_type))
        }
        $(#[$doc])*
        /// The remove form deletes the selection.
        pub fn $remove(bin: &str, $($arg: $ty,)* return_type: MapReturnType) -> Operation {
            op(bin, MapOp::Remove($sel, return_type))
        }
    )*};
}

twins! {
    /// M-OP-KEY.
    get_by_key / remove_by_key (key: impl Into<Value>) => Selector::Key(key.into());
    /// M-OP-KEY-LIST (`keys` must be a list).
    get_by_key_list / remove_by_key_list (keys: impl Into<Value>) => Selector::KeyList(keys.into());
    /// M-OP-KEY-INTERVAL: `begin ≤ key < end`; Nil bounds are open.
    get_by_key_range / remove_by_key_range (begin: impl Into<Value>, end: impl Into<Value>)
        => Selector::KeyInterval(bound(begin.into()), bound(end.into()));
    /// M-OP-KEY-REL, to the end.
    get_by_key_relative_index_range / remove_by_key_relative_index_range (key: impl Into<Value>, index: i64)
        => Selector::KeyRel(key.into(), index, None);
    /// M-OP-KEY-REL with a count.
    get_by_key_relative_index_range_count / remove_by_key_relative_index_range_count
        (key: impl Into<Value>, index: i64, n: i64) => Selector::KeyRel(key.into(), index, count(n));
    /// M-OP-INDEX.
    get_by_index / remove_by_index (index: i64) => Selector::Index(index);
    /// M-OP-INDEX-RANGE: `count` entries from `index` (ORD-BUILDERS: the official client's
    /// `(bin, index, count, return_type)`).
    get_by_index_range / remove_by_index_range (index: i64, count: i64)
        => Selector::IndexRange(index, super::count(count));
    /// M-OP-INDEX-RANGE, from `index` to the end.
    get_by_index_range_from / remove_by_index_range_from (index: i64)
        => Selector::IndexRange(index, None);
    /// M-OP-VALUE.
    get_by_value / remove_by_value (value: impl Into<Value>) => Selector::Value(value.into());
    /// M-OP-VALUE-LIST (`values` must be a list).
    get_by_value_list / remove_by_value_list (values: impl Into<Value>) => Selector::ValueList(values.into());
    /// M-OP-VALUE-INTERVAL: `begin ≤ value < end`; Nil bounds are open.
    get_by_value_range / remove_by_value_range (begin: impl Into<Value>, end: impl Into<Value>)
        => Selector::ValueInterval(bound(begin.into()), bound(end.into()));
    /// M-OP-VALUE-REL, to the end.
    get_by_value_relative_rank_range / remove_by_value_relative_rank_range (value: impl Into<Value>, rank: i64)
        => Selector::ValueRel(value.into(), rank, None);
    /// M-OP-VALUE-REL with a count.
    get_by_value_relative_rank_range_count / remove_by_value_relative_rank_range_count
        (value: impl Into<Value>, rank: i64, n: i64) => Selector::ValueRel(value.into(), rank, count(n));
    /// M-OP-RANK.
    get_by_rank / remove_by_rank (rank: i64) => Selector::Rank(rank);
    /// M-OP-RANK-RANGE: `count` entries from `rank` (ORD-BUILDERS: the official client's
    /// `(bin, rank, count, return_type)`).
    get_by_rank_range / remove_by_rank_range (rank: i64, count: i64)
        => Selector::RankRange(rank, super::count(count));
    /// M-OP-RANK-RANGE, from `rank` to the end.
    get_by_rank_range_from / remove_by_rank_range_from (rank: i64)
        => Selector::RankRange(rank, None);
}
