//! Ops (bins): `u32_be size` (= 4 + name length + value length), op code, particle type,
//! version/flags byte, name length, name, value (C client `as_command.c:as_command_write_bin`;
//! Rust `aerospike-core/src/commands/buffer.rs:write_operation_for_bin`).
//!
//! Invariant: a decoded op's name and value are exactly the bytes its size announced.

use crate::error::Error;
use crate::format::particle::Reader;
use crate::wire::{be_u32, byte, malformed, take};

/// Read a bin (empty name with GET_ALL: every bin).
pub const READ: u8 = 1;
/// Write a bin (NULL particle: delete the bin).
pub const WRITE: u8 = 2;
/// CDT read (list and map).
pub const CDT_READ: u8 = 3;
/// CDT modify (list and map).
pub const CDT_MODIFY: u8 = 4;
/// Numeric add.
pub const INCR: u8 = 5;
/// Expression read.
pub const EXP_READ: u8 = 7;
/// Expression modify.
pub const EXP_MODIFY: u8 = 8;
/// String / bytes append.
pub const APPEND: u8 = 9;
/// String / bytes prepend.
pub const PREPEND: u8 = 10;
/// Touch.
pub const TOUCH: u8 = 11;
/// Bit read.
pub const BITS_READ: u8 = 12;
/// Bit modify.
pub const BITS_MODIFY: u8 = 13;
/// Delete the record (inside operate).
pub const DELETE_ALL: u8 = 14;
/// HyperLogLog read.
pub const HLL_READ: u8 = 15;
/// HyperLogLog modify.
pub const HLL_MODIFY: u8 = 16;

/// Size of an op's header (size, op, particle, flags, name length).
pub const HEADER_LEN: usize = 8;

/// One op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Op code.
    pub op: u8,
    /// Particle type of `value`.
    pub particle: u8,
    /// Bin name bytes (clients send UTF-8 of at most 15 bytes; checked when mapped).
    pub name: Vec<u8>,
    /// Value bytes.
    pub value: Vec<u8>,
}

impl Op {
    /// Decode one op. The version/flags byte is read and ignored (clients write 0; the server
    /// uses bit 0 for XDR only).
    pub fn decode(r: &mut Reader<'_>) -> Result<Op, Error> {
        let size = be_u32(r, "op size")? as usize;
        if size < 4 {
            return Err(malformed(format!(
                "op size {size} below 4 at offset {}",
                r.position()
            )));
        }
        let op = byte(r, "op code")?;
        let particle = byte(r, "op particle type")?;
        byte(r, "op flags")?;
        let name_len = usize::from(byte(r, "op name length")?);
        if name_len > size - 4 {
            return Err(malformed(format!(
                "op name of {name_len} bytes exceeds its op size {size}"
            )));
        }
        let name = take(r, name_len, "op name")?.to_vec();
        let value = take(r, size - 4 - name_len, "op value")?.to_vec();
        Ok(Op {
            op,
            particle,
            name,
            value,
        })
    }

    /// Append the encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let name_len = u8::try_from(self.name.len()).expect("bin names are at most 15 bytes");
        let size = u32::try_from(4 + self.name.len() + self.value.len())
            .expect("op below the 128 MiB frame");
        out.extend_from_slice(&size.to_be_bytes());
        out.extend_from_slice(&[self.op, self.particle, 0, name_len]);
        out.extend_from_slice(&self.name);
        out.extend_from_slice(&self.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wire-protocol.md §1.9 reply op: READ, INTEGER, name "a", value 1 is
    /// `00 00 00 0d 01 01 00 01 61 00 00 00 00 00 00 00 01` (C client
    /// `as_command.c:as_command_write_bin`: size = 4 + name + value).
    #[test]
    fn integer_bin_bytes() {
        let op = Op {
            op: READ,
            particle: 1,
            name: b"a".to_vec(),
            value: 1i64.to_be_bytes().to_vec(),
        };
        let mut out = Vec::new();
        op.encode(&mut out);
        let want = [0, 0, 0, 0x0d, 1, 1, 0, 1, b'a', 0, 0, 0, 0, 0, 0, 0, 1];
        assert_eq!(out, want);
        assert_eq!(Op::decode(&mut Reader::new(&want)), Ok(op));
    }

    /// A name longer than the op, a size below 4, or truncation is an error.
    #[test]
    fn inconsistent_sizes_are_errors() {
        assert!(Op::decode(&mut Reader::new(&[0, 0, 0, 3, 1, 1, 0, 0])).is_err());
        assert!(Op::decode(&mut Reader::new(&[0, 0, 0, 5, 1, 1, 0, 2, b'a'])).is_err());
        assert!(Op::decode(&mut Reader::new(&[0, 0, 0, 9, 1, 1, 0, 1, b'a'])).is_err());
        let empty_read = [0, 0, 0, 4, 1, 0, 0, 0];
        let op = Op::decode(&mut Reader::new(&empty_read)).expect("a READ of no name");
        assert!(op.name.is_empty() && op.value.is_empty());
    }
}
