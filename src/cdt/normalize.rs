//! Canonical form of values that enter storage (cdt.md M-ORDER-SEMANTICS, M-KEY-*, L-ORDER-VALUE).
//!
//! Invariant established here and relied on by every map op: a stored map, whatever its order
//! attribute, holds valid keys (M-KEY-VALID) in strictly ascending key order (CH-MAP-KEY-ORDER),
//! and a stored ordered list is sorted (L-ORDER-ORDERED). Nesting is bounded by `MAX_DEPTH`.
//! No stored value holds the selector-only `Wildcard` or `Infinity` (ORD-SELECTOR-ONLY).

use crate::error::{err, Result, ResultCode};
use crate::format::particle::MAX_DEPTH;
use crate::record::order::compare;
use crate::record::value::{ListOrderType, ParticleType, Value};
use std::cmp::Ordering;

pub use crate::record::canonical::{is_valid_key, list_is_canonical, map_is_canonical};

/// M-KEY-VALID / M-KEY-INVALID → 4.
pub fn check_key(k: &Value) -> Result<()> {
    if is_valid_key(k) {
        Ok(())
    } else {
        err(
            ResultCode::ParameterError,
            format!("{k} cannot be a map key (M-KEY-INVALID)"),
        )
    }
}

/// Bring `v` into canonical form in place: maps sorted by key with valid, unique keys; ordered
/// lists sorted. Invalid or duplicate keys (M-KEY-INVALID, M-KEY-DUP), a `Wildcard` or
/// `Infinity` anywhere (ORD-SELECTOR-ONLY) or nesting deeper than `MAX_DEPTH` → 4.
pub fn normalize(v: &mut Value) -> Result<()> {
    normalize_at(v, 0)
}

/// [`normalize`] for a value that will sit at nesting `depth` of a bin value (0 = the bin value
/// itself), so that the stored bin never nests deeper than `MAX_DEPTH` (the decoder's limit).
pub fn normalize_at(v: &mut Value, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return err(
            ResultCode::ParameterError,
            format!("value nested deeper than {MAX_DEPTH} levels"),
        );
    }
    match v {
        Value::List(l) => {
            for item in &mut l.items {
                normalize_at(item, depth + 1)?;
            }
            if l.order == ListOrderType::Ordered {
                l.items.sort_by(compare);
            }
            debug_assert!(list_is_canonical(l), "L-ORDER-ORDERED established");
        }
        Value::Map(m) => {
            for (k, val) in &mut m.entries {
                check_key(k)?;
                normalize_at(val, depth + 1)?;
            }
            let sorted = m
                .entries
                .windows(2)
                .all(|w| compare(&w[0].0, &w[1].0) == Ordering::Less);
            if !sorted {
                m.entries.sort_by(|a, b| compare(&a.0, &b.0));
                if m.entries.windows(2).any(|w| w[0].0 == w[1].0) {
                    return err(
                        ResultCode::ParameterError,
                        "map holds the same key twice (M-KEY-DUP)",
                    );
                }
            }
            debug_assert!(map_is_canonical(m), "CH-MAP-KEY-ORDER established");
        }
        Value::Other { particle_type, .. }
            if depth > 0 || ParticleType::language_blob(*particle_type).is_none() =>
        {
            return err(
                ResultCode::ParameterError,
                format!(
                    "a blob of particle type {particle_type} is kept only as a whole bin value \
                     of a language-blob type 7-12, never inside a list or map (V-OTHER-WHERE)"
                ),
            )
        }
        Value::Wildcard | Value::Infinity => {
            return err(
                ResultCode::ParameterError,
                format!(
                    "{v} is a selector value (get_by_value, range ends) and cannot be stored in a \
                     bin, list or map (ORD-SELECTOR-ONLY)"
                ),
            )
        }
        _ => {}
    }
    debug_assert!(!v.has_selector_only(), "ORD-SELECTOR-ONLY established");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::value::{Map, MapOrder};

    /// M-KEY-VALID, M-KEY-INVALID, M-KEY-DUP, M-KEY-ORDER, L-ORDER-VALUE.
    #[test]
    fn m_key_rules_and_canonical_order() {
        let mut v = Value::map(vec![
            (Value::Blob(vec![]), 1.into()),
            ("a".into(), 2.into()),
            (3.into(), 3.into()),
        ]);
        normalize(&mut v).expect("valid");
        let Value::Map(m) = &v else { panic!("map") };
        let keys: Vec<&Value> = m.entries.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![&Value::Int(3), &"a".into(), &Value::Blob(vec![])]
        );
        for bad in [Value::Nil, true.into(), 1.5.into(), Value::list(vec![])] {
            let mut v = Value::map(vec![(bad, 1.into())]);
            assert_eq!(
                normalize(&mut v).map_err(|e| e.code()),
                Err(ResultCode::ParameterError)
            );
        }
        let mut dup = Value::Map(Map {
            order: MapOrder::KeyOrdered,
            entries: vec![
                (2.into(), 1.into()),
                (1.into(), 1.into()),
                (2.into(), 3.into()),
            ],
        });
        assert_eq!(
            normalize(&mut dup).map_err(|e| e.code()),
            Err(ResultCode::ParameterError)
        );
        let mut l = Value::List(crate::record::value::List {
            order: ListOrderType::Ordered,
            items: vec![3.into(), 1.into(), 2.into()],
        });
        normalize(&mut l).expect("valid");
        assert_eq!(l, Value::list(vec![1.into(), 2.into(), 3.into()]));
    }
}
