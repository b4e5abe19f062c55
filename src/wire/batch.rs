//! The BATCH_INDEX field (41) of a batch command: `u32 n_rows`, `u8 flags`, then the rows
//! (C client `aerospike_batch.c:as_batch_records_write_new`, Rust `aerospike-core/src/commands/
//! buffer.rs:set_batch_operate`; server `batch.c:as_batch_queue_task`). A row is `u32 index`,
//! 20-byte digest, `u8 row_flags`; REPEAT (0x01) reuses the previous row's namespace, set,
//! attributes and ops; otherwise `info1`, [`info2 info3` if 0x02], [`info4` if 0x10],
//! [`u16 generation` if 0x04], [`u32 record_ttl` if 0x08], `u16 n_fields`, `u16 n_ops`, fields
//! (namespace, set, then KEY / FILTER / transaction fields) and ops.
//!
//! Each row decodes to a single-record `Message` (header bits, fields with the row's DIGEST
//! added, ops), so a batch row is served by the same mapping as a single-record command.
//!
//! Invariants: never panics; the row count is bounded by the bytes left (a row takes at least
//! 25 bytes) and by [`MAX_ROWS`]; a REPEAT row never comes first.

use crate::error::Error;
use crate::format::particle::Reader;
use crate::wire::field::{Field, DIGEST};
use crate::wire::msg::{Message, MsgHeader};
use crate::wire::op::Op;
use crate::wire::{be_u16, be_u32, byte, malformed, take, MAX_FIELDS, MAX_OPS};

/// Most rows in one batch (the server's default `batch-max-requests` is 5000; clients split
/// larger batches per node, so more than this is refused with 4).
pub const MAX_ROWS: u32 = 100_000;

const REPEAT: u8 = 0x01;
const HAS_INFO: u8 = 0x02;
const HAS_GENERATION: u8 = 0x04;
const HAS_TTL: u8 = 0x08;
const HAS_INFO4: u8 = 0x10;

/// One row: its index in the caller's array and the command it stands for.
#[derive(Debug, Clone)]
pub struct Row {
    /// Echoed in the row's answer (transaction-TTL slot).
    pub index: u32,
    /// The row as a single-record message (DIGEST field included).
    pub msg: Message,
}

/// Decode the BATCH_INDEX field.
pub fn decode(field: &[u8]) -> Result<Vec<Row>, Error> {
    let mut r = Reader::new(field);
    let n = be_u32(&mut r, "batch row count")?;
    byte(&mut r, "batch flags")?;
    if n > MAX_ROWS || n as usize > r.remaining() / 25 {
        return Err(malformed(format!(
            "{n} batch rows in {} bytes (at most {MAX_ROWS})",
            r.remaining()
        )));
    }
    let mut rows: Vec<Row> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let index = be_u32(&mut r, "batch row index")?;
        let digest = take(&mut r, 20, "batch row digest")?;
        let flags = byte(&mut r, "batch row flags")?;
        let mut msg = if flags & REPEAT != 0 {
            let Some(prev) = rows.last() else {
                return Err(malformed("the first batch row is a REPEAT row"));
            };
            prev.msg.clone()
        } else {
            row_message(&mut r, flags)?
        };
        msg.fields.retain(|f| f.kind != DIGEST);
        msg.fields.push(Field::new(DIGEST, digest));
        rows.push(Row { index, msg });
    }
    assert_eq!(rows.len(), n as usize, "one decoded row per counted row");
    assert!(
        rows.iter().all(|row| row.msg.field(DIGEST).is_some()),
        "every row carries its digest"
    );
    if r.remaining() != 0 {
        return Err(malformed(format!(
            "{} bytes after the batch rows",
            r.remaining()
        )));
    }
    Ok(rows)
}

/// A full row after its flags byte.
fn row_message(r: &mut Reader<'_>, flags: u8) -> Result<Message, Error> {
    let mut h = MsgHeader {
        info1: byte(r, "batch row info1")?,
        ..MsgHeader::default()
    };
    if flags & HAS_INFO != 0 {
        h.info2 = byte(r, "batch row info2")?;
        h.info3 = byte(r, "batch row info3")?;
    }
    if flags & HAS_INFO4 != 0 {
        h.info4 = byte(r, "batch row info4")?;
    }
    if flags & HAS_GENERATION != 0 {
        h.generation = u32::from(be_u16(r, "batch row generation")?);
    }
    if flags & HAS_TTL != 0 {
        h.record_ttl = be_u32(r, "batch row ttl")?;
    }
    let n_fields = be_u16(r, "batch row field count")?;
    let n_ops = be_u16(r, "batch row op count")?;
    if n_fields > MAX_FIELDS || n_ops > MAX_OPS {
        return Err(malformed(format!(
            "batch row with {n_fields} fields and {n_ops} ops"
        )));
    }
    let fields = (0..n_fields)
        .map(|_| Field::decode(r))
        .collect::<Result<Vec<_>, _>>()?;
    let ops = (0..n_ops)
        .map(|_| Op::decode(r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Message {
        header: h,
        fields,
        ops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::field::NAMESPACE;

    fn row_bytes(out: &mut Vec<u8>, index: u32, d: u8, repeat: bool) {
        out.extend_from_slice(&index.to_be_bytes());
        out.extend_from_slice(&[d; 20]);
        if repeat {
            out.push(REPEAT);
            return;
        }
        out.extend_from_slice(&[HAS_INFO | HAS_TTL, 0x03, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0, 1, 0, 0]);
        Field::new(NAMESPACE, b"test").encode(out);
    }

    #[test]
    fn rows_and_repeats_decode_with_their_digests() {
        let mut b = vec![0, 0, 0, 2, 0x08];
        row_bytes(&mut b, 0, 1, false);
        row_bytes(&mut b, 1, 2, true);
        let rows = decode(&b).expect("decodes");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].index, 1);
        assert_eq!(rows[1].msg.field(NAMESPACE), Some(&b"test"[..]));
        assert_eq!(rows[1].msg.field(DIGEST), Some(&[2u8; 20][..]));
        assert_eq!(rows[0].msg.header.info1, 0x03);
    }

    #[test]
    fn bad_rows_are_errors() {
        let mut b = vec![0, 0, 0, 1, 0x08];
        row_bytes(&mut b, 0, 1, true);
        assert!(decode(&b).is_err(), "REPEAT first");
        assert!(
            decode(&[0xff, 0xff, 0xff, 0xff, 8]).is_err(),
            "count beyond bytes"
        );
        let mut b = vec![0, 0, 0, 1, 0x08];
        row_bytes(&mut b, 0, 1, false);
        b.truncate(b.len() - 2);
        assert!(decode(&b).is_err(), "truncated");
    }
}
