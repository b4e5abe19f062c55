//! The canonical form of a stored value, as predicates (cdt.md M-ORDER-SEMANTICS, M-KEY-VALID,
//! L-ORDER-ORDERED): a map holds valid keys in strictly ascending key order, an ordered list is
//! sorted. `cdt::normalize` establishes this form; the particle decoder and the CDT ops check it.
//! They live with the values so that decoding a stored value needs nothing above `record`.

use crate::record::order::compare;
use crate::record::value::{List, ListOrderType, Map, Value};
use std::cmp::Ordering;

/// M-KEY-VALID: integers, strings and bytes.
pub fn is_valid_key(k: &Value) -> bool {
    matches!(k, Value::Int(_) | Value::String(_) | Value::Blob(_))
}

/// Whether a map keeps the canonical form: valid keys in strictly ascending order.
pub fn map_is_canonical(m: &Map) -> bool {
    m.entries.iter().all(|(k, _)| is_valid_key(k))
        && m.entries
            .windows(2)
            .all(|w| compare(&w[0].0, &w[1].0) == Ordering::Less)
}

/// Whether a list keeps the canonical form: an ordered list is sorted (L-ORDER-ORDERED).
pub fn list_is_canonical(l: &List) -> bool {
    l.order != ListOrderType::Ordered
        || l.items
            .windows(2)
            .all(|w| compare(&w[0], &w[1]) != Ordering::Greater)
}
