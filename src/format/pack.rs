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
    if n < 16 {
        out.push(fix | n as u8);
    } else if let Ok(n16) = u16::try_from(n) {
        out.push(w16);
        out.extend_from_slice(&n16.to_be_bytes());
    } else {
        out.push(w32);
        out.extend_from_slice(&len_u32(n).to_be_bytes());
    }
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
}

fn pack_str(t: u8, b: &[u8], out: &mut Vec<u8>) {
    str_header(b.len() + 1, out);
    out.push(t);
    out.extend_from_slice(b);
}

fn pack_int(i: i64, out: &mut Vec<u8>) {
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

/// Append the msgpack form of `v`.
pub fn pack(v: &Value, out: &mut Vec<u8>) {
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
    let b = r.u8()?;
    Ok(match b {
        0x00..=0x7f => Value::Int(i64::from(b)),
        0xe0..=0xff => Value::Int(i64::from(b as i8)),
        0xc0 => Value::Nil,
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xcc => Value::Int(i64::from(r.u8()?)),
        0xcd => Value::Int(i64::from(be_u16(r)?)),
        0xce => Value::Int(i64::from(be_u32(r)?)),
        0xcf => Value::Int(
            i64::try_from(be_u64(r)?).map_err(|_| DecodeError("unsigned integer above i64"))?,
        ),
        0xd0 => Value::Int(i64::from(r.u8()? as i8)),
        0xd1 => Value::Int(i64::from(be_u16(r)? as i16)),
        0xd2 => Value::Int(i64::from(be_u32(r)? as i32)),
        0xd3 => Value::Int(be_u64(r)? as i64),
        0xcb => Value::Float(f64::from_bits(be_u64(r)?)),
        0xa0..=0xbf => typed_bytes(r, usize::from(b & 0x1f))?,
        0xd9 | 0xc4 => {
            let n = usize::from(r.u8()?);
            typed_bytes(r, n)?
        }
        0xda | 0xc5 => {
            let n = usize::from(be_u16(r)?);
            typed_bytes(r, n)?
        }
        0xdb | 0xc6 => {
            let n = be_u32(r)? as usize;
            typed_bytes(r, n)?
        }
        0x90..=0x9f | 0xdc | 0xdd => {
            let mut n = match b {
                0xdc => usize::from(be_u16(r)?),
                0xdd => be_u32(r)? as usize,
                _ => usize::from(b & 0x0f),
            };
            // Each element takes at least one byte: bound the allocation by what is left.
            if n > r.remaining() {
                return Err(DecodeError("list count exceeds bytes left"));
            }
            let mut order = ListOrderType::Unordered;
            if n > 0 {
                if let Some(f) = flags_header(r)? {
                    order = match f {
                        0 => ListOrderType::Unordered,
                        1 => ListOrderType::Ordered,
                        _ => return Err(DecodeError("bad list flags")),
                    };
                    n -= 1;
                }
            }
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(unpack(r, depth + 1)?);
            }
            finish_list(order, items)?
        }
        0x80..=0x8f | 0xde | 0xdf => {
            let mut n = match b {
                0xde => usize::from(be_u16(r)?),
                0xdf => be_u32(r)? as usize,
                _ => usize::from(b & 0x0f),
            };
            if n > r.remaining() / 2 {
                return Err(DecodeError("map count exceeds bytes left"));
            }
            let mut order = MapOrder::Unordered;
            if n > 0 {
                if let Some(f) = flags_header(r)? {
                    order = match f {
                        0 => MapOrder::Unordered,
                        1 => MapOrder::KeyOrdered,
                        3 => MapOrder::KeyValueOrdered,
                        _ => return Err(DecodeError("bad map flags")),
                    };
                    if r.u8()? != 0xc0 {
                        return Err(DecodeError("map order header without a nil value"));
                    }
                    n -= 1;
                }
            }
            let mut entries = Vec::with_capacity(n);
            for _ in 0..n {
                let k = unpack(r, depth + 1)?;
                let v = unpack(r, depth + 1)?;
                entries.push((k, v));
            }
            finish_map(order, entries)?
        }
        _ => return Err(DecodeError("unsupported msgpack type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::particle::{decode_all, encode, encoded_len, tag};
    use crate::record::value::{List, Map};

    fn bytes(v: &Value) -> Vec<u8> {
        let mut b = Vec::new();
        encode(v, &mut b);
        assert_eq!(b.len(), encoded_len(v), "encoded_len of {v}");
        b
    }

    /// Pins the byte layout of storage-format.md "Particle encoding" v2 (lists and maps).
    #[test]
    fn pinned_bytes() {
        let l = Value::list(vec![
            1.into(),
            (-1).into(),
            "a".into(),
            Value::Nil,
            true.into(),
        ]);
        assert_eq!(
            bytes(&l),
            vec![tag::LIST, 0x95, 0x01, 0xff, 0xa2, 3, b'a', 0xc0, 0xc3]
        );
        let o = Value::List(List {
            order: ListOrderType::Ordered,
            items: vec![200.into()],
        });
        assert_eq!(
            bytes(&o),
            vec![tag::LIST, 0x92, 0xd4, 0xff, 0x01, 0xcc, 200]
        );
        let m = Value::Map(Map {
            order: MapOrder::KeyOrdered,
            entries: vec![(Value::Blob(vec![9]), 1.5.into())],
        });
        let mut want = vec![tag::MAP, 0x82, 0xd4, 0xff, 0x01, 0xc0, 0xa2, 4, 9, 0xcb];
        want.extend_from_slice(&1.5f64.to_bits().to_be_bytes());
        assert_eq!(bytes(&m), want);
        let u = Value::map(vec![(Value::Int(-200), Value::GeoJSON("g".into()))]);
        assert_eq!(
            bytes(&u),
            vec![tag::MAP, 0x81, 0xd1, 0xff, 0x38, 0xa2, 23, b'g']
        );
    }

    /// Round trips across every integer width, string length class and container size class.
    #[test]
    fn round_trip_widths() {
        let ints: Vec<Value> = [
            0,
            127,
            128,
            255,
            256,
            65535,
            65536,
            0xffff_ffff,
            0x1_0000_0000,
            i64::MAX,
            -1,
            -32,
            -33,
            -128,
            -129,
            -32768,
            -32769,
            i64::from(i32::MIN),
            i64::from(i32::MIN) - 1,
            i64::MIN,
        ]
        .iter()
        .map(|&i| Value::Int(i))
        .collect();
        let strs: Vec<Value> = [0usize, 30, 31, 254, 255, 65534, 65535, 70000]
            .iter()
            .map(|&n| Value::from("x".repeat(n)))
            .collect();
        let big = Value::list((0..70_000).map(Value::Int).collect());
        let big_map = Value::Map(Map {
            order: MapOrder::KeyValueOrdered,
            entries: (0..20).map(|i| (Value::Int(i), Value::Nil)).collect(),
        });
        for v in [
            Value::list(ints),
            Value::list(strs),
            big,
            big_map,
            Value::list(vec![]),
        ] {
            let b = bytes(&v);
            let d = decode_all(&b).expect("decodes");
            assert_eq!(d, v);
            assert_eq!(bytes(&d), b, "bit-exact");
        }
    }

    /// Decoding rejects malformed msgpack without panicking: flags in the wrong place, bad flags,
    /// unknown types, oversized counts, uint64 above i64, strings without a type byte.
    #[test]
    fn rejects_malformed() {
        let bad: Vec<Vec<u8>> = vec![
            vec![tag::LIST, 0x91, 0xd4, 0xff, 0x02],
            vec![tag::LIST, 0x92, 0x01, 0xd4, 0xff, 0x01],
            vec![tag::MAP, 0x81, 0xd4, 0xff, 0x02, 0xc0],
            vec![tag::MAP, 0x81, 0xd4, 0xff, 0x01, 0x01],
            vec![tag::LIST, 0x91, 0xc1],
            vec![tag::LIST, 0xdd, 0xff, 0xff, 0xff, 0xff],
            vec![tag::LIST, 0x91, 0xcf, 0xff, 0, 0, 0, 0, 0, 0, 0],
            vec![tag::LIST, 0x91, 0xa0],
            vec![tag::LIST, 0x91, 0xa1, 9],
            vec![tag::LIST, 0x81, 0x01, 0x01],
            vec![tag::MAP, 0x81, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x01],
            vec![tag::LIST, 0x92, 0xd4, 0xff, 0x01, 0x05, 0x04],
        ];
        for b in bad {
            assert!(decode_all(&b).is_err(), "{b:x?}");
        }
        for seed in 0u64..3000 {
            let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let mut b = vec![if seed % 2 == 0 { tag::LIST } else { tag::MAP }];
            b.extend((0..(seed % 48)).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }));
            let _ = decode_all(&b);
        }
    }

    /// The v1 list/map payload (order byte, u32 count) still decodes.
    #[test]
    fn v1_payload_still_decodes() {
        let mut b = vec![tag::LIST, 1, 2, 0, 0, 0];
        b.extend_from_slice(&[tag::INT, 1, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[tag::INT, 2, 0, 0, 0, 0, 0, 0, 0]);
        let Ok(Value::List(l)) = decode_all(&b) else {
            panic!("v1 list decodes")
        };
        assert_eq!(l.order, ListOrderType::Ordered);
        assert_eq!(l.items, vec![Value::Int(1), Value::Int(2)]);
    }

    fn scalar() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Nil),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            any::<u64>().prop_map(|b| Value::Float(f64::from_bits(b))),
            ".{0,40}".prop_map(Value::String),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Blob),
            "[a-z]{0,5}".prop_map(Value::GeoJSON),
        ]
    }

    fn value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        scalar().prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                (
                    proptest::collection::vec(inner.clone(), 0..8),
                    any::<bool>()
                )
                    .prop_map(|(items, ordered)| {
                        let order = if ordered {
                            ListOrderType::Ordered
                        } else {
                            ListOrderType::Unordered
                        };
                        Value::List(List { order, items })
                    }),
                (
                    proptest::collection::vec((any::<i64>().prop_map(Value::Int), inner), 0..8),
                    0u8..3
                )
                    .prop_map(|(pairs, o)| {
                        let order = [
                            MapOrder::Unordered,
                            MapOrder::KeyOrdered,
                            MapOrder::KeyValueOrdered,
                        ][usize::from(o)];
                        let mut m = Value::map(pairs);
                        if let Value::Map(mm) = &mut m {
                            mm.order = order;
                        }
                        m
                    }),
            ]
        })
    }

    proptest::proptest! {
        /// Every canonical list/map round-trips bit-exactly; arbitrary bytes never panic.
        #[test]
        fn prop_round_trip_and_no_panic(
            v in value(),
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let mut v = Value::list(vec![v]);
            crate::cdt::normalize::normalize(&mut v).expect("generated keys are valid");
            let b = bytes(&v);
            let d = decode_all(&b).expect("decodes");
            proptest::prop_assert_eq!(&d, &v);
            proptest::prop_assert_eq!(bytes(&d), b);
            let mut l = vec![tag::LIST];
            l.extend_from_slice(&junk);
            let _ = decode_all(&l);
            l[0] = tag::MAP;
            let _ = decode_all(&l);
        }
    }

    /// ORD-SELECTOR-ONLY: WILDCARD and INFINITY pack as ext8 `c7 01 ff 00|01`, never as the
    /// `d4 ff <flags>` order header, and no stored image decodes to one.
    #[test]
    fn selector_values_never_collide_with_the_order_header() {
        let mut out = Vec::new();
        pack(
            &Value::list(vec![Value::Wildcard, Value::Infinity]),
            &mut out,
        );
        assert_eq!(out, [0x92, 0xc7, 0x01, 0xff, 0x00, 0xc7, 0x01, 0xff, 0x01]);
        assert_eq!(packed_len(&Value::Wildcard), 4);
        let mut image = vec![tag::LIST];
        image.extend_from_slice(&out);
        assert!(
            decode_all(&image).is_err(),
            "a stored list never holds WILDCARD"
        );
        assert!(unpack(&mut Reader::new(&[0xc7, 0x01, 0xff, 0x01]), 0).is_err());
        let ordered = [tag::LIST, 0x92, 0xd4, 0xff, 0x01, 0x05];
        let Ok(Value::List(l)) = decode_all(&ordered) else {
            panic!("an ordered list")
        };
        assert_eq!(l.order, ListOrderType::Ordered);
        assert!(matches!(l.items[..], [Value::Int(5)]));
    }
}
