//! Differential test of the in-place map ops: on random maps and op sequences, the packed map
//! gives the same result, error and bytes as decode → `MapOp::apply` → encode.

use super::inplace::PackedMap;
use super::MapOp;
use crate::cdt::policy::{MapPolicy, MapWriteFlags};
use crate::cdt::return_type::ReturnType;
use crate::cdt::select::Selector;
use crate::format::particle;
use crate::record::value::{Map, MapOrder, Value};
use proptest::prelude::*;

fn key() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-300i64..300).prop_map(Value::Int),
        "[a-c]{0,3}".prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-70_000i64..70_000).prop_map(Value::Int),
        "[a-z]{0,40}".prop_map(Value::String),
        any::<f64>().prop_map(Value::Float),
    ]
}

fn flags() -> impl Strategy<Value = MapWriteFlags> {
    prop_oneof![
        Just(MapWriteFlags::Default),
        Just(MapWriteFlags::CreateOnly),
        Just(MapWriteFlags::UpdateOnly),
        Just(MapWriteFlags::CreateOnly | MapWriteFlags::NoFail),
        Just(MapWriteFlags::UpdateOnly | MapWriteFlags::NoFail | MapWriteFlags::Partial),
    ]
}

fn rt() -> impl Strategy<Value = ReturnType> {
    prop_oneof![
        Just(ReturnType::None),
        Just(ReturnType::Index),
        Just(ReturnType::ReverseIndex),
        Just(ReturnType::Count),
        Just(ReturnType::Key),
        Just(ReturnType::Value),
        Just(ReturnType::KeyValue),
        Just(ReturnType::Exists),
        Just(ReturnType::Rank),
    ]
}

fn op() -> impl Strategy<Value = MapOp> {
    let p = |f| MapPolicy::new(MapOrder::KeyOrdered, f);
    prop_oneof![
        (flags(), key(), value()).prop_map(move |(f, k, v)| MapOp::Put(p(f), k, v)),
        (flags(), proptest::collection::vec((key(), value()), 0..20))
            .prop_map(move |(f, kv)| MapOp::PutItems(p(f), Value::map(kv))),
        (key(), (-5i64..5)).prop_map(move |(k, d)| MapOp::Increment(
            p(MapWriteFlags::Default),
            k,
            Value::Int(d),
            false
        )),
        Just(MapOp::Size),
        (key(), rt()).prop_map(|(k, r)| MapOp::Get(Selector::Key(k), r)),
        ((-40i64..40), rt()).prop_map(|(i, r)| MapOp::Get(Selector::Index(i), r)),
        (key(), rt()).prop_map(|(k, r)| MapOp::Remove(Selector::Key(k), r)),
        ((-40i64..40), rt()).prop_map(|(i, r)| MapOp::Remove(Selector::Index(i), r)),
        Just(MapOp::Clear),
    ]
}

fn encoded(v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    particle::encode(v, &mut b);
    b
}

proptest! {
    #[test]
    fn packed_equals_decoded(
        entries in proptest::collection::vec((key(), value()), 0..40),
        order in 0u8..3,
        ops in proptest::collection::vec(op(), 1..12),
    ) {
        let order = [MapOrder::Unordered, MapOrder::KeyOrdered, MapOrder::KeyValueOrdered]
            [usize::from(order)];
        let mut m = Value::map(entries);
        crate::cdt::normalize::normalize(&mut m).expect("valid keys");
        if let Value::Map(mm) = &mut m {
            mm.order = order;
        }
        let mut slow = Some(m.clone());
        let mut fast = PackedMap::from_particle(encoded(&m)).expect("canonical bytes index");
        for op in &ops {
            let Some(got) = fast.apply(op) else {
                // Not an in-place op: the caller re-runs decoded from the original; stop here.
                break;
            };
            let want = op.apply(&mut slow, 0);
            match (&got, &want) {
                (Ok(g), Ok(w)) => prop_assert_eq!(encoded(g), encoded(w), "result of {:?}", op),
                (Err(g), Err(w)) => {
                    prop_assert_eq!(g.code(), w.code());
                    prop_assert_eq!(g.detail(), w.detail());
                    break;
                }
                _ => prop_assert!(false, "{:?}: fast {:?} slow {:?}", op, got, want),
            }
            let slow_map = slow.clone().unwrap_or(Value::Map(Map::default()));
            prop_assert_eq!(fast.bytes(), &encoded(&slow_map)[..], "bytes after {:?}", op);
        }
    }
}

/// A map whose bytes are not the canonical encoding (a wide integer) is not indexed.
#[test]
fn non_canonical_bytes_are_refused() {
    let mut b = vec![particle::tag::MAP, 0x81, 0xd3];
    b.extend_from_slice(&1i64.to_be_bytes());
    b.push(0x01);
    assert!(particle::decode_all(&b).is_ok());
    assert!(PackedMap::from_particle(b).is_none());
}

/// ORD-WILDCARD-KEY: WILDCARD is no key, so get / remove by a WILDCARD key match nothing, as on
/// the decoded map (a binary search alone would stop at an arbitrary "equal" key).
#[test]
fn wildcard_key_matches_nothing() {
    let m = Value::Map(Map {
        order: MapOrder::KeyOrdered,
        entries: (1..=3).map(|i| (Value::Int(i), Value::Int(i * 10))).collect(),
    });
    for op in [
        MapOp::Get(Selector::Key(Value::Wildcard), ReturnType::Value),
        MapOp::Remove(Selector::Key(Value::Wildcard), ReturnType::Value),
    ] {
        let mut fast = PackedMap::from_particle(encoded(&m)).expect("indexes");
        let mut slow = Some(m.clone());
        let want = op.apply(&mut slow, 0).expect("decoded");
        let got = fast.apply(&op).map(|r| r.expect("packed"));
        assert_eq!(got, Some(want), "{op:?}");
        assert_eq!(fast.bytes(), &encoded(&m)[..], "{op:?} removes nothing");
    }
}
