//! put, put_items and increment on an existing (or just created) map (cdt.md §5.3–§5.6).
//! Operands arrive canonical (valid keys, payload sorted by key: map/mod.rs `prepared`).

use crate::cdt::number;
use crate::cdt::policy::MapWriteFlags;
use crate::error::{err, Result, ResultCode};
use crate::record::order::compare;
use crate::record::value::{Map, Value};

fn find(m: &Map, k: &Value) -> std::result::Result<usize, usize> {
    m.entries.binary_search_by(|(ek, _)| compare(ek, k))
}

/// Insert a new entry at its search position `i` and check the neighbours keep the keys strictly
/// ascending (M-ORDER-SEMANTICS: a wrong position would break every later binary search).
fn insert_at(m: &mut Map, i: usize, k: Value, v: Value) {
    m.entries.insert(i, (k, v));
    debug_assert!(
        i == 0 || compare(&m.entries[i - 1].0, &m.entries[i].0) == std::cmp::Ordering::Less,
        "map insert: previous key smaller"
    );
    debug_assert!(
        m.entries
            .get(i + 1)
            .is_none_or(|next| compare(&m.entries[i].0, &next.0) == std::cmp::Ordering::Less),
        "map insert: next key greater"
    );
}

/// M-FLAG-VIOLATION: the code an item violates with, if any.
pub(super) fn violation(flags: MapWriteFlags, exists: bool) -> Option<ResultCode> {
    if exists && flags.contains(MapWriteFlags::CreateOnly) {
        Some(ResultCode::ElementExists)
    } else if !exists && flags.contains(MapWriteFlags::UpdateOnly) {
        Some(ResultCode::ElementNotFound)
    } else {
        None
    }
}

pub(super) fn fail<T>(code: ResultCode, k: &Value) -> Result<T> {
    let why = if code == ResultCode::ElementExists {
        "CreateOnly and the key exists (M-PUT-CO-EXISTS, M-PUTI-FAIL)"
    } else {
        "UpdateOnly and the key is absent (M-PUT-UO-ABSENT, M-PUTI-FAIL)"
    };
    err(code, format!("key {k}: {why}"))
}

/// §5.4 put. Returns whether the map changed (false for a NoFail no-op).
pub fn put(m: &mut Map, flags: MapWriteFlags, k: &Value, v: &Value) -> Result<bool> {
    let pos = find(m, k);
    if let Some(code) = violation(flags, pos.is_ok()) {
        if flags.contains(MapWriteFlags::NoFail) {
            return Ok(false);
        }
        return fail(code, k);
    }
    let n = m.entries.len();
    match pos {
        Ok(i) => m.entries[i].1 = v.clone(),
        Err(i) => insert_at(m, i, k.clone(), v.clone()),
    }
    assert_eq!(
        m.entries.len(),
        n + usize::from(pos.is_err()),
        "put adds an entry only for a new key"
    );
    Ok(true)
}

/// §5.5 put_items: items in ascending key order; all or nothing unless NoFail | Partial.
pub fn put_items(m: &mut Map, flags: MapWriteFlags, items: &[(Value, Value)]) -> Result<bool> {
    let no_fail = flags.contains(MapWriteFlags::NoFail);
    let partial = no_fail && flags.contains(MapWriteFlags::Partial);
    let mut plan = Vec::with_capacity(items.len());
    for (k, v) in items {
        match violation(flags, find(m, k).is_ok()) {
            Some(_) if partial => {}
            Some(_) if no_fail => return Ok(false),
            Some(code) => return fail(code, k),
            None => plan.push((k, v)),
        }
    }
    let n = m.entries.len();
    for (k, v) in &plan {
        match find(m, k) {
            Ok(i) => m.entries[i].1 = (*v).clone(),
            Err(i) => insert_at(m, i, (*k).clone(), (*v).clone()),
        }
    }
    // The payload's keys are unique (normalized): each adds at most one entry.
    assert!(
        m.entries.len() <= n + plan.len(),
        "put_items adds at most one entry per item"
    );
    Ok(!plan.is_empty())
}

/// §5.6 increment with a checked delta; flags ignored (M-FLAG-SCOPE). Returns the new value.
pub fn increment(m: &mut Map, k: &Value, delta: &Value) -> Result<Value> {
    match find(m, k) {
        Ok(i) => {
            let new = number::add(&m.entries[i].1, delta)?;
            m.entries[i].1 = new.clone();
            Ok(new)
        }
        Err(i) => {
            insert_at(m, i, k.clone(), delta.clone());
            Ok(delta.clone())
        }
    }
}
