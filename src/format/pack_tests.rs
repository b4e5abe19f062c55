//! Unit tests of pack.rs: pinned particle bytes, round trips and rejected inputs.

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
