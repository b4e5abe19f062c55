//! append(_items), insert(_items), set and increment on an existing (or just created) list
//! (cdt.md §6.3–§6.6). Each returns whether the list changed (false = no-op, CDT-ABSENT-NOOP).

use crate::cdt::number;
use crate::cdt::policy::ListWriteFlags;
use crate::error::{err, Result, ResultCode};
use crate::record::order::compare;
use crate::record::value::{List, ListOrderType, Value};
use std::cmp::Ordering;

/// Insert into an ordered list after any equal elements (CH-RANK-TIES).
pub fn insert_sorted(items: &mut Vec<Value>, v: Value) {
    let pos = items.partition_point(|x| compare(x, &v) != Ordering::Greater);
    items.insert(pos, v);
    // L-ORDER-ORDERED and CH-RANK-TIES around the new element: its left neighbour is not
    // greater, its right neighbour is strictly greater (equals stay before it).
    debug_assert!(
        pos == 0 || compare(&items[pos - 1], &items[pos]) != Ordering::Greater,
        "insert_sorted: left neighbour not greater"
    );
    debug_assert!(
        items
            .get(pos + 1)
            .is_none_or(|next| compare(&items[pos], next) == Ordering::Less),
        "insert_sorted: placed after its equals"
    );
}

fn exists(code: ResultCode, v: &Value, row: &str) -> Result<bool> {
    err(code, format!("{v}: {row}"))
}

/// Outcome of the AddUnique screening of a payload.
pub(super) enum Screen<'a> {
    /// Apply these items.
    Apply(Vec<&'a Value>),
    /// A NoFail violation without Partial: no-op.
    NoOp,
}

/// AddUnique screening in payload order (L-APPI-UNORD-AU, L-INSI-AU, L-APP-AU-*): an item equal
/// to an existing element → 24; equal to an earlier payload item → 26; the first violation decides.
fn screen_unordered<'a>(
    list: &[Value],
    flags: ListWriteFlags,
    items: &'a [Value],
) -> Result<Screen<'a>> {
    let no_fail = flags.contains(ListWriteFlags::NoFail);
    let partial = no_fail && flags.contains(ListWriteFlags::Partial);
    let mut keep = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        let code = if list.contains(v) {
            Some(ResultCode::ElementExists)
        } else if items[..i].contains(v) {
            Some(ResultCode::OpNotApplicable)
        } else {
            None
        };
        match code {
            None => keep.push(v),
            Some(_) if partial => {}
            Some(_) if no_fail => return Ok(Screen::NoOp),
            Some(c) => {
                exists(
                    c,
                    v,
                    "AddUnique violation (L-APPI-UNORD-AU, L-APP-AU-EXISTS)",
                )?;
            }
        }
    }
    Ok(Screen::Apply(keep))
}

/// L-APPI-ORD-DUP then L-APPI-ORD-EXISTS; `present(v)` says whether the sorted list holds `v`.
pub(super) fn screen_ordered<'a>(
    present: &dyn Fn(&Value) -> bool,
    flags: ListWriteFlags,
    items: &'a [Value],
) -> Result<Screen<'a>> {
    let no_fail = flags.contains(ListWriteFlags::NoFail);
    let partial = no_fail && flags.contains(ListWriteFlags::Partial);
    let mut unique: Vec<&Value> = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        if items[..i].contains(v) {
            if partial {
                continue;
            }
            if no_fail {
                return Ok(Screen::NoOp);
            }
            exists(
                ResultCode::OpNotApplicable,
                v,
                "duplicate items in an AddUnique payload (L-APPI-ORD-DUP)",
            )?;
        }
        unique.push(v);
    }
    let mut keep = Vec::with_capacity(unique.len());
    for v in unique {
        if present(v) {
            if partial {
                continue;
            }
            if no_fail {
                return Ok(Screen::NoOp);
            }
            exists(
                ResultCode::ElementExists,
                v,
                "item already in the list (L-APPI-ORD-EXISTS)",
            )?;
        }
        keep.push(v);
    }
    Ok(Screen::Apply(keep))
}

/// §6.3 append and append_items.
pub fn append_items(l: &mut List, flags: ListWriteFlags, items: &[Value]) -> Result<bool> {
    if items.is_empty() {
        return Ok(false);
    }
    let ordered = l.order == ListOrderType::Ordered;
    let keep: Vec<&Value> = if flags.contains(ListWriteFlags::AddUnique) {
        let screened = if ordered {
            screen_ordered(&|v| l.items.binary_search_by(|x| compare(x, v)).is_ok(), flags, items)?
        } else {
            screen_unordered(&l.items, flags, items)?
        };
        match screened {
            Screen::Apply(k) => k,
            Screen::NoOp => return Ok(false),
        }
    } else {
        items.iter().collect()
    };
    if keep.is_empty() {
        return Ok(false);
    }
    let expected = l.items.len() + keep.len();
    for v in keep {
        if ordered {
            insert_sorted(&mut l.items, v.clone());
        } else {
            l.items.push(v.clone());
        }
    }
    assert_eq!(l.items.len(), expected, "append adds every kept item");
    Ok(true)
}

/// The index checks of insert and set: `Ok(Some(pos))` for a position `≤ n`, or a position
/// beyond the end to pad to; `Ok(None)` for a bounded NoFail no-op.
pub(super) fn resolve_index(
    (order, n): (ListOrderType, usize),
    flags: ListWriteFlags,
    i: i64,
    what: &str,
) -> Result<Option<usize>> {
    if order == ListOrderType::Ordered {
        return err(
            ResultCode::OpNotApplicable,
            format!("{what} on an ordered list (L-INS-ORDERED, L-SET-ORDERED)"),
        );
    }
    let n = n as i128;
    let i = i128::from(i);
    if i < -n {
        return err(
            ResultCode::OpNotApplicable,
            format!("{what} index {i} below -{n} (L-INS-NEG-OUT, L-SET-NEG-OUT)"),
        );
    }
    let pos = if i < 0 { n + i } else { i };
    if pos > n && flags.contains(ListWriteFlags::InsertBounded) {
        if flags.contains(ListWriteFlags::NoFail) {
            return Ok(None);
        }
        return err(
            ResultCode::OpNotApplicable,
            format!("{what} index {i} beyond the end with InsertBounded (L-INS-BOUNDED)"),
        );
    }
    match usize::try_from(pos) {
        Ok(p) if p <= crate::cdt::MAX_PAD => Ok(Some(p)),
        _ => err(
            ResultCode::ParameterError,
            format!("{what} index {i} would pad the list beyond its size limit"),
        ),
    }
}

fn place(items: &mut Vec<Value>, pos: usize, new: impl IntoIterator<Item = Value>) {
    debug_assert!(
        pos <= crate::cdt::MAX_PAD,
        "padding bounded by resolve_index"
    );
    if pos > items.len() {
        items.resize(pos, Value::Nil);
    }
    let tail = items.split_off(pos);
    items.extend(new);
    let placed_end = items.len();
    items.extend(tail);
    // Callers place only non-empty payloads (an empty one is a no-op before this).
    debug_assert!(placed_end > pos, "place inserts at least one item");
}

/// §6.4 insert and insert_items.
pub fn insert_items(l: &mut List, flags: ListWriteFlags, i: i64, items: &[Value]) -> Result<bool> {
    let Some(pos) = resolve_index((l.order, l.items.len()), flags, i, "insert")? else {
        return Ok(false);
    };
    if items.is_empty() {
        return Ok(false);
    }
    let keep: Vec<&Value> = if flags.contains(ListWriteFlags::AddUnique) {
        match screen_unordered(&l.items, flags, items)? {
            Screen::Apply(k) => k,
            Screen::NoOp => return Ok(false),
        }
    } else {
        items.iter().collect()
    };
    if keep.is_empty() {
        return Ok(false);
    }
    place(&mut l.items, pos, keep.into_iter().cloned());
    Ok(true)
}

/// §6.5 set.
pub fn set(l: &mut List, flags: ListWriteFlags, i: i64, v: &Value) -> Result<bool> {
    let Some(pos) = resolve_index((l.order, l.items.len()), flags, i, "set")? else {
        return Ok(false);
    };
    if flags.contains(ListWriteFlags::AddUnique)
        && l.items.iter().enumerate().any(|(j, x)| j != pos && x == v)
    {
        if flags.contains(ListWriteFlags::NoFail) {
            return Ok(false);
        }
        return exists(
            ResultCode::ElementExists,
            v,
            "set with AddUnique (L-SET-AU)",
        );
    }
    if pos < l.items.len() {
        l.items[pos] = v.clone();
    } else {
        place(&mut l.items, pos, [v.clone()]);
    }
    Ok(true)
}

/// §6.6 increment with a checked delta. `Ok(None)` = NoFail no-op.
pub fn increment(
    l: &mut List,
    flags: ListWriteFlags,
    i: i64,
    delta: &Value,
) -> Result<Option<Value>> {
    let pos = increment_pos(l.items.len(), i)?;
    match usize::try_from(pos) {
        Ok(p) if p < l.items.len() => increment_at(l, flags, p, delta),
        _ => increment_beyond(l, flags, i, pos, delta),
    }
}

/// The position increment index `i` names in a list of `n` (≥ 0; ≥ `n` beyond the end).
pub(super) fn increment_pos(n: usize, i: i64) -> Result<i128> {
    let n = n as i128;
    let i128_ = i128::from(i);
    if i128_ < -n {
        return err(
            ResultCode::OpNotApplicable,
            format!("increment index {i} below -{n} (L-INC-NEG-OUT)"),
        );
    }
    let pos = if i128_ < 0 { n + i128_ } else { i128_ };
    assert!(
        pos >= 0,
        "a negative index resolved from the end stays >= 0"
    );
    Ok(pos)
}

/// Increment the existing element `p` (L-INC-AU; an ordered list re-sorts it).
fn increment_at(
    l: &mut List,
    flags: ListWriteFlags,
    p: usize,
    delta: &Value,
) -> Result<Option<Value>> {
    let new = number::add(&l.items[p], delta)?;
    let unique = flags.contains(ListWriteFlags::AddUnique);
    if unique && l.items.iter().enumerate().any(|(j, x)| j != p && *x == new) {
        if flags.contains(ListWriteFlags::NoFail) {
            return Ok(None);
        }
        exists(
            ResultCode::ElementExists,
            &new,
            "increment with AddUnique (L-INC-AU)",
        )?;
    }
    let n = l.items.len();
    if l.order == ListOrderType::Ordered {
        l.items.remove(p);
        insert_sorted(&mut l.items, new.clone());
    } else {
        l.items[p] = new.clone();
    }
    assert_eq!(l.items.len(), n, "incrementing an element keeps the size");
    Ok(Some(new))
}

/// Increment at `pos` ≥ the size: the delta becomes a new element (L-INC-BEYOND-UNORD /
/// L-INC-BEYOND-ORD), padding an unordered list with nils.
fn increment_beyond(
    l: &mut List,
    flags: ListWriteFlags,
    i: i64,
    pos: i128,
    delta: &Value,
) -> Result<Option<Value>> {
    let n = l.items.len() as i128;
    debug_assert!(pos >= n, "increment_beyond starts at the end");
    let ordered = l.order == ListOrderType::Ordered;
    let no_fail = flags.contains(ListWriteFlags::NoFail);
    if ordered && pos > n {
        return err(
            ResultCode::OpNotApplicable,
            format!("increment index {i} beyond the end of an ordered list (L-INC-BEYOND-ORD)"),
        );
    }
    if pos > n && flags.contains(ListWriteFlags::InsertBounded) {
        if no_fail {
            return Ok(None);
        }
        return err(
            ResultCode::OpNotApplicable,
            format!("increment index {i} beyond the end with InsertBounded (L-INC-BEYOND-UNORD)"),
        );
    }
    if flags.contains(ListWriteFlags::AddUnique) && l.items.contains(delta) {
        if no_fail {
            return Ok(None);
        }
        exists(
            ResultCode::ElementExists,
            delta,
            "increment with AddUnique (L-INC-AU)",
        )?;
    }
    if ordered {
        insert_sorted(&mut l.items, delta.clone());
    } else {
        let p = match usize::try_from(pos) {
            Ok(p) if p <= crate::cdt::MAX_PAD => p,
            _ => {
                return err(
                    ResultCode::ParameterError,
                    format!("increment index {i} would pad the list beyond its size limit"),
                )
            }
        };
        place(&mut l.items, p, [delta.clone()]);
    }
    Ok(Some(delta.clone()))
}
