//! Particle encoding: how a value is laid out inside a record image (storage-format.md
//! "Particle encoding"). Little-endian, explicit tag bytes.
//!
//! Invariants:
//! - `decode(encode(v)) == v` for every storable value, doubles bit-exactly, order attributes
//!   included; the selector values WILDCARD and INFINITY are never encoded (`encode` asserts
//!   it: `cdt::normalize` refuses them before a write, ORD-SELECTOR-ONLY) and never decoded
//!   (`format::pack::unpack` rejects their bytes);
//! - decoding arbitrary bytes never panics: every length is checked against the bytes left, and
//!   nesting is bounded by `MAX_DEPTH`; an unknown tag is an error;
//! - a decoded map holds valid key types (cdt.md M-KEY-VALID) in strictly ascending key order:
//!   a key-ordered map must arrive that way, an unordered one is sorted (duplicates rejected), so
//!   a corrupt image cannot smuggle an unsorted map past the map ops' binary searches.

use crate::format::le::Writer;
pub use crate::format::le::{DecodeError, Reader};
use crate::format::pack;
use crate::record::canonical::is_valid_key;
use crate::record::order::compare;
use crate::record::value::{List, ListOrderType, Map, MapOrder, Value};
use crate::record::value_ref::ValueRef;
use std::cmp::Ordering;

/// Deepest nesting of lists and maps accepted when decoding (and when writing, cdt.md CTX rows).
pub const MAX_DEPTH: usize = 64;

/// Tag bytes (Aerospike particle ids).
pub mod tag {
    /// Nil.
    pub const NIL: u8 = 0;
    /// Integer, 8 bytes.
    pub const INT: u8 = 1;
    /// Double, 8 bytes.
    pub const FLOAT: u8 = 2;
    /// String, u32 length + UTF-8.
    pub const STRING: u8 = 3;
    /// Blob, u32 length + bytes.
    pub const BLOB: u8 = 4;
    /// First language blob (Java); u32 length + bytes, kept as `Value::Other` (V-OTHER-BLOB).
    pub const LANGUAGE_BLOBS_FIRST: u8 = 7;
    /// Last language blob (Erlang).
    pub const LANGUAGE_BLOBS_LAST: u8 = 12;
    /// Boolean, 1 byte.
    pub const BOOL: u8 = 17;
    /// Map: a msgpack map (`format::pack`, encoding v2); v1 (order byte, u32 count) is read too.
    pub const MAP: u8 = 19;
    /// List: a msgpack array (`format::pack`, encoding v2); v1 (order byte, u32 count) is read too.
    pub const LIST: u8 = 20;
    /// GeoJSON, u32 length + UTF-8.
    pub const GEOJSON: u8 = 23;
}

/// Append the encoding of `v` to `out`.
pub fn encode(v: &Value, out: &mut Vec<u8>) {
    assert!(
        !v.has_selector_only(),
        "{v} reached a record image: cdt::normalize refuses it (ORD-SELECTOR-ONLY)"
    );
    let start = out.len();
    encode_any(v, out);
    debug_assert_eq!(out.len() - start, encoded_len(v), "encoded_len is exact");
    debug_assert!(
        decode_all(&out[start..]).is_ok_and(|d| same_value(&d, v)),
        "decode(encode(v)) == v"
    );
}

/// Equality as the round trip keeps it: doubles bit-exactly (NaN included), order attributes too.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::List(x), Value::List(y)) => {
            x.order == y.order
                && x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(p, q)| same_value(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.order == y.order
                && x.entries.len() == y.entries.len()
                && x.entries
                    .iter()
                    .zip(&y.entries)
                    .all(|((k, v), (l, w))| same_value(k, l) && same_value(v, w))
        }
        _ => a == b,
    }
}

fn encode_any(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Nil => out.push(tag::NIL),
        Value::Bool(b) => {
            out.push(tag::BOOL);
            out.push(u8::from(*b));
        }
        Value::Int(i) => {
            Writer::append(out).u8(tag::INT).i64(*i);
        }
        Value::Float(x) => {
            Writer::append(out).u8(tag::FLOAT).u64(x.to_bits());
        }
        Value::String(s) => encode_bytes(tag::STRING, s.as_bytes(), out),
        Value::GeoJSON(s) => encode_bytes(tag::GEOJSON, s.as_bytes(), out),
        Value::Blob(b) => encode_bytes(tag::BLOB, b, out),
        Value::Other {
            particle_type,
            bytes,
        } => encode_bytes(*particle_type, bytes, out),
        Value::Wildcard | Value::Infinity => {
            panic!("{v} reached a record image: cdt::normalize refuses it (ORD-SELECTOR-ONLY)")
        }
        Value::List(_) => {
            out.push(tag::LIST);
            pack::pack(v, out);
        }
        Value::Map(_) => {
            out.push(tag::MAP);
            pack::pack(v, out);
        }
    }
}

/// The encoded size of `v` in bytes.
pub fn encoded_len(v: &Value) -> usize {
    match v {
        Value::Nil => 1,
        Value::Bool(_) => 2,
        Value::Int(_) | Value::Float(_) => 9,
        Value::String(s) | Value::GeoJSON(s) => 5 + s.len(),
        Value::Blob(b) | Value::Other { bytes: b, .. } => 5 + b.len(),
        // Never encoded (see `encode_any`); the size of a Nil keeps this total.
        Value::Wildcard | Value::Infinity => 1,
        Value::List(_) | Value::Map(_) => 1 + pack::packed_len(v),
    }
}

fn len_u32(n: usize) -> u32 {
    // Records are bounded by max_record_size (≤ the block size), far below 4 GiB.
    u32::try_from(n).expect("length fits u32: records are bounded by max_record_size")
}

fn encode_bytes(t: u8, b: &[u8], out: &mut Vec<u8>) {
    Writer::append(out).u8(t).u32(len_u32(b.len())).bytes(b);
}

/// Decode one value from the whole of `buf` (trailing bytes are an error).
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
pub fn decode_all(buf: &[u8]) -> Result<Value, DecodeError> {
    let mut r = Reader::new(buf);
    let v = decode(&mut r, 0)?;
    if r.remaining() != 0 {
        return Err(DecodeError("trailing bytes after value"));
    }
    Ok(v)
}

/// Decode one value at the reader's position.
pub fn decode(r: &mut Reader<'_>, depth: usize) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError("nesting deeper than MAX_DEPTH"));
    }
    let t = r.u8()?;
    Ok(match t {
        tag::NIL => Value::Nil,
        tag::BOOL => match r.u8()? {
            0 => Value::Bool(false),
            1 => Value::Bool(true),
            _ => return Err(DecodeError("bad bool byte")),
        },
        tag::INT => Value::Int(r.i64()?),
        tag::FLOAT => Value::Float(f64::from_bits(r.u64()?)),
        tag::STRING => Value::String(decode_utf8(r)?),
        tag::GEOJSON => Value::GeoJSON(decode_utf8(r)?),
        tag::BLOB => {
            let n = r.u32()? as usize;
            Value::Blob(r.take(n)?.to_vec())
        }
        tag::LANGUAGE_BLOBS_FIRST..=tag::LANGUAGE_BLOBS_LAST if depth == 0 => {
            let n = r.u32()? as usize;
            Value::Other {
                particle_type: t,
                bytes: r.take(n)?.to_vec(),
            }
        }
        tag::LIST | tag::MAP => {
            // v2 payloads are msgpack (a container header byte ≥ 0x80); v1 payloads start with
            // an order byte (0, 1 or 3), so both decode (storage-format.md version log).
            match r.peek() {
                Some(b) if b >= 0x80 => {
                    let v = pack::unpack(r, depth)?;
                    match (&v, t) {
                        (Value::List(_), tag::LIST) | (Value::Map(_), tag::MAP) => v,
                        _ => return Err(DecodeError("particle tag and msgpack type differ")),
                    }
                }
                _ => decode_v1_container(r, t, depth)?,
            }
        }
        _ => return Err(DecodeError("unknown particle tag")),
    })
}

/// Particle encoding v1 lists and maps: order byte, u32 count, elements (read-only).
fn decode_v1_container(r: &mut Reader<'_>, t: u8, depth: usize) -> Result<Value, DecodeError> {
    let order_byte = r.u8()?;
    let n = r.u32()? as usize;
    if t == tag::LIST {
        let order = match order_byte {
            0 => ListOrderType::Unordered,
            1 => ListOrderType::Ordered,
            _ => return Err(DecodeError("bad list order")),
        };
        // Each element takes at least one byte: bound the allocation by what is left.
        if n > r.remaining() {
            return Err(DecodeError("list count exceeds bytes left"));
        }
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(decode(r, depth + 1)?);
        }
        return finish_list(order, items);
    }
    let order = match order_byte {
        0 => MapOrder::Unordered,
        1 => MapOrder::KeyOrdered,
        3 => MapOrder::KeyValueOrdered,
        _ => return Err(DecodeError("bad map order")),
    };
    if n > r.remaining() / 2 {
        return Err(DecodeError("map count exceeds bytes left"));
    }
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let k = decode(r, depth + 1)?;
        let v = decode(r, depth + 1)?;
        entries.push((k, v));
    }
    finish_map(order, entries)
}

/// The list rule shared by every encoding: an ordered list must be sorted.
pub fn finish_list(order: ListOrderType, items: Vec<Value>) -> Result<Value, DecodeError> {
    if order == ListOrderType::Ordered
        && items
            .windows(2)
            .any(|w| compare(&w[0], &w[1]) == Ordering::Greater)
    {
        return Err(DecodeError("ordered list not sorted"));
    }
    let l = List { order, items };
    debug_assert!(
        crate::record::canonical::list_is_canonical(&l),
        "a decoded ordered list is sorted"
    );
    Ok(Value::List(l))
}

/// The map rules shared by every encoding: valid key types, unique keys, ascending key order
/// (required for key-ordered maps; an unordered map is sorted).
pub fn finish_map(order: MapOrder, mut entries: Vec<(Value, Value)>) -> Result<Value, DecodeError> {
    if entries.iter().any(|(k, _)| !is_valid_key(k)) {
        return Err(DecodeError("map key of an invalid type"));
    }
    let ascending = entries
        .windows(2)
        .all(|w| compare(&w[0].0, &w[1].0) == Ordering::Less);
    if !ascending {
        if order != MapOrder::Unordered {
            return Err(DecodeError("ordered map keys not strictly ascending"));
        }
        // Tolerated for unordered maps: brought into the canonical key order that every map op
        // relies on (cdt.md M-ORDER-SEMANTICS).
        entries.sort_by(|a, b| compare(&a.0, &b.0));
        if entries.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(DecodeError("duplicate map key"));
        }
    }
    let m = Map { order, entries };
    debug_assert!(
        crate::record::canonical::map_is_canonical(&m),
        "a decoded map is canonical"
    );
    Ok(Value::Map(m))
}

/// One particle, borrowed where it can be ([`ValueRef`]): strings, blobs and GeoJSON point into
/// `r`'s buffer; anything else is [`decode`]d. Accepts and refuses exactly what `decode` does.
pub fn decode_ref<'a>(r: &mut Reader<'a>) -> Result<ValueRef<'a>, DecodeError> {
    let text = |r: &mut Reader<'a>| -> Result<&'a str, DecodeError> {
        r.take(1)?;
        let n = r.u32()? as usize;
        std::str::from_utf8(r.take(n)?).map_err(|_| DecodeError("invalid UTF-8"))
    };
    Ok(match r.peek() {
        Some(tag::STRING) => ValueRef::String(text(r)?),
        Some(tag::GEOJSON) => ValueRef::GeoJSON(text(r)?),
        Some(tag::BLOB) => {
            r.take(1)?;
            let n = r.u32()? as usize;
            ValueRef::Blob(r.take(n)?)
        }
        _ => match decode(r, 0)? {
            Value::Bool(b) => ValueRef::Bool(b),
            Value::Int(i) => ValueRef::Int(i),
            Value::Float(x) => ValueRef::Float(x),
            other => ValueRef::Value(std::borrow::Cow::Owned(other)),
        },
    })
}

fn decode_utf8(r: &mut Reader<'_>) -> Result<String, DecodeError> {
    let n = r.u32()? as usize;
    let b = r.take(n)?;
    String::from_utf8(b.to_vec()).map_err(|_| DecodeError("invalid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(v: Value) {
        let mut b = Vec::new();
        encode(&v, &mut b);
        assert_eq!(b.len(), encoded_len(&v));
        let d = decode_all(&b).expect("decodes");
        assert_eq!(d, v);
        let mut b2 = Vec::new();
        encode(&d, &mut b2);
        assert_eq!(b, b2, "bit-exact");
    }

    #[test]
    fn round_trips() {
        round(Value::Nil);
        round(Value::Bool(true));
        round(Value::Int(-7));
        round(Value::Float(f64::NAN));
        round(Value::from("héllo"));
        round(Value::Blob(vec![0, 1, 255]));
        round(Value::GeoJSON("{\"type\":\"Point\"}".into()));
        round(Value::list(vec![1.into(), Value::list(vec!["x".into()])]));
        // Stored maps are canonical (sorted by key, cdt::normalize), so bit-exactness is checked
        // on a canonical map; unsorted input is covered by map_decode_canonical_and_validating.
        round(Value::map(vec![
            (2.into(), Value::Nil),
            ("a".into(), 1.into()),
        ]));
    }

    /// V-OTHER-BLOB: pins storage-format.md "Particle encoding" tags 7–12 (`07`, u32 LE length,
    /// bytes); a language blob inside a container, or tag 13, does not decode.
    #[test]
    fn language_blob_tags_pinned() {
        let v = Value::Other {
            particle_type: 7,
            bytes: vec![0xab, 0xcd],
        };
        let mut b = Vec::new();
        encode(&v, &mut b);
        assert_eq!(b, [7, 2, 0, 0, 0, 0xab, 0xcd]);
        assert!(matches!(
            decode_all(&b),
            Ok(Value::Other {
                particle_type: 7,
                ..
            })
        ));
        b[0] = 12;
        assert!(matches!(
            decode_all(&b),
            Ok(Value::Other {
                particle_type: 12,
                ..
            })
        ));
        b[0] = 13;
        assert!(decode_all(&b).is_err(), "tag 13 is unknown");
        let v1_list = [tag::LIST, 0, 1, 0, 0, 0, 7, 0, 0, 0, 0];
        assert!(decode_all(&v1_list).is_err(), "never inside a container");
        let v2_list = [tag::LIST, 0x91, 0xa2, 7, 0xab];
        assert!(decode_all(&v2_list).is_err(), "never inside a container");
    }

    /// M-ORDER-SEMANTICS, M-KEY-VALID at decode: unordered maps come back sorted by key;
    /// invalid key types, duplicate keys and unsorted key-ordered maps are rejected.
    #[test]
    fn map_decode_canonical_and_validating() {
        let entry = |k: i64, out: &mut Vec<u8>| {
            encode(&Value::Int(k), out);
            encode(&Value::Int(0), out);
        };
        let mut b = vec![tag::MAP, 0, 2, 0, 0, 0];
        entry(5, &mut b);
        entry(1, &mut b);
        let Ok(Value::Map(m)) = decode_all(&b) else {
            panic!("unordered map decodes")
        };
        assert_eq!(m.entries[0].0, Value::Int(1));
        b[1] = 1;
        assert!(decode_all(&b).is_err(), "key-ordered must be ascending");
        let mut dup = vec![tag::MAP, 0, 2, 0, 0, 0];
        entry(1, &mut dup);
        entry(1, &mut dup);
        assert!(decode_all(&dup).is_err());
        let mut bad = vec![tag::MAP, 0, 1, 0, 0, 0];
        encode(&Value::Float(1.0), &mut bad);
        encode(&Value::Int(0), &mut bad);
        assert!(decode_all(&bad).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        for seed in 0u64..2000 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let bytes: Vec<u8> = (0..(seed % 40))
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 24) as u8
                })
                .collect();
            let _ = decode_all(&bytes);
        }
        assert!(decode_all(&[tag::LIST, 0, 255, 255, 255, 255]).is_err());
        assert!(decode_all(&[99]).is_err());
    }
}
