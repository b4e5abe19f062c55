//! Increment arithmetic shared by map and list increment (cdt.md §5.6, M-INC-* rows).
//!
//! Integers wrap; a double delta added to an integer is truncated toward zero first, saturating,
//! NaN → 0 (CH-INT-CAST, which is exactly Rust's `f64 as i64`).

use crate::error::{err, Result, ResultCode};
use crate::record::value::Value;

/// M-INC-DELTA-NIL / M-INC-DELTA-BAD: the effective delta (`negate` for decrement, M-DEC).
pub fn delta(d: &Value, negate: bool) -> Result<Value> {
    let v = match d {
        Value::Nil => Value::Int(1),
        Value::Int(i) => Value::Int(*i),
        Value::Float(x) => Value::Float(*x),
        other => {
            return err(
                ResultCode::ParameterError,
                format!("increment delta {other} is not numeric (M-INC-DELTA-BAD)"),
            )
        }
    };
    let d = match (v, negate) {
        (Value::Int(i), true) => Value::Int(i.wrapping_neg()),
        (Value::Float(x), true) => Value::Float(-x),
        (v, _) => v,
    };
    debug_assert!(
        matches!(d, Value::Int(_) | Value::Float(_)),
        "a delta is numeric"
    );
    Ok(d)
}

/// M-INC-INT-INT … M-INC-NONNUM: `existing + delta` (delta already checked by [`delta`]).
pub fn add(existing: &Value, delta: &Value) -> Result<Value> {
    let sum = add_typed(existing, delta)?;
    // M-INC: the element keeps its type; the delta is cast to it (CH-INT-CAST).
    debug_assert_eq!(
        std::mem::discriminant(&sum),
        std::mem::discriminant(existing),
        "an increment keeps the element's type"
    );
    Ok(sum)
}

fn add_typed(existing: &Value, delta: &Value) -> Result<Value> {
    Ok(match (existing, delta) {
        (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(*b)),
        // CH-INT-CAST: truncation toward zero, saturating, NaN → 0.
        (Value::Int(a), Value::Float(b)) => Value::Int(a.wrapping_add(*b as i64)),
        (Value::Float(a), Value::Int(b)) => Value::Float(a + *b as f64),
        (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
        (Value::Int(_) | Value::Float(_), other) => {
            return err(
                ResultCode::ParameterError,
                format!("increment delta {other} is not numeric (M-INC-DELTA-BAD)"),
            )
        }
        (other, _) => {
            return err(
                ResultCode::ParameterError,
                format!("increment of a non-numeric element {other} (M-INC-NONNUM)"),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// M-INC-INT-INT, M-INC-INT-DBL, M-INC-DBL-INT, M-INC-DBL-DBL, M-INC-NONNUM,
    /// M-INC-DELTA-NIL, M-INC-DELTA-BAD, M-DEC, CH-INT-CAST.
    #[test]
    fn m_inc_typing() {
        let d = |v: Value| delta(&v, false).expect("numeric");
        assert_eq!(add(&5.into(), &d(2.into())).ok(), Some(7.into()));
        assert_eq!(
            add(&i64::MAX.into(), &d(1.into())).ok(),
            Some(i64::MIN.into())
        );
        assert_eq!(add(&5.into(), &d(2.7.into())).ok(), Some(7.into()));
        assert_eq!(add(&5.into(), &d((-2.7).into())).ok(), Some(3.into()));
        assert_eq!(add(&5.into(), &d(f64::NAN.into())).ok(), Some(5.into()));
        assert_eq!(add(&0.into(), &d(1e300.into())).ok(), Some(i64::MAX.into()));
        assert_eq!(add(&1.5.into(), &d(2.into())).ok(), Some(3.5.into()));
        assert_eq!(add(&1.5.into(), &d(0.25.into())).ok(), Some(1.75.into()));
        assert_eq!(d(Value::Nil), Value::Int(1));
        assert_eq!(
            add(&"x".into(), &d(1.into())).map_err(|e| e.code()),
            Err(ResultCode::ParameterError)
        );
        assert_eq!(
            delta(&"x".into(), false).map_err(|e| e.code()),
            Err(ResultCode::ParameterError)
        );
        assert_eq!(delta(&i64::MIN.into(), true).ok(), Some(i64::MIN.into()));
        assert_eq!(delta(&Value::Nil, true).ok(), Some((-1).into()));
        assert_eq!(delta(&2.5.into(), true).ok(), Some((-2.5).into()));
    }
}
