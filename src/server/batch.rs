//! Batch index commands onto `Database::batch`: each BATCH_INDEX row (decoded by `wire::batch`
//! into a single-record message) becomes a `BatchOperation` through the single-record mapping
//! (`single::request`), the batch runs in row order, and every row is answered under its index
//! with its own result code, generation, void-time and bins, then a LAST message with 0 (server
//! `batch.c:as_batch_add_result`; C client `aerospike_batch.c:as_batch_parse_records`).
//!
//! A row that does not map (bad key, bad op) answers its own code and does not run; a batch
//! whose BATCH_INDEX field does not decode, or whose FILTER does not decode, answers only a LAST
//! message with the code (4). The wire has no in-doubt flag: the client marks a write row in
//! doubt only when the batch itself times out or loses its connection, as against Aerospike.
//!
//! Invariant: exactly one answer row per request row, in request order, then LAST.

use crate::batch::{BatchOperation, BatchPolicy, BatchRecord};
use crate::error::{Error, Result, ResultCode};
use crate::server::reply::{self, Entry};
use crate::server::single::{self, Request};
use crate::server::Shared;
use crate::wire::msg::Message;
use crate::wire::proto::{frame, TYPE_MSG};
use crate::wire::result::wire_code;
use crate::wire::{batch as wbatch, field};

/// Answer rows are flushed as a frame once the body grows past this many bytes.
const FRAME_FLUSH_BYTES: usize = 1 << 20;

/// Answer one batch command.
pub fn handle(msg: &Message, shared: &Shared, out: &mut Vec<u8>) {
    match run(msg, shared) {
        Ok(rows) => answer(&rows, out),
        Err(e) => reply::stream_end(wire_code(e.code()), out),
    }
}

/// A row mapped to its batch entry (or why it could not be).
type Mapped = std::result::Result<(BatchOperation, Vec<Entry>), Error>;

/// One row's outcome: its index, and the record with its entry shapes or the error.
struct Answered {
    index: u32,
    outcome: std::result::Result<(crate::record::record::Record, Vec<Entry>), Error>,
}

fn run(msg: &Message, shared: &Shared) -> Result<Vec<Answered>> {
    let rows = wbatch::decode(msg.field(field::BATCH_INDEX).unwrap_or(&[]))?;
    let policy = BatchPolicy {
        filter_expression: single::filter(msg)?,
        total_timeout: single::timeout(msg.header.transaction_ttl),
    };
    let mut mapped: Vec<(u32, Mapped)> = Vec::with_capacity(rows.len());
    for row in &rows {
        mapped.push((row.index, single::request(&row.msg).map(to_batch)));
    }
    let mut ops: Vec<BatchOperation> = mapped
        .iter()
        .filter_map(|(_, m)| m.as_ref().ok().map(|(op, _)| op.clone()))
        .collect();
    shared.db.batch(&policy, &mut ops)?;
    let mut results = ops
        .into_iter()
        .map(BatchOperation::into_batch_record)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| Error::new(ResultCode::ServerError, "a batch entry was not run"))?
        .into_iter();
    let answered = mapped
        .into_iter()
        .map(|(index, m)| Answered {
            index,
            outcome: m.and_then(|(_, shapes)| match results.next() {
                Some(r) => outcome(r, shapes),
                None => Err(Error::new(
                    ResultCode::ServerError,
                    "batch answered fewer rows than it was given",
                )),
            }),
        })
        .collect::<Vec<_>>();
    assert!(results.next().is_none(), "one batch result per mapped row");
    Ok(answered)
}

fn outcome(
    r: BatchRecord,
    shapes: Vec<Entry>,
) -> std::result::Result<(crate::record::record::Record, Vec<Entry>), Error> {
    if r.result_code == ResultCode::Ok {
        return Ok((r.record.unwrap_or_default(), shapes));
    }
    Err(Error::new(r.result_code, r.detail))
}

/// The batch entry a single-record request stands for.
fn to_batch(req: (Request, Vec<Entry>)) -> (BatchOperation, Vec<Entry>) {
    let (req, shapes) = req;
    let op = match req {
        Request::Get(key, policy, bins) => {
            BatchOperation::read(&single::batch_read_policy(&policy), key, bins)
        }
        Request::ReadOps(key, policy, ops, _) => {
            BatchOperation::read_ops(&single::batch_read_policy(&policy), key, ops)
        }
        Request::Write(key, policy, ops) => {
            BatchOperation::write(&single::batch_write_policy(&policy), key, ops)
        }
        Request::Delete(key, policy) => {
            BatchOperation::delete(&single::batch_delete_policy(&policy), key)
        }
    };
    (op, shapes)
}

fn answer(rows: &[Answered], out: &mut Vec<u8>) {
    let start = out.len();
    let mut body = Vec::new();
    for row in rows {
        match &row.outcome {
            Ok((rec, shapes)) => reply::record_msg(rec, shapes, row.index).encode(&mut body),
            Err(e) => reply::header_only(0, wire_code(e.code()), row.index).encode(&mut body),
        }
        if body.len() >= FRAME_FLUSH_BYTES {
            out.extend_from_slice(&frame(TYPE_MSG, &body));
            body.clear();
        }
    }
    reply::stream_end_into(0, &mut body);
    out.extend_from_slice(&frame(TYPE_MSG, &body));
    assert!(
        out.len() > start,
        "a batch always answers at least its LAST message"
    );
}
