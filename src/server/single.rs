//! Single-record commands onto the `Database` API: get / select / exists / header-only reads,
//! put, operate (read and write), touch, delete, with the header's generation and exists bits,
//! TTL encodings, send-key, durable delete and respond-all-ops (C client `as_command.c:
//! as_command_write_header_write`, `aerospike_key.c`; Rust `commands/buffer.rs`).
//!
//! Mapping decisions (docs/serve.md): a request TTL of 0 is the namespace default, 0xFFFFFFFF
//! never expires, 0xFFFFFFFE leaves the void-time unchanged, anything else is seconds; a read's
//! `record_ttl` is its read-touch percent; the reply carries the void-time (seconds since 2010,
//! 0 = never) as the server does. A KEY field must hash to the DIGEST sent (else 4); it is
//! stored (send-key). A FILTER field is the request policy's filter expression; expression ops
//! (7, 8) are `read_exp` / `write_exp`; bit and HLL ops answer 16 (not in aerolite's engine).
//!
//! Invariant: every failure is answered with its result code; nothing here panics on input.

use crate::batch::{BatchDeletePolicy, BatchReadPolicy, BatchWritePolicy};
use crate::database::Database;
use crate::engine::read::Bins;
use crate::error::{err, Result, ResultCode};
use crate::expressions::Expression;
use crate::ops::operation::exp::{read_exp, write_exp};
use crate::ops::Operation;
use crate::policy::{
    CommitLevel, Expiration, GenerationPolicy, ReadPolicy, RecordExistsAction, WritePolicy,
};
use crate::record::bin::Bin;
use crate::record::key::{compute_digest, Key};
use crate::record::record::Record;
use crate::server::reply::{self, Entry};
use crate::server::Shared;
use crate::wire::msg::*;
use crate::wire::op::{self as wop, Op};
use crate::wire::result::wire_code;
use crate::wire::{cdt, exp as wexp, field, particle};
use std::time::Duration;

/// Answer one single-record command.
pub fn handle(msg: &Message, shared: &Shared, out: &mut Vec<u8>) {
    match request(msg).and_then(|(req, shapes)| Ok((run(req, &shared.db)?, shapes))) {
        Ok((rec, shapes)) => reply::record(&rec, &shapes, out),
        Err(e) => reply::code_only(wire_code(e.code()), out),
    }
}

/// A single-record command as a call of the `Database` API (batch rows map through it too).
#[derive(Debug, Clone)]
pub enum Request {
    /// `get` of bins (all, some, or the header only).
    Get(Key, ReadPolicy, Bins),
    /// `operate_read` with respond-all-ops.
    ReadOps(Key, ReadPolicy, Vec<Operation>, bool),
    /// `operate` (a put is WRITE ops only).
    Write(Key, WritePolicy, Vec<Operation>),
    /// `delete` (missing record → 2).
    Delete(Key, WritePolicy),
}

fn run(req: Request, db: &Database) -> Result<Record> {
    match req {
        Request::Get(key, policy, bins) => db.get(&policy, &key, bins),
        Request::ReadOps(key, policy, ops, all) => db.operate_read(&policy, &key, &ops, all),
        Request::Write(key, policy, ops) => db.operate(&policy, &key, &ops),
        Request::Delete(key, policy) => match db.delete(&policy, &key)? {
            true => Ok(Record::default()),
            false => err(ResultCode::KeyNotFoundError, "delete of a missing record"),
        },
    }
}

/// Map a message onto the request it stands for, with the shape of each result entry.
pub fn request(msg: &Message) -> Result<(Request, Vec<Entry>)> {
    let key = key(msg)?;
    let filter_expression = filter(msg)?;
    let h = &msg.header;
    if h.info2 & INFO2_WRITE != 0 {
        let policy = WritePolicy {
            filter_expression,
            ..write_policy(msg)
        };
        if h.info2 & INFO2_DELETE != 0 {
            return Ok((Request::Delete(key, policy), Vec::new()));
        }
        let (ops, shapes) = ops(msg)?;
        Ok((Request::Write(key, policy, ops), shapes))
    } else if h.info1 & INFO1_READ != 0 {
        read(msg, key, filter_expression)
    } else {
        err(
            ResultCode::ParameterError,
            "command is neither a read nor a write (info1/info2 bits)",
        )
    }
}

fn read(msg: &Message, key: Key, filter: Option<Expression>) -> Result<(Request, Vec<Entry>)> {
    let h = &msg.header;
    let policy = ReadPolicy {
        // The wire carries the percent as u32; 0xFFFFFFFF is −1 ("never touch").
        read_touch_ttl_percent: h.record_ttl as i32,
        filter_expression: filter,
        total_timeout: timeout(h.transaction_ttl),
    };
    if msg.ops.is_empty() {
        let bins = if h.info1 & INFO1_NOBINDATA != 0 {
            Bins::None
        } else {
            Bins::All
        };
        return Ok((Request::Get(key, policy, bins), Vec::new()));
    }
    let plain = msg
        .ops
        .iter()
        .all(|o| o.op == wop::READ && !o.name.is_empty());
    if plain {
        let names = msg.ops.iter().map(bin_name).collect::<Result<Vec<_>>>()?;
        return Ok((Request::Get(key, policy, Bins::Some(names)), Vec::new()));
    }
    let (ops, shapes) = ops(msg)?;
    let all = h.info2 & INFO2_RESPOND_ALL_OPS != 0;
    Ok((Request::ReadOps(key, policy, ops, all), shapes))
}

/// The batch read policy of a row's read policy.
pub fn batch_read_policy(p: &ReadPolicy) -> BatchReadPolicy {
    BatchReadPolicy {
        read_touch_ttl_percent: p.read_touch_ttl_percent,
        filter_expression: p.filter_expression.clone(),
    }
}

/// The batch write policy of a row's write policy.
pub fn batch_write_policy(p: &WritePolicy) -> BatchWritePolicy {
    BatchWritePolicy {
        record_exists_action: p.record_exists_action,
        generation_policy: p.generation_policy,
        generation: p.generation,
        expiration: p.expiration,
        durable_delete: p.durable_delete,
        send_key: p.send_key,
        commit_level: p.commit_level,
        respond_all_ops: p.respond_all_ops,
        filter_expression: p.filter_expression.clone(),
    }
}

/// The batch delete policy of a row's write policy.
pub fn batch_delete_policy(p: &WritePolicy) -> BatchDeletePolicy {
    BatchDeletePolicy {
        generation_policy: p.generation_policy,
        generation: p.generation,
        durable_delete: p.durable_delete,
        send_key: p.send_key,
        commit_level: p.commit_level,
        filter_expression: p.filter_expression.clone(),
    }
}

/// The record key: namespace, set, digest, and the user key when sent (send-key).
fn key(msg: &Message) -> Result<Key> {
    let ns = text(msg.field(field::NAMESPACE), "namespace")?;
    let set = text(msg.field(field::SET).or(Some(&[])), "set")?;
    let Some(digest) = msg
        .field(field::DIGEST)
        .and_then(|d| <[u8; 20]>::try_from(d).ok())
    else {
        return err(ResultCode::ParameterError, "DIGEST field is not 20 bytes");
    };
    let mut key = Key::from_digest(&ns, &set, digest);
    if let Some(k) = msg.field(field::KEY) {
        let Some((&t, bytes)) = k.split_first() else {
            return err(ResultCode::ParameterError, "empty KEY field");
        };
        key.user_key = Some(particle::to_value(t, bytes)?);
        match key.user_key_bytes() {
            Some(kb) if compute_digest(&set, kb.type_byte, &kb.bytes) == key.digest => {}
            _ => {
                return err(
                    ResultCode::ParameterError,
                    "KEY field does not hash to the DIGEST sent",
                )
            }
        }
    }
    Ok(key)
}

fn text(b: Option<&[u8]>, what: &str) -> Result<String> {
    match b.map(|b| String::from_utf8(b.to_vec())) {
        Some(Ok(s)) => Ok(s),
        Some(Err(_)) => err(ResultCode::ParameterError, format!("{what} is not UTF-8")),
        None => err(ResultCode::ParameterError, format!("{what} field missing")),
    }
}

/// The FILTER field (43): a msgpack filter expression (docs/expressions.md EXP-WHERE-1); a
/// malformed one is 4 or 16.
pub fn filter(msg: &Message) -> Result<Option<Expression>> {
    msg.field(field::FILTER).map(wexp::filter).transpose()
}

/// A request's `transaction_ttl` (ms) as a deadline; 0 = none.
pub fn timeout(ms: u32) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(u64::from(ms)))
}

/// The request TTL: 0 default, 0xFFFFFFFF never, 0xFFFFFFFE don't update, else seconds.
pub fn expiration(ttl: u32) -> Expiration {
    match ttl {
        0 => Expiration::NamespaceDefault,
        u32::MAX => Expiration::Never,
        0xFFFF_FFFE => Expiration::DontUpdate,
        s => Expiration::Seconds(s),
    }
}

/// The write policy of a message's header bits and fields (filter not included).
pub fn write_policy(msg: &Message) -> WritePolicy {
    let h = &msg.header;
    let record_exists_action = if h.info2 & INFO2_CREATE_ONLY != 0 {
        RecordExistsAction::CreateOnly
    } else if h.info3 & INFO3_UPDATE_ONLY != 0 {
        RecordExistsAction::UpdateOnly
    } else if h.info3 & INFO3_CREATE_OR_REPLACE != 0 {
        RecordExistsAction::Replace
    } else if h.info3 & INFO3_REPLACE_ONLY != 0 {
        RecordExistsAction::ReplaceOnly
    } else {
        RecordExistsAction::Update
    };
    let generation_policy = if h.info2 & INFO2_GENERATION != 0 {
        GenerationPolicy::ExpectGenEqual
    } else if h.info2 & INFO2_GENERATION_GT != 0 {
        GenerationPolicy::ExpectGenGt
    } else {
        GenerationPolicy::None
    };
    WritePolicy {
        record_exists_action,
        generation_policy,
        generation: h.generation,
        expiration: expiration(h.record_ttl),
        commit_level: if h.info3 & INFO3_COMMIT_MASTER != 0 {
            CommitLevel::CommitMaster
        } else {
            CommitLevel::CommitAll
        },
        durable_delete: h.info2 & INFO2_DURABLE_DELETE != 0,
        send_key: msg.field(field::KEY).is_some(),
        respond_all_ops: h.info2 & INFO2_RESPOND_ALL_OPS != 0,
        filter_expression: None,
        total_timeout: timeout(h.transaction_ttl),
        max_retries: 0,
        sleep_between_retries: Duration::ZERO,
    }
}

fn bin_name(op: &Op) -> Result<String> {
    String::from_utf8(op.name.clone())
        .or_else(|_| err(ResultCode::ParameterError, "bin name is not UTF-8"))
}

/// The engine ops, and how each one's result entry goes on the wire.
pub fn ops(msg: &Message) -> Result<(Vec<Operation>, Vec<Entry>)> {
    let header_only = msg.header.info1 & INFO1_NOBINDATA != 0;
    let mut ops = Vec::with_capacity(msg.ops.len());
    let mut shapes = Vec::with_capacity(msg.ops.len());
    for o in &msg.ops {
        let (op, shape) = operation(o, header_only)?;
        ops.push(op);
        shapes.push(shape);
    }
    Ok((ops, shapes))
}

/// One wire op as an engine op with the shape of its result entry.
fn operation(o: &Op, header_only: bool) -> Result<(Operation, Entry)> {
    if matches!(o.op, wop::CDT_READ | wop::CDT_MODIFY) {
        let (cdt, key_value) = cdt::decode_with_shape(&bin_name(o)?, &o.value)?;
        let shape = if key_value {
            Entry::KeyValue
        } else {
            Entry::Plain
        };
        return Ok((Operation::Cdt(cdt), shape));
    }
    if o.op == wop::READ && o.name.is_empty() && header_only {
        return Ok((Operation::ReadHeader, Entry::Skip));
    }
    Ok((scalar_operation(o)?, Entry::Plain))
}

/// A non-CDT wire op as an engine op.
fn scalar_operation(o: &Op) -> Result<Operation> {
    let bin = || -> Result<Bin> {
        Ok(Bin {
            name: bin_name(o)?,
            value: particle::to_value(o.particle, &o.value)?,
        })
    };
    Ok(match o.op {
        wop::READ if o.name.is_empty() => Operation::ReadAll,
        wop::READ => Operation::Read(bin_name(o)?),
        wop::WRITE => Operation::Write(bin()?),
        wop::INCR => Operation::Add(bin()?),
        wop::APPEND => Operation::Append(bin()?),
        wop::PREPEND => Operation::Prepend(bin()?),
        wop::TOUCH => Operation::Touch,
        wop::DELETE_ALL => Operation::DeleteAll,
        wop::EXP_READ | wop::EXP_MODIFY => return exp_op(o),
        wop::BITS_READ | wop::BITS_MODIFY | wop::HLL_READ | wop::HLL_MODIFY => {
            return err(
                ResultCode::UnsupportedFeature,
                format!("op {} (bit / HLL) is not supported by aerolite", o.op),
            )
        }
        other => {
            return err(
                ResultCode::ParameterError,
                format!("unknown op code {other}"),
            )
        }
    })
}

/// An expression op: EXP_READ puts the value under the op's name, EXP_MODIFY stores it in the
/// op's bin (docs/expressions.md EXP-OP-*).
fn exp_op(o: &Op) -> Result<Operation> {
    let (exp, flags) = wexp::op_payload(&o.value)?;
    let name = bin_name(o)?;
    Ok(match o.op {
        wop::EXP_READ => read_exp(&name, &exp, flags),
        _ => write_exp(&name, &exp, flags),
    })
}
