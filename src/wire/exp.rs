//! Expression payloads on the wire: the FILTER field (43) is one msgpack expression; an
//! expression op (EXP_READ 7 / EXP_MODIFY 8) carries a blob `[expression, flags]`, a msgpack
//! array of two (Rust `aerospike-core/src/operations/exp.rs:pack_read_exp`, C client
//! `as_exp_operations.c`). The expression itself is decoded by `Expression::from_bytes`; this
//! module only finds where it ends (`element_len`, a structural msgpack walk that also accepts
//! the ext values INFINITY / WILDCARD the expression form uses).
//!
//! Invariants: never panics; every length is checked against the bytes left; nesting is bounded
//! by [`MAX_DEPTH`]; a result of `element_len` is at most the input length.

use crate::error::{err, Result, ResultCode};
use crate::expressions::Expression;

/// Deepest msgpack nesting walked (the expression decoder allows 64 levels of expression).
pub const MAX_DEPTH: usize = 128;

fn bad<T>(what: &str) -> Result<T> {
    err(
        ResultCode::ParameterError,
        format!("expression op payload: {what}"),
    )
}

/// Decode a FILTER field.
pub fn filter(bytes: &[u8]) -> Result<Expression> {
    Expression::from_bytes(bytes)
}

/// Decode an expression op's value: the expression and its flags.
pub fn op_payload(b: &[u8]) -> Result<(Expression, i64)> {
    let Some((&0x92, rest)) = b.split_first() else {
        return bad("not a msgpack array of two [expression, flags]");
    };
    let n = element_len(rest)?;
    let (exp, flags) = rest.split_at(n);
    let flags = match crate::format::msgpack::decode(flags)? {
        crate::record::value::Value::Int(f) => f,
        _ => return bad("flags are not an integer"),
    };
    Ok((Expression::from_bytes(exp)?, flags))
}

/// The byte length of the first msgpack element of `b`.
pub fn element_len(b: &[u8]) -> Result<usize> {
    let mut pos = 0;
    skip(b, &mut pos, 0)?;
    assert!(pos <= b.len(), "element_len stays inside its input");
    Ok(pos)
}

fn be(b: &[u8], at: usize, n: usize) -> Result<usize> {
    match b.get(at..at + n) {
        Some(s) => Ok(s.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x))),
        None => bad("truncated length"),
    }
}

/// Advance `pos` past one element.
fn skip(b: &[u8], pos: &mut usize, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return bad("nested too deep");
    }
    let Some(&t) = b.get(*pos) else {
        return bad("truncated");
    };
    *pos += 1;
    let (payload, items) = match t {
        0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3 => (0, 0),
        0x80..=0x8f => (0, 2 * usize::from(t & 0x0f)),
        0x90..=0x9f => (0, usize::from(t & 0x0f)),
        0xa0..=0xbf => (usize::from(t & 0x1f), 0),
        0xcc | 0xd0 => (1, 0),
        0xcd | 0xd1 => (2, 0),
        0xca | 0xce | 0xd2 => (4, 0),
        0xcb | 0xcf | 0xd3 => (8, 0),
        0xd4..=0xd8 => (1 + (1 << (t - 0xd4)), 0),
        0xc4 | 0xd9 => (1 + be(b, *pos, 1)?, 0),
        0xc5 | 0xda => (2 + be(b, *pos, 2)?, 0),
        0xc6 | 0xdb => (4 + be(b, *pos, 4)?, 0),
        0xc7 => (2 + be(b, *pos, 1)?, 0),
        0xc8 => (3 + be(b, *pos, 2)?, 0),
        0xc9 => (5 + be(b, *pos, 4)?, 0),
        0xdc => (2, be(b, *pos, 2)?),
        0xdd => (4, be(b, *pos, 4)?),
        0xde => (2, 2 * be(b, *pos, 2)?),
        0xdf => (4, 2 * be(b, *pos, 4)?),
        _ => return bad("unknown msgpack type byte"),
    };
    *pos = pos.saturating_add(payload);
    if *pos > b.len() || items > b.len() - *pos {
        return bad("length exceeds the bytes left");
    }
    for _ in 0..items {
        skip(b, pos, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_len_walks_scalars_containers_and_ext() {
        assert_eq!(element_len(&[0x05, 0xff]).ok(), Some(1));
        assert_eq!(
            element_len(&[0x92, 0xa1, b'a', 0xd4, 0xff, 0x01, 7]).ok(),
            Some(6)
        );
        assert_eq!(element_len(&[0xcd, 1, 2]).ok(), Some(3));
        assert!(element_len(&[0x93, 1]).is_err());
        assert!(element_len(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(element_len(&[0xc1]).is_err());
        assert!(element_len(&[]).is_err());
    }

    #[test]
    fn op_payload_splits_expression_and_flags() {
        // [[81, 2, "a"] (int bin "a"), 16]
        let b = [0x92, 0x93, 81, 2, 0xa1, b'a', 16];
        let (exp, flags) = op_payload(&b).expect("decodes");
        assert_eq!(flags, 16);
        assert_eq!(exp.to_bytes(), b[1..6].to_vec());
        assert!(op_payload(&[0x91, 0x01]).is_err());
    }
}
