//! Routing an `as_msg` (proto type 3) to one dispatch function per command kind: single-record
//! commands (`single`), batch index commands (`batch`), scan / query streams (`stream`); UDF
//! calls answer 100 here (aerolite runs no Lua).
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
use crate::wire::result::UDF;

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
        Kind::Batch => crate::server::batch::handle(msg, shared, out),
        // Writing to a Vec cannot fail.
        Kind::Stream => {
            let _ = crate::server::stream::handle(msg, shared, out);
        }
        Kind::Udf => udf(msg, shared, out),
    }
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
