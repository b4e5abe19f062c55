//! The one order over values (cdt.md §1, VO-* rows; docs/semantics.md Part 2 §1 ORD-*). Every
//! comparison in aerolite — map key order, rank, intervals, equality, sorting — goes through
//! [`compare`].
//!
//! Invariants: over storable values (no `Wildcard`, no `Infinity`: ORD-SELECTOR-ONLY) `compare`
//! is a total order (reflexive, antisymmetric, transitive), NaN included (CH-NAN: all NaNs are
//! equal and greater than every other double). `Infinity` extends it as one greatest value
//! (ORD-INFINITY). `Wildcard` is equal to everything and ends the whole comparison where it is
//! met (ORD-WILDCARD), as Aerospike's msgpack comparison does; it appears only in selector
//! operands, never in sorted data, so sorting and binary searches stay well defined.

use crate::record::value::{Map, Value};
use std::cmp::Ordering;

/// Type class rank (VO-TYPES): nil < false < true < negative ints < non-negative ints < strings
/// < lists < maps < bytes < doubles < GeoJSON < INFINITY (ORD-INFINITY).
fn class(v: &Value) -> u8 {
    match v {
        Value::Nil => 0,
        Value::Bool(false) => 1,
        Value::Bool(true) => 2,
        Value::Int(i) if *i < 0 => 3,
        Value::Int(_) => 4,
        Value::String(_) => 5,
        Value::List(_) => 6,
        Value::Map(_) => 7,
        Value::Blob(_) | Value::Other { .. } => 8,
        Value::Float(_) => 9,
        Value::GeoJSON(_) => 10,
        Value::Infinity => 11,
        // Never ranked: `step` answers before asking for a class (ORD-WILDCARD).
        Value::Wildcard => 12,
    }
}

/// One comparison's outcome: decided, or a `Wildcard` was met, which makes the whole
/// comparison — not just the current element — equal (ORD-WILDCARD).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Decided(Ordering),
    Wild,
}

impl Step {
    fn ordering(self) -> Ordering {
        match self {
            Step::Decided(o) => o,
            Step::Wild => Ordering::Equal,
        }
    }
}

/// Compare two values (VO-*, ORD-WILDCARD, ORD-INFINITY).
pub fn compare(a: &Value, b: &Value) -> Ordering {
    step(a, b).ordering()
}

fn step(a: &Value, b: &Value) -> Step {
    if matches!(a, Value::Wildcard) || matches!(b, Value::Wildcard) {
        return Step::Wild;
    }
    let (ca, cb) = (class(a), class(b));
    if ca != cb {
        return Step::Decided(ca.cmp(&cb));
    }
    Step::Decided(match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Float(x), Value::Float(y)) => compare_doubles(*x, *y),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::GeoJSON(x), Value::GeoJSON(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(_) | Value::Other { .. }, _) => typed_bytes(a).cmp(&typed_bytes(b)),
        (Value::List(x), Value::List(y)) => return step_lists(&x.items, &y.items),
        (Value::Map(x), Value::Map(y)) => return step_maps(x, y),
        // Same class and no payload to compare: nil, false, true, INFINITY.
        _ => Ordering::Equal,
    })
}

/// VO-BYTES, V-OTHER-BLOB: bytes compare as their msgpack form does, type byte first.
fn typed_bytes(v: &Value) -> (u8, &[u8]) {
    match v {
        Value::Other {
            particle_type,
            bytes,
        } => (*particle_type, bytes),
        Value::Blob(b) => (4, b),
        _ => (0, &[]),
    }
}

/// VO-DOUBLE with CH-NAN: -0.0 == 0.0; NaN == NaN and NaN > every other double.
pub fn compare_doubles(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

/// VO-LIST: element by element, shorter prefix first.
pub fn compare_lists(a: &[Value], b: &[Value]) -> Ordering {
    step_lists(a, b).ordering()
}

/// VO-LIST; a `Wildcard` met in the common prefix decides "equal" (ORD-WILDCARD), so a list
/// with a `Wildcard` at position i matches every list of more than i elements sharing the rest
/// of the prefix.
fn step_lists(a: &[Value], b: &[Value]) -> Step {
    for (x, y) in a.iter().zip(b.iter()) {
        let s = step(x, y);
        if s != Step::Decided(Ordering::Equal) {
            return s;
        }
    }
    Step::Decided(a.len().cmp(&b.len()))
}

/// VO-MAP: entry count first, then entries in ascending key order (key, then value).
pub fn compare_maps(a: &Map, b: &Map) -> Ordering {
    step_maps(a, b).ordering()
}

fn step_maps(a: &Map, b: &Map) -> Step {
    if a.entries.len() != b.entries.len() {
        return Step::Decided(a.entries.len().cmp(&b.entries.len()));
    }
    let sa = sorted_refs(a);
    let sb = sorted_refs(b);
    for ((ka, va), (kb, vb)) in sa.iter().zip(sb.iter()) {
        for s in [step(ka, kb), step(va, vb)] {
            if s != Step::Decided(Ordering::Equal) {
                return s;
            }
        }
    }
    Step::Decided(Ordering::Equal)
}

fn sorted_refs(m: &Map) -> Vec<(&Value, &Value)> {
    let mut v: Vec<(&Value, &Value)> = m.entries.iter().map(|(k, v)| (k, v)).collect();
    // Stored maps are sorted by key whatever their order attribute (cdt::normalize); a map built
    // by hand (e.g. a selector operand) may not be, so sort unless already sorted.
    if v.windows(2)
        .any(|w| compare(w[0].0, w[1].0) == Ordering::Greater)
    {
        v.sort_by(|x, y| compare(x.0, y.0));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pairs: Vec<(i64, i64)>) -> Value {
        Value::map(
            pairs
                .into_iter()
                .map(|(k, v)| (Value::Int(k), Value::Int(v)))
                .collect(),
        )
    }

    /// VO-EX-1, VO-TYPES, VO-INT-DOUBLE, VO-STRING, VO-LIST, VO-MAP, VO-BYTES.
    #[test]
    fn vo_ex_1_ascending_chain() {
        let chain = vec![
            Value::Nil,
            Value::Bool(false),
            Value::Bool(true),
            Value::Int(-5),
            Value::Int(0),
            Value::Int(7),
            Value::from(""),
            Value::from("a"),
            Value::from("ab"),
            Value::from("b"),
            Value::list(vec![]),
            Value::list(vec![1.into()]),
            Value::list(vec![1.into(), 2.into()]),
            Value::list(vec![2.into()]),
            m(vec![]),
            m(vec![(1, 1)]),
            m(vec![(0, 1), (1, 1)]),
            Value::Blob(vec![]),
            Value::Blob(vec![0]),
            Value::Float(-1.0),
            Value::Float(0.0),
            Value::Float(2.5),
            Value::GeoJSON("{}".into()),
        ];
        for i in 0..chain.len() {
            for j in 0..chain.len() {
                assert_eq!(
                    compare(&chain[i], &chain[j]),
                    i.cmp(&j),
                    "{} vs {}",
                    chain[i],
                    chain[j]
                );
            }
        }
    }

    /// VO-INT, VO-BOOL, VO-GEOJSON, VO-EQUAL.
    #[test]
    fn vo_int_bool_geojson_equal() {
        assert!(Value::Int(i64::MIN) < Value::Int(-1));
        assert!(Value::Int(-1) < Value::Int(0));
        assert!(Value::Int(3) < Value::Int(i64::MAX));
        assert!(Value::Bool(false) < Value::Bool(true));
        assert!(Value::Bool(true) < Value::Int(i64::MIN));
        assert!(Value::Nil < Value::Bool(false));
        let g = |s: &str| Value::GeoJSON(s.into());
        assert!(g("") < g("a") && g("a") < g("ab") && g("ab") < g("b"));
        assert!(Value::Float(f64::NAN) < g(""));
        assert_eq!(compare(&g("x"), &g("x")), Ordering::Equal);
        assert_eq!(Value::list(vec![1.into()]), Value::list(vec![1.into()]));
        assert_ne!(Value::list(vec![1.into()]), Value::list(vec![1.0.into()]));
        assert_ne!(Value::from("a"), Value::Blob(b"a".to_vec()));
    }

    /// VO-EX-2, VO-EX-3, VO-DOUBLE, CH-NAN, V-EQUALITY.
    #[test]
    fn vo_ex_2_3_and_doubles() {
        assert!(m(vec![(1, 5)]) < m(vec![(2, 0)]));
        assert!(m(vec![(1, 2)]) < m(vec![(1, 3)]));
        assert!(Value::list(vec![1.into(), 2.into()]) < Value::list(vec![1.into(), "a".into()]));
        assert!(Value::Int(7) < Value::Float(0.5));
        assert_ne!(Value::Int(1), Value::Float(1.0));
        assert_eq!(Value::Float(-0.0), Value::Float(0.0));
        assert_eq!(Value::Float(f64::NAN), Value::Float(-f64::NAN));
        assert!(Value::Float(f64::INFINITY) < Value::Float(f64::NAN));
        // Map order attribute does not take part; entry order in an unordered map neither.
        assert_eq!(m(vec![(2, 0), (1, 0)]), m(vec![(1, 0), (2, 0)]));
    }

    /// ORD-INFINITY: above every other value, GeoJSON and NaN included; equal only to itself.
    #[test]
    fn ord_infinity_is_greatest() {
        let inf = Value::Infinity;
        for v in [
            Value::Nil,
            Value::Int(i64::MAX),
            Value::Float(f64::NAN),
            Value::GeoJSON("{}".into()),
            Value::list(vec![Value::Int(1)]),
        ] {
            assert_eq!(compare(&v, &inf), Ordering::Less, "{v}");
            assert_eq!(compare(&inf, &v), Ordering::Greater, "{v}");
        }
        assert_eq!(compare(&inf, &Value::Infinity), Ordering::Equal);
        let l = |v: Vec<Value>| Value::list(v);
        assert!(l(vec![1.into(), 9.into(), 9.into()]) < l(vec![1.into(), Value::Infinity]));
        assert!(l(vec![2.into()]) > l(vec![1.into(), Value::Infinity]));
    }

    /// ORD-WILDCARD: equal to everything; in a list it ends the comparison as equal, so the
    /// elements after it are not compared, but the other list must reach its position.
    #[test]
    fn ord_wildcard_ends_the_comparison() {
        let w = Value::Wildcard;
        let l = |v: Vec<Value>| Value::list(v);
        for v in [Value::Nil, Value::Infinity, l(vec![]), m(vec![(1, 1)])] {
            assert_eq!(compare(&w, &v), Ordering::Equal, "{v}");
            assert_eq!(compare(&v, &w), Ordering::Equal, "{v}");
        }
        let pat = l(vec![1.into(), w.clone(), 5.into()]);
        assert_eq!(compare(&pat, &l(vec![1.into(), 2.into()])), Ordering::Equal);
        assert_eq!(
            compare(&pat, &l(vec![1.into(), 2.into(), 9.into()])),
            Ordering::Equal
        );
        assert_eq!(compare(&pat, &l(vec![1.into()])), Ordering::Greater);
        assert_eq!(
            compare(&pat, &l(vec![0.into(), 7.into()])),
            Ordering::Greater
        );
        let nested = l(vec![l(vec![1.into(), w.clone()]), 5.into()]);
        assert_eq!(
            compare(&nested, &l(vec![l(vec![1.into(), 2.into()]), 6.into()])),
            Ordering::Equal,
            "a nested WILDCARD ends the outer comparison too"
        );
        let mw = Value::map(vec![(1.into(), w)]);
        assert_eq!(compare(&mw, &m(vec![(1, 7)])), Ordering::Equal);
        assert_eq!(compare(&mw, &m(vec![(2, 7)])), Ordering::Less);
    }
}
