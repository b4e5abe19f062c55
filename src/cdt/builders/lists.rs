//! `operations::lists`: list op builders (cdt.md §6).

use super::{bound, count};
use crate::cdt::list::ListOp;
use crate::cdt::policy::{ListPolicy, ListSortFlags};
use crate::cdt::return_type::{ListReturnType, ReturnType};
use crate::cdt::select::Selector;
use crate::cdt::{CdtOp, CdtOperation};
use crate::ops::Operation;
use crate::record::value::{ListOrderType, Value};

fn op(bin: &str, l: ListOp) -> Operation {
    Operation::Cdt(CdtOperation::new(bin, CdtOp::List(l)))
}

/// L-SET-ORDER.
pub fn set_order(bin: &str, order: ListOrderType) -> Operation {
    op(bin, ListOp::SetOrder(order))
}

/// L-CREATE: create a list with `order` (with a context, at the selected element; `pad` lets
/// the last step pad with Nil).
pub fn create(bin: &str, order: ListOrderType, pad: bool) -> Operation {
    op(bin, ListOp::Create(order, pad))
}

/// §6.3 append; returns the list size.
pub fn append(policy: &ListPolicy, bin: &str, value: impl Into<Value>) -> Operation {
    op(bin, ListOp::Append(*policy, value.into()))
}

/// §6.3 append_items (`values` must be a list); returns the list size.
pub fn append_items(policy: &ListPolicy, bin: &str, values: impl Into<Value>) -> Operation {
    op(bin, ListOp::AppendItems(*policy, values.into()))
}

/// §6.4 insert; returns the list size.
pub fn insert(policy: &ListPolicy, bin: &str, index: i64, value: impl Into<Value>) -> Operation {
    op(bin, ListOp::Insert(*policy, index, value.into()))
}

/// §6.4 insert_items; returns the list size.
pub fn insert_items(
    policy: &ListPolicy,
    bin: &str,
    index: i64,
    values: impl Into<Value>,
) -> Operation {
    op(bin, ListOp::InsertItems(*policy, index, values.into()))
}

/// §6.5 set; returns Nil.
pub fn set(policy: &ListPolicy, bin: &str, index: i64, value: impl Into<Value>) -> Operation {
    op(bin, ListOp::Set(*policy, index, value.into()))
}

/// §6.6 increment; returns the new value. A Nil delta means 1.
pub fn increment(policy: &ListPolicy, bin: &str, index: i64, delta: impl Into<Value>) -> Operation {
    op(bin, ListOp::Increment(*policy, index, delta.into()))
}

/// L-CLEAR.
pub fn clear(bin: &str) -> Operation {
    op(bin, ListOp::Clear)
}

/// L-SORT-*.
pub fn sort(bin: &str, flags: ListSortFlags) -> Operation {
    op(bin, ListOp::Sort(flags))
}

/// L-SIZE.
pub fn size(bin: &str) -> Operation {
    op(bin, ListOp::Size)
}

/// L-OP-LEGACY: pop = remove_by_index(Value).
pub fn pop(bin: &str, index: i64) -> Operation {
    remove_by_index(bin, index, ReturnType::Value)
}

/// L-OP-LEGACY: pop_range = remove_by_index_range(count, Value).
pub fn pop_range(bin: &str, index: i64, n: i64) -> Operation {
    remove_by_index_range_count(bin, index, n, ReturnType::Value)
}

/// L-OP-LEGACY: pop_range to the end.
pub fn pop_range_from(bin: &str, index: i64) -> Operation {
    remove_by_index_range(bin, index, ReturnType::Value)
}

/// L-OP-LEGACY: remove = remove_by_index(Count).
pub fn remove(bin: &str, index: i64) -> Operation {
    remove_by_index(bin, index, ReturnType::Count)
}

/// L-OP-LEGACY: remove_range = remove_by_index_range(count, Count).
pub fn remove_range(bin: &str, index: i64, n: i64) -> Operation {
    remove_by_index_range_count(bin, index, n, ReturnType::Count)
}

/// L-OP-LEGACY: remove_range to the end.
pub fn remove_range_from(bin: &str, index: i64) -> Operation {
    remove_by_index_range(bin, index, ReturnType::Count)
}

/// L-OP-LEGACY: trim(i, c) = remove_by_index_range(i, c, Count | Inverted).
pub fn trim(bin: &str, index: i64, n: i64) -> Operation {
    remove_by_index_range_count(bin, index, n, ReturnType::Count | ReturnType::Inverted)
}

/// L-OP-LEGACY: get = get_by_index(Value).
pub fn get(bin: &str, index: i64) -> Operation {
    get_by_index(bin, index, ReturnType::Value)
}

/// L-OP-LEGACY: get_range = get_by_index_range(count, Value).
pub fn get_range(bin: &str, index: i64, n: i64) -> Operation {
    get_by_index_range_count(bin, index, n, ReturnType::Value)
}

/// L-OP-LEGACY: get_range to the end.
pub fn get_range_from(bin: &str, index: i64) -> Operation {
    get_by_index_range(bin, index, ReturnType::Value)
}

macro_rules! twins {
    ($($(#[$doc:meta])* $get:ident / $remove:ident ($($arg:ident : $ty:ty),*) => $sel:expr;)*) => {$(
        $(#[$doc])*
        pub fn $get(bin: &str, $($arg: $ty,)* return_type: ListReturnType) -> Operation {
            op(bin, ListOp::Get($sel, return_type))
        }
        $(#[$doc])*
        /// The remove form deletes the selection.
        pub fn $remove(bin: &str, $($arg: $ty,)* return_type: ListReturnType) -> Operation {
            op(bin, ListOp::Remove($sel, return_type))
        }
    )*};
}

twins! {
    /// L-OP-INDEX.
    get_by_index / remove_by_index (index: i64) => Selector::Index(index);
    /// L-OP-INDEX-RANGE, to the end.
    get_by_index_range / remove_by_index_range (index: i64) => Selector::IndexRange(index, None);
    /// L-OP-INDEX-RANGE with a count.
    get_by_index_range_count / remove_by_index_range_count (index: i64, n: i64)
        => Selector::IndexRange(index, count(n));
    /// L-OP-VALUE.
    get_by_value / remove_by_value (value: impl Into<Value>) => Selector::Value(value.into());
    /// L-OP-VALUE-LIST (`values` must be a list).
    get_by_value_list / remove_by_value_list (values: impl Into<Value>) => Selector::ValueList(values.into());
    /// L-OP-VALUE-INTERVAL: `begin ≤ value < end`; Nil bounds are open.
    get_by_value_range / remove_by_value_range (begin: impl Into<Value>, end: impl Into<Value>)
        => Selector::ValueInterval(bound(begin.into()), bound(end.into()));
    /// L-OP-VALUE-REL, to the end.
    get_by_value_relative_rank_range / remove_by_value_relative_rank_range (value: impl Into<Value>, rank: i64)
        => Selector::ValueRel(value.into(), rank, None);
    /// L-OP-VALUE-REL with a count.
    get_by_value_relative_rank_range_count / remove_by_value_relative_rank_range_count
        (value: impl Into<Value>, rank: i64, n: i64) => Selector::ValueRel(value.into(), rank, count(n));
    /// L-OP-RANK.
    get_by_rank / remove_by_rank (rank: i64) => Selector::Rank(rank);
    /// L-OP-RANK-RANGE, to the end.
    get_by_rank_range / remove_by_rank_range (rank: i64) => Selector::RankRange(rank, None);
    /// L-OP-RANK-RANGE with a count.
    get_by_rank_range_count / remove_by_rank_range_count (rank: i64, n: i64)
        => Selector::RankRange(rank, count(n));
}
