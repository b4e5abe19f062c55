//! Arithmetic and integer ops of expressions on known values (EXP-ARITH-1). Integers wrap on
//! overflow (two's complement, as the server's C on x86-64); shift counts are taken modulo 64;
//! integer `num_div` and `num_mod` by zero are unknown; doubles follow IEEE-754 (a double
//! division by zero is ±inf or NaN). `to_int` truncates and saturates at the integer range.
//! Invariant: `apply` never panics; it returns `None` (unknown) for arguments of the wrong type,
//! which `check` makes impossible for checked trees.

use crate::expressions::tree::op;
use crate::record::value::Value;

fn ints(vals: &[&Value]) -> Option<Vec<i64>> {
    vals.iter().map(|v| v.as_int()).collect()
}

fn floats(vals: &[&Value]) -> Option<Vec<f64>> {
    vals.iter()
        .map(|v| match v {
            Value::Float(f) => Some(*f),
            _ => None,
        })
        .collect()
}

/// Apply op `code` to `vals`; `None` = unknown.
pub fn apply(code: u8, vals: &[&Value]) -> Option<Value> {
    match code {
        op::ADD | op::SUB | op::MUL | op::DIV | op::MIN | op::MAX | op::ABS => numeric(code, vals),
        op::POW | op::LOG => {
            let f = floats(vals)?;
            let (a, b) = (*f.first()?, *f.get(1)?);
            Some(Value::Float(if code == op::POW {
                a.powf(b)
            } else {
                a.ln() / b.ln()
            }))
        }
        op::FLOOR | op::CEIL | op::TO_INT => {
            let f = *floats(vals)?.first()?;
            Some(match code {
                op::FLOOR => Value::Float(f.floor()),
                op::CEIL => Value::Float(f.ceil()),
                _ => Value::Int(f as i64),
            })
        }
        op::TO_FLOAT => Some(Value::Float(*ints(vals)?.first()? as f64)),
        _ => integer(code, &ints(vals)?).map(Value::Int),
    }
}

fn numeric(code: u8, vals: &[&Value]) -> Option<Value> {
    if let Some(i) = ints(vals) {
        return int_fold(code, &i).map(Value::Int);
    }
    float_fold(code, &floats(vals)?).map(Value::Float)
}

fn int_fold(code: u8, v: &[i64]) -> Option<i64> {
    let (&first, rest) = v.split_first()?;
    Some(match code {
        op::ABS => first.wrapping_abs(),
        op::ADD => rest.iter().fold(first, |a, b| a.wrapping_add(*b)),
        op::SUB if rest.is_empty() => first.wrapping_neg(),
        op::SUB => rest.iter().fold(first, |a, b| a.wrapping_sub(*b)),
        op::MUL => rest.iter().fold(first, |a, b| a.wrapping_mul(*b)),
        op::DIV => {
            // One argument: the reciprocal 1 / x. Else x / (product of the rest).
            let (num, den) = if rest.is_empty() {
                (1, first)
            } else {
                (first, rest.iter().fold(1i64, |a, b| a.wrapping_mul(*b)))
            };
            if den == 0 {
                return None;
            }
            num.wrapping_div(den)
        }
        op::MIN => rest.iter().fold(first, |a, b| a.min(*b)),
        _ => rest.iter().fold(first, |a, b| a.max(*b)),
    })
}

fn float_fold(code: u8, v: &[f64]) -> Option<f64> {
    let (&first, rest) = v.split_first()?;
    Some(match code {
        op::ABS => first.abs(),
        op::ADD => rest.iter().fold(first, |a, b| a + b),
        op::SUB if rest.is_empty() => -first,
        op::SUB => rest.iter().fold(first, |a, b| a - b),
        op::MUL => rest.iter().fold(first, |a, b| a * b),
        op::DIV if rest.is_empty() => 1.0 / first,
        op::DIV => first / rest.iter().product::<f64>(),
        op::MIN => rest.iter().fold(first, |a, b| if *b < a { *b } else { a }),
        _ => rest.iter().fold(first, |a, b| if *b > a { *b } else { a }),
    })
}

fn integer(code: u8, v: &[i64]) -> Option<i64> {
    let (&first, rest) = v.split_first()?;
    let second = rest.first().copied();
    let shift = |s: i64| (s & 63) as u32;
    Some(match code {
        op::MOD => {
            let d = second?;
            if d == 0 {
                return None;
            }
            let r = first.wrapping_rem(d);
            // The remainder is smaller than the divisor and has the dividend's sign (C `%`).
            debug_assert!(
                r.unsigned_abs() < d.unsigned_abs() && (r == 0 || (r < 0) == (first < 0)),
                "{first} % {d} = {r}"
            );
            r
        }
        op::INT_AND => rest.iter().fold(first, |a, b| a & b),
        op::INT_OR => rest.iter().fold(first, |a, b| a | b),
        op::INT_XOR => rest.iter().fold(first, |a, b| a ^ b),
        op::INT_NOT => !first,
        op::INT_COUNT => i64::from(first.count_ones()),
        op::INT_LSHIFT => first.wrapping_shl(shift(second?)),
        op::INT_RSHIFT => ((first as u64) >> shift(second?)) as i64,
        op::INT_ARSHIFT => first.wrapping_shr(shift(second?)),
        _ => return None,
    })
}

/// `int_lscan` / `int_rscan`: the position (0 = most significant bit) of the first bit equal
/// to `search` scanning from the left / right; −1 when there is none.
pub fn scan(code: u8, value: i64, search: bool) -> i64 {
    let bits = if search {
        value as u64
    } else {
        !(value as u64)
    };
    if bits == 0 {
        return -1;
    }
    let pos = if code == op::INT_LSCAN {
        i64::from(bits.leading_zeros())
    } else {
        63 - i64::from(bits.trailing_zeros())
    };
    debug_assert!((0..64).contains(&pos), "a found bit has a position 0 … 63");
    pos
}
