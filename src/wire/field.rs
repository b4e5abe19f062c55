//! Fields: `u32_be size` (data length + 1), `u8 type`, data (C client `as_command.h:
//! as_command_write_field_*`; Rust `aerospike-core/src/commands/buffer.rs:write_field_header`).
//!
//! Invariant: a decoded field's data is exactly `size − 1` bytes that were present in the input.

use crate::error::Error;
use crate::format::particle::Reader;
use crate::wire::{be_u32, byte, malformed, take};

/// Namespace name (raw bytes).
pub const NAMESPACE: u8 = 0;
/// Set name (raw bytes, possibly empty).
pub const SET: u8 = 1;
/// User key: particle type byte then the value.
pub const KEY: u8 = 2;
/// Record version (transactions).
pub const RECORD_VERSION: u8 = 3;
/// 20-byte RIPEMD-160 digest.
pub const DIGEST: u8 = 4;
/// Transaction id (u64 LE).
pub const TXN_ID: u8 = 5;
/// Transaction deadline.
pub const TXN_DEADLINE: u8 = 6;
/// Scan / query task id.
pub const TASK_ID: u8 = 7;
/// Scan / query socket timeout.
pub const SOCKET_TIMEOUT: u8 = 9;
/// Records per second.
pub const RPS: u8 = 10;
/// Partition ids (u16 LE each).
pub const PID_ARRAY: u8 = 11;
/// Resume digests.
pub const DIGEST_ARRAY: u8 = 12;
/// Max records (u64 BE).
pub const MAX_RECORDS: u8 = 13;
/// Query resume value.
pub const BVAL_ARRAY: u8 = 15;
/// Secondary-index name.
pub const INDEX_NAME: u8 = 21;
/// Secondary-index range.
pub const INDEX_RANGE: u8 = 22;
/// Secondary-index context.
pub const INDEX_CONTEXT: u8 = 23;
/// Secondary-index expression.
pub const INDEX_EXPRESSION: u8 = 24;
/// Secondary-index type.
pub const INDEX_TYPE: u8 = 26;
/// UDF package (module) name.
pub const UDF_PACKAGE_NAME: u8 = 30;
/// UDF function.
pub const UDF_FUNCTION: u8 = 31;
/// UDF argument list (msgpack).
pub const UDF_ARGLIST: u8 = 32;
/// UDF op (background / foreground).
pub const UDF_OP: u8 = 33;
/// Query bins (deprecated).
pub const QUERY_BINS: u8 = 40;
/// Batch index rows.
pub const BATCH_INDEX: u8 = 41;
/// Filter expression (msgpack).
pub const FILTER: u8 = 43;

/// Size of a field's header.
pub const HEADER_LEN: usize = 5;

/// One field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Field type.
    pub kind: u8,
    /// Field data.
    pub data: Vec<u8>,
}

impl Field {
    /// A field of `kind` holding `data`.
    pub fn new(kind: u8, data: &[u8]) -> Field {
        Field {
            kind,
            data: data.to_vec(),
        }
    }

    /// Decode one field.
    pub fn decode(r: &mut Reader<'_>) -> Result<Field, Error> {
        let size = be_u32(r, "field size")?;
        if size == 0 {
            return Err(malformed(format!(
                "field of size 0 at offset {} (the size counts the type byte)",
                r.position()
            )));
        }
        let kind = byte(r, "field type")?;
        let data = take(r, size as usize - 1, "field data")?.to_vec();
        Ok(Field { kind, data })
    }

    /// Append the encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let size = u32::try_from(self.data.len() + 1).expect("field below the 128 MiB frame");
        out.extend_from_slice(&size.to_be_bytes());
        out.push(self.kind);
        out.extend_from_slice(&self.data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wire-protocol.md §1.9: the NAMESPACE field "test" is `00 00 00 05 00 74 65 73 74`
    /// (C client `as_command.h:as_command_write_field_string`).
    #[test]
    fn namespace_field_bytes() {
        let f = Field::new(NAMESPACE, b"test");
        let mut out = Vec::new();
        f.encode(&mut out);
        assert_eq!(out, [0, 0, 0, 5, 0, b't', b'e', b's', b't']);
        assert_eq!(Field::decode(&mut Reader::new(&out)), Ok(f));
    }

    /// A size of 0, or one that runs past the input, is an error, not a panic.
    #[test]
    fn bad_sizes_are_errors() {
        assert!(Field::decode(&mut Reader::new(&[0, 0, 0, 0, 1])).is_err());
        assert!(Field::decode(&mut Reader::new(&[0, 0, 0, 9, 1, 2])).is_err());
        assert!(Field::decode(&mut Reader::new(&[0xff, 0xff, 0xff, 0xff, 1])).is_err());
        assert!(Field::decode(&mut Reader::new(&[0, 0])).is_err());
    }
}
