//! Scan and primary-index query streams onto `Database::query` (docs/multi-record.md SCAN-*):
//! the request's NAMESPACE, SET, PID_ARRAY (u16 LE ids), DIGEST_ARRAY (resume points: each
//! digest's partition resumes after it), MAX_RECORDS, RPS, FILTER and bin-name READ ops become
//! a `QueryPolicy`, `PartitionFilter` and `Statement` (C client `aerospike_scan.c`, Rust
//! `aerospike-core/src/commands/buffer.rs:set_query`). The answer is one row per record
//! (fields NAMESPACE, DIGEST, SET, KEY when stored; bins as READ ops), a PARTITION_DONE row
//! (info3 0x04, generation = partition id, result 0) for every partition read to its end, then
//! LAST (server `proto.c:as_msg_make_response_bufbuilder`, `as_msg_pid_done_bufbuilder`).
//! Partitions cut short by `max_records` get no done row: the client resumes them from the last
//! digest it received.
//!
//! A background query (info2 WRITE with ops) is `Database::query_operate`, run to completion
//! before LAST (with 0 or the task's error code).
//!
//! A secondary-index query (an INDEX_RANGE field) is the same with the statement's filter set
//! (`server::sindex::filter`, docs/sindex.md SIDX-QUERY-1). A query whose records fail to read ends with LAST carrying that
//! record's code. Rows are written to the socket in frames of about 1 MiB as the query produces
//! them (issue 15 point 5), so a scan holds at most one frame of its answer.
//!
//! Invariants: every request gets exactly one LAST message, after every record and done row
//! (unless the socket fails first, which ends the connection); at most one frame of rows is
//! held in memory.

use crate::engine::read::Bins;
use crate::error::{err, Result, ResultCode};
use crate::policy::WritePolicy;
use crate::query::{PartitionFilter, PartitionStatus, QueryPolicy, Statement};
use crate::record::key::{Digest, Key, PARTITIONS};
use crate::record::record::Record;
use crate::server::reply;
use crate::server::single::{filter, ops, timeout, write_policy};
use crate::server::{sindex, Shared};
use crate::wire::field::{self, Field};
use crate::wire::msg::{Message, MsgHeader, INFO1_NOBINDATA, INFO2_WRITE, INFO3_PARTITION_DONE};
use crate::wire::op::READ;
use crate::wire::particle::from_value;
use crate::wire::proto::{frame, TYPE_MSG};
use crate::wire::result::wire_code;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Answer rows are flushed as a frame once the body grows past this many bytes.
const FRAME_FLUSH_BYTES: usize = 1 << 20;

/// Answer one scan or query into `sink`: full frames (about `FRAME_FLUSH_BYTES` of rows) are
/// written as the query produces them, so memory stays bounded however many records it
/// returns. A write error stops the query and is returned (the caller closes the connection).
pub fn handle(msg: &Message, shared: &Shared, sink: &mut dyn Write) -> io::Result<()> {
    // Rows share frames; LAST ends the last frame.
    let mut body = Vec::new();
    let outcome = match request(msg, shared) {
        Err(e) => Err(e),
        Ok((_, pf, st)) if msg.header.info2 & INFO2_WRITE != 0 => background(msg, shared, pf, st),
        Ok((p, pf, st)) => run(shared, &p, pf, st, sink, &mut body)?,
    };
    let code = outcome.map_or_else(|e| wire_code(e.code()), |()| 0);
    reply::stream_end_into(code, &mut body);
    sink.write_all(&frame(TYPE_MSG, &body))
}

/// The query a message asks for.
fn request(msg: &Message, shared: &Shared) -> Result<(QueryPolicy, PartitionFilter, Statement)> {
    let text = |kind: u8| -> Result<String> {
        String::from_utf8(msg.field(kind).unwrap_or(&[]).to_vec())
            .or_else(|_| err(ResultCode::ParameterError, "namespace or set is not UTF-8"))
    };
    let ns = text(field::NAMESPACE)?;
    let set = text(field::SET)?;
    let names = msg
        .ops
        .iter()
        .filter(|o| o.op == READ && !o.name.is_empty())
        .map(|o| String::from_utf8_lossy(&o.name).into_owned())
        .collect::<Vec<_>>();
    let nobins = msg.header.info1 & INFO1_NOBINDATA != 0;
    let bins = match (nobins, names.is_empty()) {
        (true, _) => Bins::None,
        (false, true) => Bins::All,
        (false, false) => Bins::Some(names),
    };
    let max_records = match msg.field(field::MAX_RECORDS).map(<[u8; 8]>::try_from) {
        Some(Ok(b)) => u64::from_be_bytes(b),
        Some(Err(_)) => return err(ResultCode::ParameterError, "MAX_RECORDS is not 8 bytes"),
        None => 0,
    };
    let rps = match msg.field(field::RPS).map(<[u8; 4]>::try_from) {
        Some(Ok(b)) => u32::from_be_bytes(b),
        _ => 0,
    };
    let policy = QueryPolicy {
        max_records,
        records_per_second: rps,
        include_bin_data: !nobins,
        filter_expression: filter(msg)?,
        total_timeout: timeout(msg.header.transaction_ttl),
    };
    let mut st = Statement::new(&ns, &set, bins);
    st.filter = sindex::filter(msg, shared, &ns)?;
    Ok((policy, partitions(msg)?, st))
}

/// The partitions of PID_ARRAY and DIGEST_ARRAY (every partition when neither is sent).
fn partitions(msg: &Message) -> Result<PartitionFilter> {
    let pids = msg.field(field::PID_ARRAY).unwrap_or(&[]);
    let digests = msg.field(field::DIGEST_ARRAY).unwrap_or(&[]);
    if !pids.len().is_multiple_of(2) || !digests.len().is_multiple_of(20) {
        return err(
            ResultCode::ParameterError,
            "PID_ARRAY must hold u16 ids, DIGEST_ARRAY 20-byte digests",
        );
    }
    let mut by_id: BTreeMap<u16, Option<Digest>> = BTreeMap::new();
    for p in pids.chunks_exact(2) {
        by_id.insert(u16::from_le_bytes([p[0], p[1]]), None);
    }
    for d in digests.chunks_exact(20) {
        let mut digest = Digest([0u8; 20]);
        digest.0.copy_from_slice(d);
        by_id.insert(digest.partition_id(), Some(digest));
    }
    let (Some((&first, _)), Some((&last, _))) = (by_id.first_key_value(), by_id.last_key_value())
    else {
        return Ok(PartitionFilter::all());
    };
    if usize::from(last) >= PARTITIONS {
        return err(ResultCode::ParameterError, "partition id above 4095");
    }
    let mut pf = PartitionFilter::by_range(usize::from(first), usize::from(last - first) + 1);
    pf.partitions = by_id
        .into_iter()
        .map(|(id, digest)| PartitionStatus {
            id,
            digest,
            bval: None,
            retry: true,
        })
        .collect();
    assert!(
        pf.partitions.windows(2).all(|w| w[0].id < w[1].id),
        "partition ids distinct and increasing"
    );
    Ok(pf)
}

/// A background query (`query_operate`): run it to completion; the caller answers LAST.
fn background(msg: &Message, shared: &Shared, pf: PartitionFilter, st: Statement) -> Result<()> {
    let policy = WritePolicy {
        filter_expression: filter(msg)?,
        ..write_policy(msg)
    };
    let (ops, _) = ops(msg)?;
    let task = shared.db.query_operate(&policy, pf, st, &ops)?;
    task.wait().map(|_| ())
}

/// The record rows, then the done rows, into `body`; each full frame is written to `sink` at
/// once (the caller ends `body` with LAST). The outer error is the socket's, the inner one the
/// query's.
fn run(
    shared: &Shared,
    policy: &QueryPolicy,
    pf: PartitionFilter,
    st: Statement,
    sink: &mut dyn Write,
    body: &mut Vec<u8>,
) -> io::Result<Result<()>> {
    let mut rs = match shared.db.query(policy, pf, st) {
        Ok(rs) => rs,
        Err(e) => return Ok(Err(e)),
    };
    // A throttled query (records per second) sends each row at once: at a few rows a second a
    // 1 MiB frame would keep the client waiting past its socket timeout.
    let flush_bytes = match policy.records_per_second {
        0 => FRAME_FLUSH_BYTES,
        _ => 1,
    };
    let mut failure = None;
    for r in rs.by_ref() {
        match r {
            Ok((key, rec)) => record_row(&key, &rec).encode(body),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
        if body.len() >= flush_bytes {
            sink.write_all(&frame(TYPE_MSG, body))?;
            body.clear();
        }
        assert!(body.len() < flush_bytes, "at most one frame is held");
    }
    for p in rs.partition_filter().partitions.iter().filter(|p| !p.retry) {
        let mut done = reply::header_only(INFO3_PARTITION_DONE, 0, 0);
        done.header.generation = u32::from(p.id);
        done.encode(body);
    }
    Ok(failure.map_or(Ok(()), Err))
}

/// A record row: its key fields and bins.
fn record_row(key: &Key, rec: &Record) -> Message {
    let mut fields = vec![
        Field::new(field::NAMESPACE, key.namespace.as_bytes()),
        Field::new(field::DIGEST, &key.digest.0),
    ];
    if !key.set_name.is_empty() {
        fields.push(Field::new(field::SET, key.set_name.as_bytes()));
    }
    if let Some(v) = &key.user_key {
        let mut bytes = Vec::new();
        let particle = from_value(v, &mut bytes);
        let mut data = Vec::with_capacity(1 + bytes.len());
        data.push(particle);
        data.extend_from_slice(&bytes);
        fields.push(Field::new(field::KEY, &data));
    }
    Message {
        header: MsgHeader {
            generation: rec.generation,
            record_ttl: rec.expiration,
            ..MsgHeader::default()
        },
        fields,
        ops: rec.bins.iter().map(|(n, v)| reply::bin_op(n, v)).collect(),
    }
}
