//! The secondary-index predicate of a query message: the INDEX_RANGE field (22) and the
//! INDEX_TYPE field (26) that say which index a query uses and which values it selects (Rust
//! `aerospike-core/src/query/filter.rs:write_index_range_field`, `commands/buffer.rs:set_query`;
//! C client `aerospike_query.c:as_query_command_init`).
//!
//! INDEX_RANGE: `u8 count` (always 1: one predicate), then `u8 bin_name_len`, the bin name,
//! `u8 particle_type`, `u32 BE begin_len`, begin bytes, `u32 BE end_len`, end bytes (the
//! particle encoding of the bounds: an integer is 8 bytes BE). INDEX_TYPE: one byte, the
//! collection index type (0 default, 1 list, 2 map keys, 3 map values).
//!
//! Invariants: decoding never panics; a range that is not exactly one predicate filling the
//! field is ParameterError (4). A GeoJSON predicate (particle type 23) carries the query's GeoJSON
//! text, bare, as both bounds (`Filter::geo_within_region` / `geo_within_radius` / `geo_contains`).

use super::{be_u32, byte, malformed, particle, take};
use crate::error::Error;
use crate::format::particle::Reader;
use crate::record::value::Value;
use crate::sindex::CollectionIndexType;

/// A decoded index predicate: values of `bin_name` (or of its elements) in `[begin, end]`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRange {
    /// Indexed bin (empty when the query names its index with INDEX_NAME instead).
    pub bin_name: String,
    /// Lower bound (inclusive).
    pub begin: Value,
    /// Upper bound (inclusive).
    pub end: Value,
}

/// Decode the INDEX_RANGE field body.
pub fn decode(field: &[u8]) -> Result<IndexRange, Error> {
    let mut r = Reader::new(field);
    let count = byte(&mut r, "index range count")?;
    if count != 1 {
        return Err(malformed(format!(
            "index range holds {count} predicates; a query has exactly one"
        )));
    }
    let name_len = byte(&mut r, "index range bin name length")?;
    let name = take(&mut r, usize::from(name_len), "index range bin name")?;
    let bin_name = String::from_utf8(name.to_vec())
        .map_err(|_| malformed("index range bin name is not UTF-8"))?;
    let particle_type = byte(&mut r, "index range particle type")?;
    let mut bound = |what: &str| -> Result<Value, Error> {
        let len = be_u32(&mut r, what)?;
        let bytes = take(&mut r, len as usize, what)?;
        if particle_type == particle::GEOJSON {
            // The clients send a geo predicate's GeoJSON as bare text, without the particle's
            // cell header (SIDX-GEO-1).
            let text = std::str::from_utf8(bytes)
                .map_err(|_| malformed(format!("{what}: GeoJSON is not UTF-8")))?;
            return Ok(Value::GeoJSON(text.to_string()));
        }
        particle::to_value(particle_type, bytes)
    };
    let begin = bound("index range begin")?;
    let end = bound("index range end")?;
    if r.remaining() != 0 {
        return Err(malformed(format!(
            "{} bytes after the index range",
            r.remaining()
        )));
    }
    Ok(IndexRange {
        bin_name,
        begin,
        end,
    })
}

/// Decode the INDEX_TYPE field body (absent = `Default`).
pub fn collection(field: Option<&[u8]>) -> Result<CollectionIndexType, Error> {
    Ok(match field {
        None | Some([0]) => CollectionIndexType::Default,
        Some([1]) => CollectionIndexType::List,
        Some([2]) => CollectionIndexType::MapKeys,
        Some([3]) => CollectionIndexType::MapValues,
        Some(b) => {
            return Err(malformed(format!(
                "index type field {b:?}: one byte 0..=3 expected"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Filter::range("bin", 0, 9)` as the Rust crate writes it: count 1, name, INTEGER, two
    /// 8-byte bounds.
    #[test]
    fn integer_range_bytes() {
        let mut b = vec![1, 3];
        b.extend_from_slice(b"bin");
        b.push(particle::INTEGER);
        b.extend_from_slice(&8u32.to_be_bytes());
        b.extend_from_slice(&0i64.to_be_bytes());
        b.extend_from_slice(&8u32.to_be_bytes());
        b.extend_from_slice(&9i64.to_be_bytes());
        let r = decode(&b).expect("decodes");
        assert_eq!(r.bin_name, "bin");
        assert_eq!((r.begin, r.end), (Value::Int(0), Value::Int(9)));
        // Every truncation is an error, never a panic.
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err(), "prefix of {n} bytes");
        }
    }

    /// A string equality and the collection byte.
    #[test]
    fn string_equal_and_collection() {
        let mut b = vec![1, 1, b's', particle::STRING];
        for _ in 0..2 {
            b.extend_from_slice(&2u32.to_be_bytes());
            b.extend_from_slice(b"ab");
        }
        let r = decode(&b).expect("decodes");
        assert_eq!(r.begin, Value::String("ab".into()));
        assert_eq!(
            collection(Some(&[2])).expect("map keys"),
            CollectionIndexType::MapKeys
        );
        assert!(collection(Some(&[9])).is_err());
        assert!(decode(&[2]).is_err());
    }

    /// `Filter::geo_contains("g", point)` as the Rust crate writes it: GEOJSON, the bare text
    /// twice (SIDX-GEO-1).
    #[test]
    fn geojson_bounds_are_bare_text() {
        let point = br#"{"type":"Point","coordinates":[1,2]}"#;
        let mut b = vec![1, 1, b'g', particle::GEOJSON];
        for _ in 0..2 {
            b.extend_from_slice(&(point.len() as u32).to_be_bytes());
            b.extend_from_slice(point);
        }
        let r = decode(&b).expect("decodes");
        let text = String::from_utf8(point.to_vec()).expect("utf8");
        assert_eq!(
            (r.begin, r.end),
            (Value::GeoJSON(text.clone()), Value::GeoJSON(text))
        );
        for n in 0..b.len() {
            assert!(decode(&b[..n]).is_err(), "prefix of {n} bytes");
        }
    }
}
