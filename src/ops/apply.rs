//! Apply an op list to a working copy of the record's bins, in request order (OP-ORDER, OP-RAW,
//! WP-17), collecting result entries (OPR-ALL, OPR-DEFAULT). Errors abort; the caller discards the
//! working copy (OP-ATOMIC).

use crate::cdt::normalize::normalize;
use crate::error::{err, Error, Result, ResultCode};
use crate::expressions::RecordMeta;
use crate::ops::operation::Operation;
use crate::record::bin::{Bin, BinList};
use crate::record::value::Value;

/// Apply `ops` to `bins` in request order and return the result entries, running `check(i, op)`
/// just before op `i` is applied, so that checks and op errors decide in request order (RP-08:
/// per op, bad bin name, then the op's own error). `meta` is the record's metadata for expression
/// ops (`None`: the ops hold none, or the record is being created with default metadata).
pub fn apply_ops_with(
    bins: &mut BinList,
    ops: &[Operation],
    respond_all_ops: bool,
    meta: Option<&RecordMeta>,
    mut check: impl FnMut(usize, &Operation) -> Result<()>,
) -> Result<BinList> {
    let mut out = BinList::new();
    for (i, op) in ops.iter().enumerate() {
        check(i, op)?;
        apply_one(bins, op, respond_all_ops, meta, &mut out).map_err(|e| op_error(i, e))?;
    }
    Ok(out)
}

/// [`apply_ops_with`] for a put: each bin applied as its `Operation::Write` would be, in order
/// (the value copied once, into `bins`).
pub fn apply_put(bins: &mut BinList, put: &[Bin], respond_all_ops: bool) -> Result<BinList> {
    let mut out = BinList::new();
    for (i, b) in put.iter().enumerate() {
        write_bin(bins, b, respond_all_ops, &mut out).map_err(|e| op_error(i, e))?;
    }
    debug_assert!(
        !respond_all_ops || out.len() == put.len(),
        "OPR-ALL: one entry per write op"
    );
    Ok(out)
}

/// Most bins a put may have to be stored as it is ([`put_as_is`]): names are compared pairwise.
const AS_IS_BINS_MAX: usize = 8;

/// Whether [`apply_put`] on an empty working copy would leave exactly `put`'s bins, in order and
/// unchanged, without error: distinct names (no later write replaces an earlier one), no Nil (a
/// bin delete), and only values that `normalize` leaves as they are and cannot refuse (scalars,
/// strings, blobs, GeoJSON). Such a put is stored from its own bins (no working copy).
pub fn put_as_is(put: &[Bin]) -> bool {
    let plain = |v: &Value| {
        matches!(
            v,
            Value::Bool(_)
                | Value::Int(_)
                | Value::Float(_)
                | Value::String(_)
                | Value::Blob(_)
                | Value::GeoJSON(_)
        )
    };
    put.len() <= AS_IS_BINS_MAX
        && put.iter().all(|b| plain(&b.value))
        && put
            .iter()
            .enumerate()
            .all(|(i, b)| put[..i].iter().all(|a| a.name != b.name))
}

/// The result entries [`apply_put`] returns for a put that succeeds: one Nil per bin with
/// `respond_all_ops` (OPR-ALL), none otherwise (OPR-DEFAULT).
pub fn put_results(put: &[Bin], respond_all_ops: bool) -> BinList {
    let mut out = BinList::new();
    if respond_all_ops {
        for b in put {
            out.push(&b.name, Value::Nil);
        }
    }
    out
}

/// An op's error with the op index in front (RP-08, WP-17: the caller learns which op failed).
fn op_error(i: usize, e: Error) -> Error {
    Error::new(e.code(), format!("op {i}: {}", e.detail()))
}

/// O-WRITE-SET / O-WRITE-NIL: set (Nil: remove) bin `b`.
fn write_bin(bins: &mut BinList, b: &Bin, all: bool, out: &mut BinList) -> Result<()> {
    // M-KEY-INVALID, M-KEY-DUP, M-ORDER-VALUE, L-ORDER-VALUE: stored maps and ordered lists are
    // canonical (cdt::normalize).
    let mut v = b.value.clone();
    normalize(&mut v)?;
    bins.set(&b.name, v);
    if all {
        out.push(&b.name, Value::Nil);
    }
    Ok(())
}

/// Apply one op (errors without the op-index prefix that [`apply_ops_with`] adds).
pub(crate) fn apply_one(
    bins: &mut BinList,
    op: &Operation,
    all: bool,
    meta: Option<&RecordMeta>,
    out: &mut BinList,
) -> Result<()> {
    match op {
        Operation::ExpRead(..) | Operation::ExpWrite(..) => {
            crate::ops::exp_apply::apply(bins, op, meta, all, out)?;
        }
        Operation::Read(name) => match bins.get(name) {
            Some(v) => out.push(name, v.clone()),
            None if all => out.push(name, Value::Nil),
            None => {}
        },
        Operation::ReadAll => {
            for (n, v) in bins.iter() {
                out.push(n, v.clone());
            }
        }
        Operation::ReadHeader | Operation::Touch | Operation::DeleteAll => {
            if matches!(op, Operation::DeleteAll) {
                bins.clear();
            }
            if all {
                out.push("", Value::Nil);
            }
        }
        Operation::Write(b) => write_bin(bins, b, all, out)?,
        Operation::Add(b) => {
            add(bins, &b.name, &b.value)?;
            if all {
                out.push(&b.name, Value::Nil);
            }
        }
        Operation::Append(b) | Operation::Prepend(b) => {
            concat(bins, &b.name, &b.value, matches!(op, Operation::Append(_)))?;
            if all {
                out.push(&b.name, Value::Nil);
            }
        }
        Operation::Cdt(c) => {
            let name = c.bin();
            let mut slot = bins.get_mut(name).map(std::mem::take);
            let existed = slot.is_some();
            let result = c.apply(&mut slot)?;
            match slot {
                Some(v) if existed => {
                    if let Some(dst) = bins.get_mut(name) {
                        *dst = v;
                    }
                }
                Some(v) => bins.set(name, v),
                None if existed => {
                    bins.remove(name);
                }
                None => {}
            }
            if all || !result.is_nil() {
                out.push(name, result);
            }
        }
    }
    Ok(())
}

/// O-ADD-*: Q-ADD-ANYTYPE on an absent bin; wrapping ints; IEEE doubles; 12 on type mismatch.
fn add(bins: &mut BinList, name: &str, operand: &Value) -> Result<()> {
    if operand.is_nil() {
        return err(
            ResultCode::ParameterError,
            "add with a Nil operand (O-ADD-NIL)",
        );
    }
    let Some(cur) = bins.get_mut(name) else {
        let mut v = operand.clone();
        normalize(&mut v)?;
        bins.set(name, v);
        return Ok(());
    };
    match (&mut *cur, operand) {
        (Value::Int(a), Value::Int(b)) => *a = a.wrapping_add(*b),
        (Value::Float(a), Value::Float(b)) => *a += *b,
        (Value::Int(_), _) => {
            return err(
                ResultCode::BinTypeError,
                "add of a non-integer to an integer bin (O-ADD-INT-BAD)",
            )
        }
        (Value::Float(_), _) => {
            return err(
                ResultCode::BinTypeError,
                "add of a non-double to a double bin (O-ADD-DBL-BAD)",
            )
        }
        (other, _) => {
            return err(
                ResultCode::BinTypeError,
                format!("add to a {:?} bin (O-ADD-OTHER)", other.particle_type()),
            )
        }
    }
    Ok(())
}

/// O-APP-*: append / prepend.
fn concat(bins: &mut BinList, name: &str, operand: &Value, at_end: bool) -> Result<()> {
    if operand.is_nil() {
        return err(
            ResultCode::ParameterError,
            "append/prepend with a Nil operand (O-APP-NIL)",
        );
    }
    let Some(cur) = bins.get_mut(name) else {
        let mut v = operand.clone();
        normalize(&mut v)?;
        bins.set(name, v);
        return Ok(());
    };
    match (&mut *cur, operand) {
        (Value::String(a), Value::String(b)) => {
            if at_end {
                a.push_str(b);
            } else {
                a.insert_str(0, b);
            }
        }
        (Value::Blob(a), Value::Blob(b)) => {
            if at_end {
                a.extend_from_slice(b);
            } else {
                a.splice(0..0, b.iter().copied());
            }
        }
        (Value::String(_), _) | (Value::Blob(_), _) => {
            return err(
                ResultCode::BinTypeError,
                "append/prepend operand type differs from the bin's (O-APP-MISMATCH)",
            )
        }
        (other, _) => {
            return err(
                ResultCode::BinTypeError,
                format!(
                    "append/prepend to a {:?} bin (O-APP-OTHER)",
                    other.particle_type()
                ),
            )
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin(name: &str, v: Value) -> Bin {
        Bin::new(name, v)
    }

    /// `put_as_is` holds exactly when applying the put to an empty working copy leaves its bins.
    #[test]
    fn put_as_is_matches_apply_put() {
        let map = Value::map(vec![(Value::Int(2), Value::Int(0)), (Value::Int(1), Value::Int(0))]);
        let cases = [
            (vec![bin("a", Value::Int(1)), bin("b", Value::Blob(vec![1; 200]))], true),
            (vec![bin("a", Value::Int(1)), bin("a", Value::Int(2))], false),
            (vec![bin("a", Value::Nil)], false),
            (vec![bin("a", map)], false),
            (vec![bin("a", Value::Wildcard)], false),
            ((0..9).map(|i| bin(&i.to_string(), Value::Int(i))).collect(), false),
        ];
        for (put, as_is) in cases {
            assert_eq!(put_as_is(&put), as_is, "{put:?}");
            if as_is {
                let mut working = BinList::new();
                apply_put(&mut working, &put, true).expect("a plain put applies");
                let kept: Vec<(&str, &Value)> = put.iter().map(|b| (b.name.as_str(), &b.value)).collect();
                assert_eq!(working.iter().collect::<Vec<_>>(), kept);
                assert_eq!(put_results(&put, true).len(), put.len());
            }
        }
    }
}
