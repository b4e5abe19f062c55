//! msgpack as the clients and the server exchange it — on the wire (`aerolite serve`) and inside
//! filter expressions (`expressions::wire`), so it lives with the byte formats, not behind the
//! `server` feature (aerospike-common `as_msgpack.c`; Rust
//! `aerospike-core/src/msgpack/{encoder,decoder}.rs`). Scalars are the same as aerolite's stored
//! form (`format::pack`): strings, blobs and GeoJSON are `str` whose first byte is the particle type.
//! Containers differ: the clients mark an ordered list or map with an ext8 of length 0 whose
//! *type* is the flags, `c7 00 <flags>` (for a map followed by a nil value), where aerolite's
//! storage writes `d4 ff <flags>`; on the wire `d4 ff 00` / `d4 ff 01` (or the ext8 spelling
//! `c7 01 ff 00` / `c7 01 ff 01`) are the selector values WILDCARD and INFINITY instead
//! (ORD-WILDCARD, ORD-INFINITY; Aerospike `msgpack_in.c` reads both spellings). Map flags: 0x01 key-ordered, 0x03 key-value-ordered, 0x08
//! "preserve order" (results of return type KEY_VALUE, which the Rust client decodes as a list of
//! pairs, `decoder.rs:map_order`).
//!
//! Invariants: `decode` never panics (counts bounded by the bytes left, nesting by MAX_DEPTH)
//! and accepts every `encode` output; decoded containers pass the particle decoder's container
//! rules (`finish_list`, `finish_map`).

use crate::error::{err, Result, ResultCode};
use crate::format::pack::{self, container_header};
use crate::format::particle::{finish_list, finish_map, DecodeError, Reader, MAX_DEPTH};
use crate::record::value::{ListOrderType, MapOrder, Value};

/// Map flag of KEY_VALUE results: pairs in result order.
#[cfg_attr(not(feature = "server"), allow(dead_code))] // the wire's results only
pub const PRESERVE_ORDER: u8 = 0x08;

fn bad<T>(what: &str) -> Result<T> {
    err(ResultCode::ParameterError, format!("msgpack value: {what}"))
}

fn de(e: DecodeError) -> crate::error::Error {
    crate::error::Error::new(
        ResultCode::ParameterError,
        format!("msgpack value: {}", e.0),
    )
}

/// Decode one value filling `b` exactly.
#[cfg_attr(not(feature = "server"), allow(dead_code))] // the wire's op values only
pub fn decode(b: &[u8]) -> Result<Value> {
    let mut r = Reader::new(b);
    let v = unpack(&mut r, 0)?;
    if r.remaining() != 0 {
        return bad(&format!("{} bytes after the value", r.remaining()));
    }
    Ok(v)
}

fn count(r: &mut Reader<'_>, b: u8) -> Result<usize> {
    Ok(match b {
        0xdc | 0xde => usize::from(u16::from_be_bytes(r.array().map_err(de)?)),
        0xdd | 0xdf => u32::from_be_bytes(r.array().map_err(de)?) as usize,
        _ => usize::from(b & 0x0f),
    })
}

/// The `c7 00 <flags>` header, if next.
fn flags_header(r: &mut Reader<'_>) -> Result<Option<u8>> {
    if r.peek2() == Some([0xc7, 0x00]) {
        let h = r.take(3).map_err(de)?;
        return Ok(Some(h[2]));
    }
    Ok(None)
}

/// Decode one value at nesting `depth` in the clients' form (the expression decoder reads its
/// literals with it).
pub fn unpack(r: &mut Reader<'_>, depth: usize) -> Result<Value> {
    if depth > MAX_DEPTH {
        return bad("nesting deeper than MAX_DEPTH");
    }
    match r.peek() {
        Some(b @ (0x90..=0x9f | 0xdc | 0xdd)) => {
            r.take(1).map_err(de)?;
            list(r, b, depth)
        }
        Some(b @ (0x80..=0x8f | 0xde | 0xdf)) => {
            r.take(1).map_err(de)?;
            map(r, b, depth)
        }
        Some(0xca) => {
            r.take(1).map_err(de)?;
            let bits = u32::from_be_bytes(r.array().map_err(de)?);
            Ok(Value::Float(f64::from(f32::from_bits(bits))))
        }
        Some(0xc7..=0xc9 | 0xd4..=0xd8) => selector_value(r),
        _ => pack::unpack(r, depth).map_err(de),
    }
}

/// Extension type of the selector values.
const EXT_SELECTOR: u8 = 0xff;

/// WILDCARD `d4 ff 00` / `c7 01 ff 00`, INFINITY `d4 ff 01` / `c7 01 ff 01`; any other
/// extension value → 4.
fn selector_value(r: &mut Reader<'_>) -> Result<Value> {
    let ext = match r.peek2() {
        Some([0xd4, _]) => r.take(3).map_err(de)?,
        Some([0xc7, 0x01]) => &r.take(4).map_err(de)?[1..],
        _ => return bad("extension values other than WILDCARD and INFINITY are not supported"),
    };
    match ext {
        [_, EXT_SELECTOR, 0x00] => Ok(Value::Wildcard),
        [_, EXT_SELECTOR, 0x01] => Ok(Value::Infinity),
        _ => bad("extension values other than WILDCARD and INFINITY are not supported"),
    }
}

fn list(r: &mut Reader<'_>, b: u8, depth: usize) -> Result<Value> {
    let mut n = count(r, b)?;
    if n > r.remaining() {
        return bad("list count exceeds bytes left");
    }
    let mut order = ListOrderType::Unordered;
    if n > 0 {
        if let Some(f) = flags_header(r)? {
            if f & 0x01 != 0 {
                order = ListOrderType::Ordered;
            }
            n -= 1;
        }
    }
    let items = (0..n)
        .map(|_| unpack(r, depth + 1))
        .collect::<Result<Vec<_>>>()?;
    finish_list(order, items).map_err(de)
}

fn map(r: &mut Reader<'_>, b: u8, depth: usize) -> Result<Value> {
    let mut n = count(r, b)?;
    if n > r.remaining() / 2 {
        return bad("map count exceeds bytes left");
    }
    let mut order = MapOrder::Unordered;
    if n > 0 {
        if let Some(f) = flags_header(r)? {
            order = match f & 0x03 {
                0 => MapOrder::Unordered,
                1 => MapOrder::KeyOrdered,
                _ => MapOrder::KeyValueOrdered,
            };
            unpack(r, depth + 1)?;
            n -= 1;
        }
    }
    let entries = (0..n)
        .map(|_| Ok((unpack(r, depth + 1)?, unpack(r, depth + 1)?)))
        .collect::<Result<Vec<_>>>()?;
    finish_map(order, entries).map_err(de)
}

/// Append the wire form of `v`.
pub fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::List(l) => {
            let ordered = l.order == ListOrderType::Ordered;
            container_header(out, l.items.len() + usize::from(ordered), 0x90, 0xdc, 0xdd);
            if ordered {
                out.extend_from_slice(&[0xc7, 0x00, 0x01]);
            }
            for item in &l.items {
                encode(item, out);
            }
        }
        Value::Map(m) => {
            let flags = m.order as u8;
            encode_map(
                flags,
                m.entries.iter().map(|(k, v)| (k, v)),
                m.entries.len(),
                out,
            );
        }
        Value::Wildcard => out.extend_from_slice(&[0xd4, EXT_SELECTOR, 0x00]),
        Value::Infinity => out.extend_from_slice(&[0xd4, EXT_SELECTOR, 0x01]),
        scalar => pack::pack(scalar, out),
    }
}

/// A map with `flags` (0 = no header) holding `n` pairs, in the order given.
pub fn encode_map<'a>(
    flags: u8,
    pairs: impl Iterator<Item = (&'a Value, &'a Value)>,
    n: usize,
    out: &mut Vec<u8>,
) {
    container_header(out, n + usize::from(flags != 0), 0x80, 0xde, 0xdf);
    if flags != 0 {
        out.extend_from_slice(&[0xc7, 0x00, flags, 0xc0]);
    }
    for (k, v) in pairs {
        encode(k, out);
        encode(v, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::value::Map;

    fn wire(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode(v, &mut out);
        out
    }

    /// Rust `msgpack/encoder.rs:pack_map_begin` writes a key-ordered map `{"a": 1}` as
    /// `82 c7 00 01 c0 a2 03 61 01` (count 2 including the header, ext8 length 0 type 1, nil).
    #[test]
    fn ordered_map_header_bytes() {
        let bytes = [0x82, 0xc7, 0x00, 0x01, 0xc0, 0xa2, 0x03, b'a', 0x01];
        let v = decode(&bytes).expect("decodes");
        let Value::Map(m) = &v else { panic!("{v}") };
        assert_eq!(m.order, MapOrder::KeyOrdered);
        assert_eq!(wire(&v), bytes);
        let list = Value::List(crate::record::value::List {
            order: ListOrderType::Ordered,
            items: vec![1.into(), 2.into()],
        });
        assert_eq!(wire(&list), [0x93, 0xc7, 0x00, 0x01, 0x01, 0x02]);
        assert_eq!(decode(&wire(&list)).expect("list"), list);
    }

    /// KEY_VALUE results: flag 0x08, pairs in the order given (not sorted).
    #[test]
    fn preserve_order_map() {
        let (b, a, one) = (Value::from("b"), Value::from("a"), Value::Int(1));
        let mut out = Vec::new();
        encode_map(
            PRESERVE_ORDER,
            [(&b, &one), (&a, &one)].into_iter(),
            2,
            &mut out,
        );
        assert_eq!(out[..5], [0x83, 0xc7, 0x00, 0x08, 0xc0]);
        let unordered = Value::Map(Map::default());
        assert_eq!(wire(&unordered), [0x80]);
    }

    /// ORD-WILDCARD, ORD-INFINITY: `d4 ff 00` / `d4 ff 01` and their ext8 spelling decode to
    /// the selector values and encode back as the clients write them; other extension values,
    /// float32, truncation and bad counts.
    #[test]
    fn extension_values_and_garbage() {
        let wild_list = [0x92, 0x01, 0xd4, 0xff, 0x00];
        let v = decode(&wild_list).expect("[1, WILDCARD]");
        let Value::List(l) = &v else { panic!("{v}") };
        assert!(matches!(l.items[..], [Value::Int(1), Value::Wildcard]));
        assert_eq!(wire(&v), wild_list);
        assert!(matches!(decode(&[0xd4, 0xff, 0x01]), Ok(Value::Infinity)));
        assert!(matches!(
            decode(&[0xc7, 0x01, 0xff, 0x01]),
            Ok(Value::Infinity)
        ));
        assert!(matches!(
            decode(&[0xc7, 0x01, 0xff, 0x00]),
            Ok(Value::Wildcard)
        ));
        assert!(decode(&[0xd4, 0xff, 0x02]).is_err());
        assert!(decode(&[0xd4, 0x01, 0x00]).is_err());
        assert!(decode(&[0xd5, 0xff, 0x00, 0x00]).is_err());
        assert!(decode(&[0xd4, 0xff]).is_err());
        assert_eq!(
            decode(&[0xca, 0x3f, 0x80, 0, 0]).expect("f32"),
            Value::Float(1.0)
        );
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(decode(&[0x82, 0xc7, 0x00]).is_err());
        assert!(
            decode(&[0x92, 0xc7, 0x00, 0x01, 0x02, 0x01]).is_err(),
            "unsorted ordered list"
        );
    }
}
