//! Running a batch: prefetch every read entry's image (one `Storage::read_many` per namespace),
//! then run the entries in order on the single-record paths (BATCH-ORDER-1).

use crate::batch::policy::{BatchPolicy, BatchReadPolicy};
use crate::batch::{BatchOperation, BatchOperationKind};
use crate::engine::read::{Prefetched, ReadKind};
use crate::engine::Namespace;
use crate::error::{err, Error, Result, ResultCode};
use crate::ops::Operation;
use crate::record::key::Key;
use crate::record::record::Record;
use std::sync::Arc;

/// The namespace of each entry's key (or the lookup's error).
pub(crate) type Resolve<'a> = dyn Fn(&Key) -> Result<Arc<Namespace>> + 'a;

/// One result per entry, in entry order: reads and writes return their record, deletes an
/// empty record; failed writes and deletes carry their in-doubt flag.
pub(crate) fn run(
    resolve: &Resolve<'_>,
    policy: &BatchPolicy,
    ops: &[BatchOperation],
) -> Vec<Result<Record>> {
    let nss: Vec<Result<Arc<Namespace>>> = ops.iter().map(|o| resolve(&o.key)).collect();
    let pre = prefetch_reads(ops, &nss);
    let default_read = BatchReadPolicy::default();
    let out: Vec<Result<Record>> = ops
        .iter()
        .zip(nss)
        .zip(pre)
        .map(|((op, ns), pre)| {
            let ns = ns?;
            let rp = op.read_policy.as_ref().unwrap_or(&default_read);
            match &op.kind {
                BatchOperationKind::Read(bins) => {
                    ns.read_prefetched(&rp.to_read(policy), &op.key, ReadKind::Bins(bins), &pre)
                }
                BatchOperationKind::ReadOps(ops) => read_ops(&ns, &rp.to_read(policy), op, ops),
                BatchOperationKind::Write(ops) => {
                    let wp = op.write_policy.clone().unwrap_or_default().to_write(policy);
                    with_in_doubt(ns.write(&wp, &op.key, ops))
                }
                BatchOperationKind::Delete => {
                    let wp = op
                        .delete_policy
                        .clone()
                        .unwrap_or_default()
                        .to_write(policy);
                    with_in_doubt(ns.delete(&wp, &op.key).map(|()| Record::default()))
                }
            }
        })
        .collect();
    assert_eq!(out.len(), ops.len(), "one result per batch entry");
    out
}

fn read_ops(
    ns: &Namespace,
    rp: &crate::policy::read::ReadPolicy,
    op: &BatchOperation,
    ops: &[Operation],
) -> Result<Record> {
    if ops.iter().any(Operation::is_write) {
        return err(
            ResultCode::ParameterError,
            "BatchOperation::read_ops with a write op; use BatchOperation::write",
        );
    }
    ns.read(rp, &op.key, ReadKind::Ops(ops, false))
}

/// ID-FORMULA for a write sent once.
fn with_in_doubt(r: Result<Record>) -> Result<Record> {
    r.map_err(|e| {
        let d = Error::in_doubt_formula(true, 1, e.code());
        e.with_in_doubt(d)
    })
}

/// Read every `Read` entry's image ahead, one submission per namespace.
fn prefetch_reads(ops: &[BatchOperation], nss: &[Result<Arc<Namespace>>]) -> Vec<Prefetched> {
    let mut pre: Vec<Prefetched> = vec![None; ops.len()];
    let mut groups: Vec<(&Arc<Namespace>, Vec<usize>)> = Vec::new();
    for (i, (op, ns)) in ops.iter().zip(nss).enumerate() {
        let (BatchOperationKind::Read(_), Ok(ns)) = (&op.kind, ns) else {
            continue;
        };
        match groups.iter_mut().find(|(n, _)| Arc::ptr_eq(n, ns)) {
            Some((_, v)) => v.push(i),
            None => groups.push((ns, vec![i])),
        }
    }
    for (ns, idx) in groups {
        let keys: Vec<&Key> = idx.iter().map(|i| &ops[*i].key).collect();
        for (i, p) in idx.into_iter().zip(ns.prefetch(&keys)) {
            pre[i] = p;
        }
    }
    pre
}
