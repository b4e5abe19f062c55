//! Building answers: an `as_msg` in a type-3 frame carrying a result code, the record's
//! generation and void-time, and its bins as READ ops (server `proto.c:as_msg_make_response_msg`;
//! parsed by C client `as_command.c:as_command_parse_result` and Rust
//! `aerospike-core/src/commands/read_command.rs:parse_record`).
//!
//! Invariant: every request gets exactly one frame here (streams end with a LAST message).

use crate::format::msgpack;
use crate::record::record::Record;
use crate::record::value::Value;
use crate::wire::msg::{Message, MsgHeader, INFO3_LAST};
use crate::wire::op::{Op, READ};
use crate::wire::particle::{self, from_value};
use crate::wire::proto::{frame, TYPE_ADMIN, TYPE_MSG};
use crate::wire::result::ENTERPRISE_ONLY;

/// Security answer of a CE server: AS_SEC_ERR_NOT_SUPPORTED.
pub const SECURITY_NOT_SUPPORTED: u8 = 51;

/// Append `msg` as one type-3 frame.
pub fn push_msg(msg: &Message, out: &mut Vec<u8>) {
    let mut body = Vec::new();
    msg.encode(&mut body);
    out.extend_from_slice(&frame(TYPE_MSG, &body));
}

/// A message of header only: `info3`, result `code`, and `index` in the transaction-TTL slot
/// (a batch row's index).
pub fn header_only(info3: u8, code: u8, index: u32) -> Message {
    Message {
        header: MsgHeader {
            info3,
            result_code: code,
            transaction_ttl: index,
            ..MsgHeader::default()
        },
        ..Message::default()
    }
}

/// A header-only answer with `code`.
pub fn code_only(code: u8, out: &mut Vec<u8>) {
    push_msg(&header_only(0, code, 0), out);
}

/// The last message of a stream (batch, scan, query) with `code`, as its own frame.
pub fn stream_end(code: u8, out: &mut Vec<u8>) {
    let mut body = Vec::new();
    stream_end_into(code, &mut body);
    out.extend_from_slice(&frame(TYPE_MSG, &body));
}

/// The last message of a stream, appended to a frame body being built (rows of a stream share
/// frames, without a proto header per row).
pub fn stream_end_into(code: u8, body: &mut Vec<u8>) {
    header_only(INFO3_LAST, code, 0).encode(body);
}

/// How one operate result entry goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// As its value.
    Plain,
    /// Not sent: a header read inside an operate answers no entry, as the server.
    Skip,
    /// A list of `[key, value]` pairs (return type KEY_VALUE), sent as a map in result order.
    KeyValue,
}

/// A bin (or operate result entry) as a READ op.
pub fn bin_op(name: &str, value: &Value) -> Op {
    let mut bytes = Vec::new();
    let particle = from_value(value, &mut bytes);
    read_op(name, particle, bytes)
}

/// A KEY_VALUE result: `[[k, v], …]` as a map flagged "preserve order"; anything else as is.
fn key_value_op(name: &str, value: &Value) -> Op {
    let pairs: Option<Vec<(&Value, &Value)>> = match value {
        Value::List(l) => l
            .items
            .iter()
            .map(|p| match p {
                Value::List(kv) if kv.items.len() == 2 => Some((&kv.items[0], &kv.items[1])),
                _ => None,
            })
            .collect(),
        _ => None,
    };
    let Some(pairs) = pairs else {
        return bin_op(name, value);
    };
    let mut bytes = Vec::new();
    let n = pairs.len();
    msgpack::encode_map(msgpack::PRESERVE_ORDER, pairs.into_iter(), n, &mut bytes);
    read_op(name, particle::MAP, bytes)
}

fn read_op(name: &str, particle: u8, value: Vec<u8>) -> Op {
    Op {
        op: READ,
        particle,
        name: name.as_bytes().to_vec(),
        value,
    }
}

/// A successful answer: result 0, the record's generation and void-time, and its entries;
/// `shapes` (one per op) applies when there is one entry per op (respond-all-ops).
pub fn record(rec: &Record, shapes: &[Entry], out: &mut Vec<u8>) {
    push_msg(&record_msg(rec, shapes, 0), out);
}

/// The message of a successful answer, with `index` in the transaction-TTL slot (a batch row's
/// index; 0 for a single-record answer).
pub fn record_msg(rec: &Record, shapes: &[Entry], index: u32) -> Message {
    let aligned = shapes.len() == rec.bins.len();
    let ops = rec
        .bins
        .iter()
        .enumerate()
        .filter_map(|(i, (n, v))| match shapes.get(i).filter(|_| aligned) {
            Some(Entry::Skip) => None,
            Some(Entry::KeyValue) => Some(key_value_op(n, v)),
            _ => Some(bin_op(n, v)),
        })
        .collect();
    Message {
        header: MsgHeader {
            generation: rec.generation,
            record_ttl: rec.expiration,
            transaction_ttl: index,
            ..MsgHeader::default()
        },
        fields: Vec::new(),
        ops,
    }
}

/// Type 4: the CE server refuses compressed requests with 25 (server `proto_ce.c:
/// as_proto_uncompress`).
pub fn compressed_refused(out: &mut Vec<u8>) {
    code_only(ENTERPRISE_ONLY, out);
}

/// Type 2 (login, user admin): CE has no security; the 16-byte admin header carries the result
/// code in its second byte (Rust `aerospike-core/src/commands/admin_command.rs`, RESULT_CODE 9
/// counted from the frame start).
pub fn security_not_supported(out: &mut Vec<u8>) {
    let mut body = [0u8; 16];
    body[1] = SECURITY_NOT_SUPPORTED;
    out.extend_from_slice(&frame(TYPE_ADMIN, &body));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// wire-protocol.md §1.9: the answer for `{"a": 1}` at generation 1 is a 39-byte body whose
    /// one op is `00 00 00 0d 01 01 00 01 61 …01`.
    #[test]
    fn record_reply_bytes() {
        let mut rec = Record::default();
        rec.bins.push("a", Value::Int(1));
        rec.generation = 1;
        rec.expiration = 0x0102_0304;
        let mut out = Vec::new();
        record(&rec, &[], &mut out);
        assert_eq!(out[..8], [2, 3, 0, 0, 0, 0, 0, 39]);
        assert_eq!(out[8..14], [22, 0, 0, 0, 0, 0]);
        assert_eq!(out[14..18], [0, 0, 0, 1], "generation");
        assert_eq!(out[18..22], [1, 2, 3, 4], "void-time");
        assert_eq!(out[26..30], [0, 0, 0, 1], "no fields, one op");
        assert_eq!(out[30..39], [0, 0, 0, 0x0d, 1, 1, 0, 1, b'a']);
        assert_eq!(out.len(), 8 + 39);
    }
}
