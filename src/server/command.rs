//! Routing an `as_msg` (proto type 3) to one dispatch function per command kind. Single-record
//! commands are served (`single`); batch, scan/query streams and UDF calls have their own entry
//! points here, which answer the code docs/serve.md gives until the engine features they need
//! are wired in (the lead wires batch, scans/queries and truncate after merging issue H).
//!
//! Classification follows what the clients send: a batch carries info1 BATCH and a BATCH_INDEX
//! field (C client `aerospike_batch.c:as_batch_header_write_new`); a UDF call carries the UDF
//! fields 30–33; a scan or query has no DIGEST field (it addresses partitions, not a record:
//! `aerospike_scan.c`, Rust `commands/query_command.rs`); everything else is single-record.
//!
//! Invariant: every message gets exactly one answer (a stream kind ends with a LAST message).

use crate::server::{reply, single, Shared};
use crate::wire::field;
use crate::wire::msg::{Message, INFO1_BATCH};
use crate::wire::proto::{frame, TYPE_MSG};
use crate::wire::result::{UDF, UNSUPPORTED_FEATURE};

/// What a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Read, write, operate, touch, delete, exists on one record.
    Single,
    /// Batch index command.
    Batch,
    /// Scan or query stream.
    Stream,
    /// UDF execution (foreground on one record, or background).
    Udf,
}

/// Classify a message.
pub fn classify(msg: &Message) -> Kind {
    if msg.header.info1 & INFO1_BATCH != 0 || msg.field(field::BATCH_INDEX).is_some() {
        Kind::Batch
    } else if msg.field(field::UDF_PACKAGE_NAME).is_some()
        || msg.field(field::UDF_FUNCTION).is_some()
    {
        Kind::Udf
    } else if msg.field(field::DIGEST).is_none() {
        Kind::Stream
    } else {
        Kind::Single
    }
}

/// Answer `msg` into `out`.
pub fn dispatch(msg: &Message, shared: &Shared, out: &mut Vec<u8>) {
    match classify(msg) {
        Kind::Single => single::handle(msg, shared, out),
        Kind::Batch => batch(msg, shared, out),
        Kind::Stream => scan_or_query(msg, shared, out),
        Kind::Udf => udf(msg, shared, out),
    }
}

/// Extension point: batch index commands (rows answered in order, then LAST). Until wired, each
/// row answers UNSUPPORTED_FEATURE under its index, then LAST with 0: the C client 7.x ignores
/// an error on the LAST message, per-row errors reach every client. On one node the client sends
/// every key here, so the row indexes are 0..n (C client `aerospike_batch.c:
/// as_batch_records_write_new`); a row takes at least 25 bytes, which bounds n.
pub fn batch(msg: &Message, _shared: &Shared, out: &mut Vec<u8>) {
    let rows = msg.field(field::BATCH_INDEX).unwrap_or(&[]);
    let n = match rows.get(..4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => 0,
    };
    let n = n.min(u32::try_from(rows.len() / 25).unwrap_or(u32::MAX));
    let mut body = Vec::new();
    for i in 0..n {
        reply::header_only(0, UNSUPPORTED_FEATURE, i).encode(&mut body);
    }
    reply::stream_end_into(0, &mut body);
    out.extend_from_slice(&frame(TYPE_MSG, &body));
}

/// Extension point: scan and primary-index query streams (records, PARTITION_DONE rows, LAST).
/// Until wired: one LAST message with UNSUPPORTED_FEATURE.
pub fn scan_or_query(_msg: &Message, _shared: &Shared, out: &mut Vec<u8>) {
    reply::stream_end(UNSUPPORTED_FEATURE, out);
}

/// UDF execution: aerolite runs no Lua; the answer is AS_ERR_UDF (100), which the clients raise
/// as a UDF error ("UDF execution not supported", docs/serve.md).
pub fn udf(msg: &Message, _shared: &Shared, out: &mut Vec<u8>) {
    if msg.field(field::DIGEST).is_some() {
        reply::code_only(UDF, out);
    } else {
        reply::stream_end(UDF, out);
    }
}
