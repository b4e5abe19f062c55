//! Particle values on the wire: the bytes of an op's value for each particle type (server
//! `datamodel.h` types; C client `as_command.c:as_command_parse_value`; Rust
//! `aerospike-core/src/value.rs:write_to` and `bytes_to_particle`). Integers and doubles are
//! 8-byte big-endian, strings raw UTF-8, lists and maps Aerospike-flavoured msgpack
//! (`format::pack`), GeoJSON a cell header then the JSON text.
//!
//! Invariants: `to_value` never panics; `from_value` then `to_value` gives back the value.

use crate::error::{err, Result, ResultCode};
use crate::record::value::Value;

/// Nil (as a write: delete the bin).
pub const NULL: u8 = 0;
/// 8-byte big-endian integer.
pub const INTEGER: u8 = 1;
/// 8-byte big-endian IEEE-754 double.
pub const FLOAT: u8 = 2;
/// UTF-8 string.
pub const STRING: u8 = 3;
/// Bytes.
pub const BLOB: u8 = 4;
/// One byte, 0 or 1.
pub const BOOL: u8 = 17;
/// HyperLogLog (not supported by aerolite).
pub const HLL: u8 = 18;
/// msgpack map.
pub const MAP: u8 = 19;
/// msgpack list.
pub const LIST: u8 = 20;
/// GeoJSON.
pub const GEOJSON: u8 = 23;

fn bad<T>(what: String) -> Result<T> {
    err(ResultCode::ParameterError, what)
}

fn be8(b: &[u8], what: &str) -> Result<[u8; 8]> {
    b.try_into().or_else(|_| {
        bad(format!(
            "{what} value of {} bytes; the wire form is 8",
            b.len()
        ))
    })
}

/// The value of particle type `particle` held in `b`. Legacy language blobs (7–12) are
/// `Value::Other` with their type (V-OTHER-BLOB); HLL and unknown types are UnsupportedFeature
/// (16).
pub fn to_value(particle: u8, b: &[u8]) -> Result<Value> {
    Ok(match particle {
        NULL => Value::Nil,
        INTEGER => Value::Int(i64::from_be_bytes(be8(b, "integer")?)),
        FLOAT => Value::Float(f64::from_bits(u64::from_be_bytes(be8(b, "double")?))),
        STRING => Value::String(utf8(b, "string")?),
        BLOB => Value::Blob(b.to_vec()),
        // V-OTHER-BLOB: a language blob keeps its type.
        7..=12 => Value::Other {
            particle_type: particle,
            bytes: b.to_vec(),
        },
        BOOL => match b {
            [v] => Value::Bool(*v != 0),
            _ => {
                return bad(format!(
                    "bool value of {} bytes; the wire form is 1",
                    b.len()
                ))
            }
        },
        MAP => container(msgpack(b)?, "map")?,
        LIST => container(msgpack(b)?, "list")?,
        GEOJSON => geojson(b)?,
        _ => {
            return err(
                ResultCode::UnsupportedFeature,
                format!("particle type {particle} is not supported by aerolite"),
            )
        }
    })
}

fn utf8(b: &[u8], what: &str) -> Result<String> {
    String::from_utf8(b.to_vec()).or_else(|_| bad(format!("{what} is not valid UTF-8")))
}

/// A whole msgpack value (list, map, or CDT operand) in the clients' flavour.
pub fn msgpack(b: &[u8]) -> Result<Value> {
    crate::format::msgpack::decode(b)
}

/// A map or list particle must hold that container (a scalar, or a selector value such as
/// INFINITY that has no bin form, is a malformed value).
fn container(v: Value, want: &str) -> Result<Value> {
    match (&v, want) {
        (Value::Map(_), "map") | (Value::List(_), "list") => Ok(v),
        _ => bad(format!(
            "{want} particle holds {v} (particle type {:?}), not a {want}",
            v.particle_type()
        )),
    }
}

/// `u8 flags, u16_be ncells, ncells × u64 cells, JSON` (clients send no cells).
fn geojson(b: &[u8]) -> Result<Value> {
    if b.len() < 3 {
        return bad("GeoJSON value shorter than its 3-byte header".into());
    }
    let cells = usize::from(u16::from_be_bytes([b[1], b[2]])) * 8;
    match b.get(3 + cells..) {
        Some(json) => Ok(Value::GeoJSON(utf8(json, "GeoJSON")?)),
        None => bad(format!(
            "GeoJSON cell list of {cells} bytes runs past the value"
        )),
    }
}

/// Append the wire form of `v`; returns its particle type.
/// `Wildcard` and `Infinity` are never a bin value (ORD-SELECTOR-ONLY) and have no particle
/// type; like Nil they write nothing.
pub fn from_value(v: &Value, out: &mut Vec<u8>) -> u8 {
    match v {
        Value::Nil | Value::Wildcard | Value::Infinity => NULL,
        Value::Int(i) => {
            out.extend_from_slice(&i.to_be_bytes());
            INTEGER
        }
        Value::Float(x) => {
            out.extend_from_slice(&x.to_bits().to_be_bytes());
            FLOAT
        }
        Value::String(s) => {
            out.extend_from_slice(s.as_bytes());
            STRING
        }
        Value::Blob(b) => {
            out.extend_from_slice(b);
            BLOB
        }
        Value::Other {
            particle_type,
            bytes,
        } => {
            out.extend_from_slice(bytes);
            *particle_type
        }
        Value::Bool(b) => {
            out.push(u8::from(*b));
            BOOL
        }
        Value::List(_) => {
            crate::format::msgpack::encode(v, out);
            LIST
        }
        Value::Map(_) => {
            crate::format::msgpack::encode(v, out);
            MAP
        }
        Value::GeoJSON(s) => {
            out.extend_from_slice(&[0, 0, 0]);
            out.extend_from_slice(s.as_bytes());
            GEOJSON
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(v: &Value) -> (u8, Vec<u8>) {
        let mut out = Vec::new();
        let t = from_value(v, &mut out);
        (t, out)
    }

    /// Byte forms per Rust `aerospike-core/src/value.rs:write_to` (int/float 8-byte BE, string
    /// raw) and `msgpack/encoder.rs:pack_string` (a msgpack str whose first byte is the particle
    /// type 3): the list `["a", 1]` is `92 a2 03 61 01`.
    #[test]
    fn particle_bytes() {
        assert_eq!(
            wire(&Value::Int(-2)),
            (INTEGER, vec![0xff; 7].into_iter().chain([0xfe]).collect())
        );
        assert_eq!(wire(&Value::Float(1.0)).1, [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(wire(&Value::from("ab")), (STRING, b"ab".to_vec()));
        assert_eq!(wire(&Value::Bool(true)), (BOOL, vec![1]));
        let list = Value::list(vec!["a".into(), 1.into()]);
        assert_eq!(wire(&list), (LIST, vec![0x92, 0xa2, 0x03, b'a', 0x01]));
        for v in [
            Value::Nil,
            Value::Int(7),
            Value::Float(-0.5),
            "é".into(),
            list,
        ] {
            let (t, b) = wire(&v);
            assert_eq!(to_value(t, &b).expect("round trip"), v);
        }
        let geo = Value::GeoJSON("{}".into());
        let (t, b) = wire(&geo);
        assert_eq!(b, [0, 0, 0, b'{', b'}']);
        assert_eq!(to_value(t, &b).expect("geo"), geo);
    }

    /// Wrong widths, bad UTF-8, bad msgpack and unknown types are errors with codes.
    #[test]
    fn bad_values_are_errors() {
        let code = |t: u8, b: &[u8]| to_value(t, b).map_err(|e| e.code()).err();
        assert_eq!(code(INTEGER, &[1, 2]), Some(ResultCode::ParameterError));
        assert_eq!(code(STRING, &[0xff]), Some(ResultCode::ParameterError));
        assert_eq!(code(LIST, &[0x92, 0x01]), Some(ResultCode::ParameterError));
        assert_eq!(code(LIST, &[0x90, 0x01]), Some(ResultCode::ParameterError));
        // A list or map particle holds a container: a scalar or a selector value (the fuzzer's
        // `d4 ff 01`, INFINITY, which has no bin form) is not a list or map.
        assert_eq!(
            code(LIST, &[0xd4, 0xff, 0x01]),
            Some(ResultCode::ParameterError)
        );
        assert_eq!(code(MAP, &[0x01]), Some(ResultCode::ParameterError));
        assert_eq!(code(LIST, &[0x80]), Some(ResultCode::ParameterError));
        assert_eq!(code(MAP, &[0x90]), Some(ResultCode::ParameterError));
        assert_eq!(
            code(GEOJSON, &[0, 0xff, 0xff]),
            Some(ResultCode::ParameterError)
        );
        assert_eq!(code(HLL, &[]), Some(ResultCode::UnsupportedFeature));
        assert_eq!(code(99, &[]), Some(ResultCode::UnsupportedFeature));
        // V-OTHER-BLOB: a legacy language blob keeps its type (it used to become a plain blob).
        assert!(matches!(
            to_value(9, b"py").expect("legacy blob"),
            Value::Other { particle_type: 9, bytes } if bytes == b"py"
        ));
        let mut out = Vec::new();
        let other = to_value(7, &[1, 2]).expect("java blob");
        assert_eq!((from_value(&other, &mut out), out), (7, vec![1, 2]));
    }
}
