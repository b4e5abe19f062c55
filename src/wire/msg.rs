//! The `as_msg` message: a 22-byte header (info bits, result code, generation, TTL or void-time,
//! transaction TTL, field and op counts), then the fields, then the ops (C client `as_proto.h:
//! struct as_msg_s`, `as_command.c:as_command_write_header_write`; Rust
//! `aerospike-core/src/commands/buffer.rs:write_header*`).
//!
//! Invariants: a decoded message consumed exactly its body (trailing bytes are an error); it has
//! at most `MAX_FIELDS` fields and `MAX_OPS` ops; `encode` writes what `decode` reads back.

use crate::error::Error;
use crate::format::particle::Reader;
use crate::wire::field::Field;
use crate::wire::op::Op;
use crate::wire::{be_u16, be_u32, byte, malformed, MAX_FIELDS, MAX_OPS};

/// Size of the header, also its first byte.
pub const HEADER_LEN: usize = 22;

/// info1: read.
pub const INFO1_READ: u8 = 0x01;
/// info1: read every bin.
pub const INFO1_GET_ALL: u8 = 0x02;
/// info1: short query.
pub const INFO1_SHORT_QUERY: u8 = 0x04;
/// info1: batch index command.
pub const INFO1_BATCH: u8 = 0x08;
/// info1: metadata only, no bin data.
pub const INFO1_NOBINDATA: u8 = 0x20;
/// info1: compress the response.
pub const INFO1_COMPRESS_RESPONSE: u8 = 0x80;
/// info2: write.
pub const INFO2_WRITE: u8 = 0x01;
/// info2: delete the record.
pub const INFO2_DELETE: u8 = 0x02;
/// info2: generation must equal.
pub const INFO2_GENERATION: u8 = 0x04;
/// info2: generation must be greater.
pub const INFO2_GENERATION_GT: u8 = 0x08;
/// info2: durable delete (tombstone).
pub const INFO2_DURABLE_DELETE: u8 = 0x10;
/// info2: create only.
pub const INFO2_CREATE_ONLY: u8 = 0x20;
/// info2: one result per op.
pub const INFO2_RESPOND_ALL_OPS: u8 = 0x80;
/// info3: last message of a stream.
pub const INFO3_LAST: u8 = 0x01;
/// info3: commit level master.
pub const INFO3_COMMIT_MASTER: u8 = 0x02;
/// info3: partition done (scan / query streams).
pub const INFO3_PARTITION_DONE: u8 = 0x04;
/// info3: update only.
pub const INFO3_UPDATE_ONLY: u8 = 0x08;
/// info3: create or replace.
pub const INFO3_CREATE_OR_REPLACE: u8 = 0x10;
/// info3: replace only.
pub const INFO3_REPLACE_ONLY: u8 = 0x20;

/// The 22-byte header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgHeader {
    /// Read flags.
    pub info1: u8,
    /// Write flags.
    pub info2: u8,
    /// Misc flags.
    pub info3: u8,
    /// Transaction flags.
    pub info4: u8,
    /// Result code (responses).
    pub result_code: u8,
    /// Expected generation (requests) or the record's (responses).
    pub generation: u32,
    /// TTL (write requests), read-touch percent (reads) or void-time (responses).
    pub record_ttl: u32,
    /// Server-side timeout in ms (requests).
    pub transaction_ttl: u32,
    /// Fields that follow.
    pub n_fields: u16,
    /// Ops that follow.
    pub n_ops: u16,
}

impl MsgHeader {
    fn decode(r: &mut Reader<'_>) -> Result<MsgHeader, Error> {
        let size = byte(r, "as_msg header size")?;
        if usize::from(size) != HEADER_LEN {
            return Err(malformed(format!("as_msg header size {size}, not 22")));
        }
        let h = MsgHeader {
            info1: byte(r, "info1")?,
            info2: byte(r, "info2")?,
            info3: byte(r, "info3")?,
            info4: byte(r, "info4")?,
            result_code: byte(r, "result code")?,
            generation: be_u32(r, "generation")?,
            record_ttl: be_u32(r, "record ttl")?,
            transaction_ttl: be_u32(r, "transaction ttl")?,
            n_fields: be_u16(r, "field count")?,
            n_ops: be_u16(r, "op count")?,
        };
        if h.n_fields > MAX_FIELDS || h.n_ops > MAX_OPS {
            return Err(malformed(format!(
                "{} fields and {} ops; at most {MAX_FIELDS} and {MAX_OPS}",
                h.n_fields, h.n_ops
            )));
        }
        Ok(h)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            HEADER_LEN as u8,
            self.info1,
            self.info2,
            self.info3,
            self.info4,
            self.result_code,
        ]);
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(&self.record_ttl.to_be_bytes());
        out.extend_from_slice(&self.transaction_ttl.to_be_bytes());
        out.extend_from_slice(&self.n_fields.to_be_bytes());
        out.extend_from_slice(&self.n_ops.to_be_bytes());
    }
}

/// A whole `as_msg`: header, fields, ops.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// The header (its counts are recomputed by `encode`).
    pub header: MsgHeader,
    /// Fields in wire order.
    pub fields: Vec<Field>,
    /// Ops in wire order.
    pub ops: Vec<Op>,
}

impl Message {
    /// Decode one message that fills `body` exactly.
    pub fn decode(body: &[u8]) -> Result<Message, Error> {
        let mut r = Reader::new(body);
        let m = Message::decode_one(&mut r)?;
        if r.remaining() != 0 {
            return Err(malformed(format!(
                "{} bytes after the message",
                r.remaining()
            )));
        }
        Ok(m)
    }

    /// Decode one message from `r` (messages may be concatenated in a stream).
    pub fn decode_one(r: &mut Reader<'_>) -> Result<Message, Error> {
        let header = MsgHeader::decode(r)?;
        let fields = (0..header.n_fields)
            .map(|_| Field::decode(r))
            .collect::<Result<Vec<_>, _>>()?;
        let ops = (0..header.n_ops)
            .map(|_| Op::decode(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Message {
            header,
            fields,
            ops,
        })
    }

    /// Append the encoding, with the counts taken from `fields` and `ops`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut h = self.header;
        h.n_fields = u16::try_from(self.fields.len()).expect("at most MAX_FIELDS fields");
        h.n_ops = u16::try_from(self.ops.len()).expect("a reply holds at most 65535 bins");
        h.encode(out);
        for f in &self.fields {
            f.encode(out);
        }
        for o in &self.ops {
            o.encode(out);
        }
    }

    /// The data of the first field of `kind`.
    pub fn field(&self, kind: u8) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|f| f.kind == kind)
            .map(|f| f.data.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::field::{DIGEST, NAMESPACE, SET};

    const DIGEST_K1: [u8; 20] = [
        0xb7, 0x47, 0xf5, 0x85, 0x4d, 0x0b, 0x33, 0x25, 0x99, 0x28, 0xd0, 0xcf, 0xab, 0x7f, 0xad,
        0x81, 0xd6, 0xab, 0xfb, 0xf6,
    ];

    /// wire-protocol.md §1.9: `get(("test","demo","k1"))` with a 1000 ms server timeout, as
    /// assembled from C client `aerospike_key.c:aerospike_key_get` → `as_command_write_header_read`
    /// (info1 READ|GET_ALL, 3 fields, 0 ops) and `as_command_write_key` (ns, set, digest).
    #[test]
    fn get_request_bytes() {
        let mut body = vec![0x16, 0x03, 0, 0, 0, 0];
        body.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0, 3, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 5, 0, b't', b'e', b's', b't']);
        body.extend_from_slice(&[0, 0, 0, 5, 1, b'd', b'e', b'm', b'o']);
        body.extend_from_slice(&[0, 0, 0, 0x15, 4]);
        body.extend_from_slice(&DIGEST_K1);
        assert_eq!(body.len(), 0x41);
        let m = Message::decode(&body).expect("valid get");
        assert_eq!(m.header.info1, INFO1_READ | INFO1_GET_ALL);
        assert_eq!(m.header.transaction_ttl, 1000);
        assert_eq!(m.field(NAMESPACE), Some(&b"test"[..]));
        assert_eq!(m.field(SET), Some(&b"demo"[..]));
        assert_eq!(m.field(DIGEST), Some(&DIGEST_K1[..]));
        assert!(m.ops.is_empty());
        let mut again = Vec::new();
        m.encode(&mut again);
        assert_eq!(again, body);
    }

    /// Bad header size, too many fields or ops, truncation and trailing bytes are errors.
    #[test]
    fn malformed_messages_are_errors() {
        let mut h = vec![
            0x16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert!(Message::decode(&h).is_ok());
        h.push(0);
        assert!(Message::decode(&h).is_err(), "trailing byte");
        h.pop();
        h[0] = 0x15;
        assert!(Message::decode(&h).is_err(), "header size");
        h[0] = 0x16;
        h[18..20].copy_from_slice(&(MAX_FIELDS + 1).to_be_bytes());
        assert!(Message::decode(&h).is_err(), "field count");
        h[18..20].copy_from_slice(&1u16.to_be_bytes());
        assert!(Message::decode(&h).is_err(), "field missing");
        h[18..20].copy_from_slice(&0u16.to_be_bytes());
        h[20..22].copy_from_slice(&(MAX_OPS + 1).to_be_bytes());
        assert!(Message::decode(&h).is_err(), "op count");
        assert!(Message::decode(&h[..10]).is_err(), "truncated header");
    }
}
