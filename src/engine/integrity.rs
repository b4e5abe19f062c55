//! `Database::check_integrity`: the index checked against storage. Every entry sits in its
//! digest's partition with a valid generation and set id, each partition table keeps its
//! invariants (index/table.rs T1–T4), and the backend's accounting agrees with the entries
//! (`Storage::audit`: locations inside used blocks, no overlaps, per-block used bytes equal to the
//! sum of the live images, live-byte totals). The full check also loads every image and checks it
//! against its entry (CRC, digest, generation, LUT, void-time, tombstone flag, set name, stored
//! key), so the tombstone and record counts of the index are those of the images.
//!
//! Invariants: the check reads only (no write, no lock held across partitions or across the
//! storage call) and never panics on what it finds; it is meaningful only while no request or
//! maintenance step runs (a concurrent write may show as a transient disagreement).

use crate::engine::Namespace;
use crate::error::{Error, ResultCode};
use crate::index::{IndexEntry, Location};
use crate::record::key::{Digest, PARTITIONS};
use crate::storage::StorageAudit;

/// What an integrity check covered (every count over all namespaces).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Namespaces checked.
    pub namespaces: u64,
    /// Index entries of live or expired-not-reaped records.
    pub records: u64,
    /// Index entries of tombstones.
    pub tombstones: u64,
    /// Bytes of the images the index references.
    pub bytes: u64,
    /// Blocks (device) or slabs (memory) whose accounting was compared.
    pub blocks: u64,
    /// Images loaded and compared with their entries (0 unless the check was full).
    pub images_read: u64,
}

/// Check one namespace; `full` also loads every image. Adds to `report`; the disagreements
/// found, in words, are returned (empty when consistent).
pub fn check(ns: &Namespace, full: bool, report: &mut IntegrityReport) -> Vec<String> {
    let mut a = StorageAudit::default();
    let entries = collect_entries(ns, &mut a);
    for (_, e) in &entries {
        if e.is_tombstone() {
            report.tombstones += 1;
        } else {
            report.records += 1;
        }
    }
    let storage = ns
        .storage
        .audit(&mut entries.iter().map(|(_, e)| (e.location, e.size)));
    if storage.images != entries.len() as u64 {
        a.problem(|| {
            format!(
                "storage audited {} images of {}",
                storage.images,
                entries.len()
            )
        });
    }
    a.problems.extend(storage.problems);
    report.bytes += storage.bytes;
    report.blocks += storage.blocks;
    if full {
        for (d, e) in &entries {
            check_image(ns, d, e, &mut a);
            report.images_read += 1;
        }
    }
    report.namespaces += 1;
    a.problems
}

/// Every entry, partition by partition (one partition lock at a time), checked on its own.
fn collect_entries(ns: &Namespace, a: &mut StorageAudit) -> Vec<(Digest, IndexEntry)> {
    let sets = ns.sets.len();
    let mut out = Vec::with_capacity(ns.index.len());
    for p in 0..PARTITIONS {
        let table = ns.index.partition(p);
        if let Err(why) = table.check_invariants() {
            a.problem(|| format!("index partition {p}: {why}"));
        }
        for (d, e) in table.iter() {
            if usize::from(d.partition_id()) != p {
                a.problem(|| format!("digest {} found in partition {p}", d.to_hex()));
            }
            if e.generation == 0 || e.size == 0 || usize::from(e.set_id) > sets {
                a.problem(|| format!("digest {}: invalid entry {e:?} ({sets} sets)", d.to_hex()));
            }
            out.push((*d, *e));
        }
    }
    out
}

/// Load the image of one entry and compare it with the entry.
fn check_image(ns: &Namespace, d: &Digest, e: &IndexEntry, a: &mut StorageAudit) {
    let at = |loc: Location| format!("digest {} at {loc:?}", d.to_hex());
    match ns.load(d, e) {
        Err(why) => a.problem(|| format!("{}: image does not load: {why}", at(e.location))),
        Ok(img) => {
            if usize::from(e.set_id) <= ns.sets.len() && img.meta.set_name != ns.sets.name(e.set_id)
            {
                a.problem(|| {
                    format!(
                        "{}: image set {:?}, entry set id {}",
                        at(e.location),
                        img.meta.set_name,
                        e.set_id
                    )
                });
            }
            if img.meta.key.is_some() != e.key_stored() {
                a.problem(|| {
                    format!(
                        "{}: stored-key flag disagrees with the image",
                        at(e.location)
                    )
                });
            }
        }
    }
}

/// The error `Database::check_integrity` returns for the problems of namespace `name`.
pub fn failure(name: &str, problems: &[String]) -> Error {
    Error::new(
        ResultCode::ServerError,
        format!(
            "integrity check of namespace '{name}' failed ({} problems): {}",
            problems.len(),
            problems.join("; ")
        ),
    )
}
