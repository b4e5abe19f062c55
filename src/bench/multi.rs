//! Multi-record workloads: `scan` (every thread scans its share of the 4096 partitions, again
//! and again; an op is one record returned, so ops/s is records/s) and `batch` (each op is a
//! batch read of [`BATCH_KEYS`] keys chosen by the key distribution; latencies are per batch).
//! Both are bounded by the phase's duration or op budget like the other workloads.

use crate::bench::keys::KeyChooser;
use crate::bench::target::{BenchTarget, OpResult};
use crate::bench::workload::{PhaseResult, PhaseSpec, Workload};
use crate::record::key::PARTITIONS;
use crate::{BatchOperation, BatchPolicy, BatchReadPolicy, Bins, Database, Key, Value};
use crate::{PartitionFilter, QueryPolicy, Statement};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// Keys per batch of the `batch` workload.
pub const BATCH_KEYS: usize = 64;

/// The partition range `[begin, end)` of share `share` of `shares`.
pub fn share_range(share: usize, shares: usize) -> (usize, usize) {
    let shares = shares.max(1);
    (
        share * PARTITIONS / shares,
        (share + 1) * PARTITIONS / shares,
    )
}

/// aerolite's scan of one share: (records, value bytes).
pub fn aerolite_scan(
    db: &Database,
    namespace: &str,
    bin: &str,
    share: usize,
    shares: usize,
) -> OpResult<(u64, u64)> {
    let (begin, end) = share_range(share, shares);
    if begin == end {
        return Ok((0, 0));
    }
    let rs = db
        .query(
            &QueryPolicy::default(),
            PartitionFilter::by_range(begin, end - begin),
            Statement::new(namespace, "", Bins::All),
        )
        .map_err(|e| e.to_string())?;
    let (mut n, mut bytes) = (0u64, 0u64);
    for r in rs {
        let (_, rec) = r.map_err(|e| e.to_string())?;
        n += 1;
        if let Some(Value::Blob(b)) = rec.bin(bin) {
            bytes += b.len() as u64;
        }
    }
    Ok((n, bytes))
}

/// aerolite's batch read of `keys`: value bytes read.
pub fn aerolite_batch(db: &Database, keys: &[Key], bin: &str) -> OpResult<usize> {
    let rp = BatchReadPolicy::default();
    let mut ops: Vec<BatchOperation> = keys
        .iter()
        .map(|k| BatchOperation::read(&rp, k.clone(), Bins::All))
        .collect();
    db.batch(&BatchPolicy::default(), &mut ops)
        .map_err(|e| e.to_string())?;
    let mut bytes = 0;
    for op in &ops {
        match op.record().and_then(|rec| rec.bin(bin)) {
            Some(Value::Blob(b)) => bytes += b.len(),
            _ => {
                let detail = op.batch_record().map_or("not run", |r| r.detail.as_str());
                return Err(format!("batch read of {:?}: {detail}", op.key));
            }
        }
    }
    Ok(bytes)
}

/// One worker of a `scan` or `batch` phase.
pub(crate) fn multi_worker(
    target: &dyn BenchTarget,
    spec: &PhaseSpec,
    share: usize,
    keys: &mut KeyChooser,
    done: &AtomicU64,
    stop: &AtomicBool,
) -> PhaseResult {
    let mut r = PhaseResult::default();
    while !stop.load(Ordering::Relaxed) && spec.ops.is_none_or(|b| done.load(Ordering::Relaxed) < b)
    {
        let t0 = Instant::now();
        let outcome = if spec.workload == Workload::Scan {
            target.scan_share(share, spec.threads)
        } else {
            let ks: Vec<u64> = (0..BATCH_KEYS).map(|_| keys.next_key()).collect();
            target.read_batch(&ks).map(|b| (1, b as u64))
        };
        match outcome {
            Ok((n, bytes)) => {
                r.reads.record(t0.elapsed());
                r.ops += n;
                r.bytes_read += bytes;
                done.fetch_add(n, Ordering::Relaxed);
            }
            Err(e) => {
                r.ops += 1;
                r.fail(e);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    r
}
