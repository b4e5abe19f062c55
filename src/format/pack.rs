//! The msgpack form of list and map particles, in Aerospike's layout (storage-format.md
//! "Particle encoding", v2). Elements are msgpack values; strings, bytes and GeoJSON are msgpack
//! `str` whose first byte is the particle type (3, 4, 23); an ordered list, or a map with an
//! order other than Unordered, starts with an extension header `d4 ff <flags>` (for maps as the
//! first key, with a nil value), counted in the container's element count.
//!
//! The selector values WILDCARD and INFINITY are never stored (ORD-SELECTOR-ONLY); `pack` writes
//! them as ext8 `c7 01 ff 00` / `c7 01 ff 01` (Aerospike's other spelling of them), never as the
//! `d4 ff <flags>` order header they share bytes with on the wire, and `unpack` rejects them.
//!
//! Invariants: `unpack` never panics (every count is bounded by the bytes left, nesting by
//! `MAX_DEPTH`); it accepts exactly what `pack` writes for storable values plus other msgpack
//! integer and `bin` widths; the container rules (sorted ordered lists, valid unique map keys) are checked by the
//! particle decoder's shared `finish_*` functions.

use crate::format::particle::{finish_list, finish_map, DecodeError, Reader, MAX_DEPTH};
use crate::record::value::{ListOrderType, MapOrder, Value};

/// Extension type of the order header.
const EXT_FLAGS: u8 = 0xff;

/// ext8 WILDCARD and INFINITY (ORD-SELECTOR-ONLY: never in a stored image).
const EXT8_WILDCARD: [u8; 4] = [0xc7, 0x01, 0xff, 0x00];
const EXT8_INFINITY: [u8; 4] = [0xc7, 0x01, 0xff, 0x01];

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).expect("length fits u32: records are bounded by max_record_size")
}

pub(crate) fn container_header(out: &mut Vec<u8>, n: usize, fix: u8, w16: u8, w32: u8) {
    let start = out.len();
    if n < 16 {
        out.push(fix | n as u8);
    } else if let Ok(n16) = u16::try_from(n) {
        out.push(w16);
        out.extend_from_slice(&n16.to_be_bytes());
    } else {
        out.push(w32);
        out.extend_from_slice(&len_u32(n).to_be_bytes());
    }
    debug_assert_eq!(
        out.len() - start,
        container_header_len(n),
        "container header size"
    );
}

fn container_header_len(n: usize) -> usize {
    if n < 16 {
        1
    } else if n <= usize::from(u16::MAX) {
        3
    } else {
        5
    }
}

fn str_header_len(n: usize) -> usize {
    if n < 32 {
        1
    } else if n <= 0xff {
        2
    } else if n <= 0xffff {
        3
    } else {
        5
    }
}

/// A msgpack str header for `n` bytes (fixstr, str8, str16, str32).
pub(crate) fn str_header(n: usize, out: &mut Vec<u8>) {
    let start = out.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if let Ok(n8) = u8::try_from(n) {
        out.extend_from_slice(&[0xd9, n8]);
    } else if let Ok(n16) = u16::try_from(n) {
        out.push(0xda);
        out.extend_from_slice(&n16.to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&len_u32(n).to_be_bytes());
    }
    debug_assert_eq!(out.len() - start, str_header_len(n), "str header size");
}

fn pack_str(t: u8, b: &[u8], out: &mut Vec<u8>) {
    str_header(b.len() + 1, out);
    out.push(t);
    out.extend_from_slice(b);
}

fn pack_int(i: i64, out: &mut Vec<u8>) {
    let start = out.len();
    pack_int_body(i, out);
    debug_assert_eq!(out.len() - start, int_len(i), "packed size of {i}");
}

fn pack_int_body(i: i64, out: &mut Vec<u8>) {
    if (0..128).contains(&i) {
        out.push(i as u8);
    } else if (-32..0).contains(&i) {
        out.push(i as i8 as u8);
    } else if i >= 0 {
        let u = i as u64;
        if u <= 0xff {
            out.extend_from_slice(&[0xcc, u as u8]);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if i >= i64::from(i8::MIN) {
        out.extend_from_slice(&[0xd0, i as i8 as u8]);
    } else if i >= i64::from(i16::MIN) {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= i64::from(i32::MIN) {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn int_len(i: i64) -> usize {
    if (-32..128).contains(&i) {
        1
    } else if (i64::from(i8::MIN)..=0xff).contains(&i) {
        2
    } else if (i64::from(i16::MIN)..=0xffff).contains(&i) {
        3
    } else if (i64::from(i32::MIN)..=0xffff_ffff).contains(&i) {
        5
    } else {
        9
    }
}

/// Append the msgpack form of `v`: exactly [`packed_len`] bytes.
pub fn pack(v: &Value, out: &mut Vec<u8>) {
    let start = out.len();
    pack_body(v, out);
    // Records are sized with `packed_len` before they are written: the two must agree.
    debug_assert_eq!(out.len() - start, packed_len(v), "packed size of {v}");
}

fn pack_body(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Nil => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Int(i) => pack_int(*i, out),
        Value::Float(x) => {
            out.push(0xcb);
            out.extend_from_slice(&x.to_bits().to_be_bytes());
        }
        Value::String(s) => pack_str(3, s.as_bytes(), out),
        Value::Blob(b) => pack_str(4, b, out),
        // Never in a stored container (V-OTHER-WHERE): `unpack` rejects the type byte.
        Value::Other {
            particle_type,
            bytes,
        } => pack_str(*particle_type, bytes, out),
        Value::GeoJSON(s) => pack_str(23, s.as_bytes(), out),
        Value::Wildcard => out.extend_from_slice(&EXT8_WILDCARD),
        Value::Infinity => out.extend_from_slice(&EXT8_INFINITY),
        Value::List(l) => {
            let ordered = l.order == ListOrderType::Ordered;
            container_header(out, l.items.len() + usize::from(ordered), 0x90, 0xdc, 0xdd);
            if ordered {
                out.extend_from_slice(&[0xd4, EXT_FLAGS, 1]);
            }
            for item in &l.items {
                pack(item, out);
            }
        }
        Value::Map(m) => {
            let flagged = m.order != MapOrder::Unordered;
            container_header(
                out,
                m.entries.len() + usize::from(flagged),
                0x80,
                0xde,
                0xdf,
            );
            if flagged {
                out.extend_from_slice(&[0xd4, EXT_FLAGS, m.order as u8, 0xc0]);
            }
            for (k, val) in &m.entries {
                pack(k, out);
                pack(val, out);
            }
        }
    }
}

/// The length of [`pack`]'s output.
pub fn packed_len(v: &Value) -> usize {
    match v {
        Value::Nil | Value::Bool(_) => 1,
        Value::Int(i) => int_len(*i),
        Value::Float(_) => 9,
        Value::String(s) | Value::GeoJSON(s) => str_header_len(s.len() + 1) + 1 + s.len(),
        Value::Blob(b) | Value::Other { bytes: b, .. } => str_header_len(b.len() + 1) + 1 + b.len(),
        Value::Wildcard | Value::Infinity => EXT8_WILDCARD.len(),
        Value::List(l) => {
            let ordered = l.order == ListOrderType::Ordered;
            container_header_len(l.items.len() + usize::from(ordered))
                + if ordered { 3 } else { 0 }
                + l.items.iter().map(packed_len).sum::<usize>()
        }
        Value::Map(m) => {
            let flagged = m.order != MapOrder::Unordered;
            container_header_len(m.entries.len() + usize::from(flagged))
                + if flagged { 4 } else { 0 }
                + m.entries
                    .iter()
                    .map(|(k, v)| packed_len(k) + packed_len(v))
                    .sum::<usize>()
        }
    }
}

fn be_u16(r: &mut Reader<'_>) -> Result<u16, DecodeError> {
    Ok(u16::from_be_bytes(r.array()?))
}

fn be_u32(r: &mut Reader<'_>) -> Result<u32, DecodeError> {
    Ok(u32::from_be_bytes(r.array()?))
}

fn be_u64(r: &mut Reader<'_>) -> Result<u64, DecodeError> {
    Ok(u64::from_be_bytes(r.array()?))
}

fn typed_bytes(r: &mut Reader<'_>, n: usize) -> Result<Value, DecodeError> {
    let b = r.take(n)?;
    let Some((&t, rest)) = b.split_first() else {
        return Err(DecodeError("msgpack string without a particle type byte"));
    };
    let utf8 = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| DecodeError("invalid UTF-8"));
    match t {
        3 => Ok(Value::String(utf8(rest)?)),
        4 => Ok(Value::Blob(rest.to_vec())),
        23 => Ok(Value::GeoJSON(utf8(rest)?)),
        _ => Err(DecodeError("msgpack string with an unknown particle type")),
    }
}

/// Whether the next bytes are the order header `d4 ff`; consumes it and returns the flags.
fn flags_header(r: &mut Reader<'_>) -> Result<Option<u8>, DecodeError> {
    if r.peek2() == Some([0xd4, EXT_FLAGS]) {
        r.take(2)?;
        return Ok(Some(r.u8()?));
    }
    Ok(None)
}

/// Decode one msgpack value at nesting `depth`.
pub fn unpack(r: &mut Reader<'_>, depth: usize) -> Result<Value, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError("nesting deeper than MAX_DEPTH"));
    }
    let before = r.remaining();
    let b = r.u8()?;
    let v = match b {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => unpack_int(r, b)?,
        0xc0 => Value::Nil,
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xcb => Value::Float(f64::from_bits(be_u64(r)?)),
        0xa0..=0xbf | 0xd9 | 0xda | 0xdb | 0xc4 | 0xc5 | 0xc6 => unpack_bytes(r, b)?,
        0x90..=0x9f | 0xdc | 0xdd => unpack_list(r, b, depth)?,
        0x80..=0x8f | 0xde | 0xdf => unpack_map(r, b, depth)?,
        _ => return Err(DecodeError("unsupported msgpack type")),
    };
    // Every decoded value consumed at least its type byte and never more than was left.
    debug_assert!(r.remaining() < before, "unpack consumed its type byte");
    Ok(v)
}

/// An integer of type byte `b` (fixint, negative fixint, uint8–64, int8–64).
fn unpack_int(r: &mut Reader<'_>, b: u8) -> Result<Value, DecodeError> {
    Ok(Value::Int(match b {
        0x00..=0x7f => i64::from(b),
        0xe0..=0xff => i64::from(b as i8),
        0xcc => i64::from(r.u8()?),
        0xcd => i64::from(be_u16(r)?),
        0xce => i64::from(be_u32(r)?),
        0xcf => i64::try_from(be_u64(r)?).map_err(|_| DecodeError("unsigned integer above i64"))?,
        0xd0 => i64::from(r.u8()? as i8),
        0xd1 => i64::from(be_u16(r)? as i16),
        0xd2 => i64::from(be_u32(r)? as i32),
        0xd3 => be_u64(r)? as i64,
        _ => return Err(DecodeError("not a msgpack integer")),
    }))
}

/// A str or bin of type byte `b`: its length, then a particle-typed payload.
fn unpack_bytes(r: &mut Reader<'_>, b: u8) -> Result<Value, DecodeError> {
    let n = match b {
        0xa0..=0xbf => usize::from(b & 0x1f),
        0xd9 | 0xc4 => usize::from(r.u8()?),
        0xda | 0xc5 => usize::from(be_u16(r)?),
        _ => be_u32(r)? as usize,
    };
    typed_bytes(r, n)
}

/// The element count of a container whose type byte `b` is a fix form (`b & 0x0f`), a 16-bit
/// form `w16` or a 32-bit form.
fn container_count(r: &mut Reader<'_>, b: u8, w16: u8, w32: u8) -> Result<usize, DecodeError> {
    Ok(if b == w16 {
        usize::from(be_u16(r)?)
    } else if b == w32 {
        be_u32(r)? as usize
    } else {
        usize::from(b & 0x0f)
    })
}

/// The order header of a container of `n` counted elements, if it has one: its flags and the
/// count of the elements after it.
fn counted_flags(r: &mut Reader<'_>, n: usize) -> Result<(Option<u8>, usize), DecodeError> {
    if n == 0 {
        return Ok((None, 0));
    }
    Ok(match flags_header(r)? {
        Some(f) => (Some(f), n - 1),
        None => (None, n),
    })
}

fn unpack_list(r: &mut Reader<'_>, b: u8, depth: usize) -> Result<Value, DecodeError> {
    let n = container_count(r, b, 0xdc, 0xdd)?;
    // Each element takes at least one byte: bound the allocation by what is left.
    if n > r.remaining() {
        return Err(DecodeError("list count exceeds bytes left"));
    }
    let (flags, n) = counted_flags(r, n)?;
    let order = match flags {
        None | Some(0) => ListOrderType::Unordered,
        Some(1) => ListOrderType::Ordered,
        Some(_) => return Err(DecodeError("bad list flags")),
    };
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(unpack(r, depth + 1)?);
    }
    finish_list(order, items)
}

fn unpack_map(r: &mut Reader<'_>, b: u8, depth: usize) -> Result<Value, DecodeError> {
    let n = container_count(r, b, 0xde, 0xdf)?;
    if n > r.remaining() / 2 {
        return Err(DecodeError("map count exceeds bytes left"));
    }
    let (flags, n) = counted_flags(r, n)?;
    let order = match flags {
        None | Some(0) => MapOrder::Unordered,
        Some(1) => MapOrder::KeyOrdered,
        Some(3) => MapOrder::KeyValueOrdered,
        Some(_) => return Err(DecodeError("bad map flags")),
    };
    if flags.is_some() && r.u8()? != 0xc0 {
        return Err(DecodeError("map order header without a nil value"));
    }
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let k = unpack(r, depth + 1)?;
        let v = unpack(r, depth + 1)?;
        entries.push((k, v));
    }
    finish_map(order, entries)
}

#[cfg(test)]
#[path = "pack_tests.rs"]
mod tests;
