//! `ValueRef`: a bin value borrowed from where it is stored, for reads that look at a record in
//! place (`Database::get_with`) instead of copying it into an owned [`Value`].
//!
//! Invariants:
//! - a `ValueRef` and the `Value` it came from are the same value: `to_value` of
//!   `ValueRef::of(v)` is `v`, and a `ValueRef` decoded from a stored particle has `to_value`
//!   equal to what the owned decode of that particle gives;
//! - only strings, blobs and GeoJSON text are borrowed (the bytes a read would otherwise copy);
//!   lists, maps and uninterpreted blobs are carried as a `Value` (borrowed or decoded).

use crate::record::value::Value;
use std::borrow::Cow;

/// A bin value borrowed from a stored record image (or from an owned [`Value`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ValueRef<'a> {
    /// V-BOOL.
    Bool(bool),
    /// V-INT.
    Int(i64),
    /// V-DOUBLE.
    Float(f64),
    /// V-STRING, not copied.
    String(&'a str),
    /// V-BYTES, not copied.
    Blob(&'a [u8]),
    /// V-GEOJSON text, not copied.
    GeoJSON(&'a str),
    /// Any other value (a list, a map, a language blob), as a [`Value`].
    Value(Cow<'a, Value>),
}

impl<'a> ValueRef<'a> {
    /// The borrowed form of `v`.
    pub fn of(v: &'a Value) -> ValueRef<'a> {
        match v {
            Value::Bool(b) => ValueRef::Bool(*b),
            Value::Int(i) => ValueRef::Int(*i),
            Value::Float(x) => ValueRef::Float(*x),
            Value::String(s) => ValueRef::String(s),
            Value::Blob(b) => ValueRef::Blob(b),
            Value::GeoJSON(s) => ValueRef::GeoJSON(s),
            other => ValueRef::Value(Cow::Borrowed(other)),
        }
    }

    /// An owned copy.
    pub fn to_value(&self) -> Value {
        match self {
            ValueRef::Bool(b) => Value::Bool(*b),
            ValueRef::Int(i) => Value::Int(*i),
            ValueRef::Float(x) => Value::Float(*x),
            ValueRef::String(s) => Value::String((*s).to_string()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            ValueRef::GeoJSON(s) => Value::GeoJSON((*s).to_string()),
            ValueRef::Value(v) => v.as_ref().clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_borrowed_form_is_the_same_value() {
        let values = [
            Value::Bool(true),
            Value::Int(-7),
            Value::Float(1.5),
            Value::String("s".into()),
            Value::Blob(vec![1, 2]),
            Value::GeoJSON("{}".into()),
            Value::from(vec![Value::Int(1)]),
            Value::Other {
                particle_type: 7,
                bytes: vec![9],
            },
        ];
        for v in values {
            assert_eq!(ValueRef::of(&v).to_value(), v);
        }
        assert!(matches!(
            ValueRef::of(&Value::Blob(vec![3])),
            ValueRef::Blob(&[3])
        ));
    }
}
