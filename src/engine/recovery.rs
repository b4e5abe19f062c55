//! Restart and shutdown of a namespace's index: restore from the backend's index snapshot
//! (RS-CLEAN), or rebuild by a cold-start scan (RS-UNCLEAN-*, CH-RESTART-EXPIRED, CH-APPEND-ORDER,
//! and RS-TOMB-RECLAIM for eligible tombstones whose record has no other image on the device);
//! at shutdown hand the backend the index image for its snapshot.
//!
//! Resolution (CH-APPEND-ORDER, storage-format.md §"Scanning rules"): of several surviving images
//! of one digest, the one appended last — greatest `(block_seq, offset)` — wins. Along one
//! record's history MD-LUT-MONO makes every later image RS-RESOLVE-greater ([`wins`]), so this is
//! RS-RESOLVE's result for every pair of images of one lifetime of a record. The two orders differ
//! only across a non-durable removal: the re-create starts from `LUT_old = 0` and generation 1, so
//! a removed image with an equal or later LUT (same millisecond, or the clock stepped back) would
//! win RS-RESOLVE and lose an acknowledged commit-to-device write (DUR-DEVICE). Replica installs of
//! a failover winner (generation before LUT) are the other such case. Append order keeps both.
//!
//! Invariants: resolution runs over every surviving image before expiry is applied, so the result
//! does not depend on scan order; tombstones are kept; the backend's `finish_open` sees exactly
//! the entries of the rebuilt index; the winner of a digest is never an image appended before
//! another accepted image of it.

use crate::engine::namespace::Namespace;
use crate::error::{err, Result, ResultCode};
use crate::format::record_image;
use crate::index::entry::{FLAG_KEY_STORED, FLAG_TOMBSTONE};
use crate::index::{IndexEntry, Location};
use crate::progress::{ColdStartProgress, ProgressFn, REPORT_EVERY};
use crate::record::key::{Digest, PARTITIONS};
use crate::storage::{IndexImage, Restore, ScanReference};
use std::collections::HashSet;
use std::time::Duration;

/// What a restart did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryStats {
    /// Restored from a snapshot (fast restart).
    pub from_snapshot: bool,
    /// Images the scan offered.
    pub images: u64,
    /// Blocks the scan offered images from.
    pub blocks_with_images: u64,
    /// Images that lost resolution to another image of the same digest.
    pub superseded: u64,
    /// Records the scan brought back that the last clean shutdown's index did not hold: their
    /// winning image predates that shutdown (block sequence ≤ its high-water mark), so they had
    /// been removed before it — zombies (Q-ZOMBIE). A lower bound: removals after the last clean
    /// open leave no trace (a non-durable delete writes nothing) and are not counted; 0 when
    /// there is no such reference.
    pub resurrected: u64,
    /// Why the index snapshot the clean device headers promised was not used and the index was
    /// rebuilt by a cold start instead: missing, damaged, of another session, or failing the
    /// entry checks of `storage::snapshot_check` (forged locations, sizes, flags, set table,
    /// block sequences). `None` when the snapshot was used or none was due (unclean shutdown).
    pub snapshot_rejected: Option<&'static str>,
    /// Whether a reference index was available to count `resurrected`.
    pub resurrection_reference: bool,
    /// Winners dropped because they were expired at restart.
    pub expired_dropped: u64,
    /// Eligible tombstones with no older image on the device, dropped by the scan.
    pub tombstones_dropped: u64,
    /// Entries in the index afterwards.
    pub entries: u64,
    /// Wall time of the restart.
    pub elapsed: Duration,
    /// Secondary indexes restored from the definitions file (SIDX-RESTART-1).
    pub sindexes: u64,
    /// Entries their rebuild from the records inserted.
    pub sindex_entries: u64,
    /// Time the rebuild took (zero when there is no index: fast restart stays fast).
    pub sindex_rebuild: Duration,
}

/// RS-RESOLVE: whether image `a` wins over image `b` of the same digest (greater LUT, then
/// wrap-aware greater generation (GC-RESOLVE), then later expiry with "never" latest). The cold
/// start resolves by append order instead (module docs, CH-APPEND-ORDER); along one lifetime of a
/// record the two agree. Kept as the rule's statement and for its unit test.
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
pub fn wins(a: &IndexEntry, b: &IndexEntry) -> bool {
    if a.lut() != b.lut() {
        return a.lut() > b.lut();
    }
    if a.generation != b.generation {
        let d = a.generation.wrapping_sub(b.generation);
        return (1..=32768).contains(&d);
    }
    match (a.void_time, b.void_time) {
        (0, 0) => false,
        (0, _) => true,
        (_, 0) => false,
        (x, y) => x > y,
    }
}

/// Clock time since the monotonic reading `start_us`.
fn since(ns: &Namespace, start_us: u64) -> Duration {
    Duration::from_micros(ns.clock.monotonic_us().saturating_sub(start_us))
}

/// Rebuild the index of `ns` at open, reporting a cold start's progress to `progress`.
pub fn open(ns: &Namespace, progress: Option<&ProgressFn>) -> Result<RecoveryStats> {
    let started_us = ns.clock.monotonic_us();
    let mut stats = RecoveryStats::default();
    match ns.storage.restore()? {
        Restore::Fresh => {}
        Restore::Snapshot(image) => {
            stats.from_snapshot = true;
            for (i, name) in image.sets.iter().enumerate() {
                if usize::from(ns.sets.intern(name)?) != i + 1 {
                    return err(ResultCode::ServerError, "snapshot set table out of order");
                }
            }
            assert_eq!(
                ns.sets.len(),
                image.sets.len(),
                "the snapshot's set ids are restored"
            );
            let entries = image
                .entries
                .iter()
                .map(IndexEntry::from_snapshot)
                .collect();
            drop(image);
            ns.index.restore(entries);
        }
        Restore::Scan {
            reference,
            snapshot_rejected,
        } => {
            stats.snapshot_rejected = snapshot_rejected;
            cold_start(ns, reference, progress, &mut stats)?
        }
    }
    let mut live: Vec<(Location, u32)> = Vec::with_capacity(ns.index.len());
    ns.index.for_each(|_, e| live.push((e.location, e.size)));
    stats.entries = live.len() as u64;
    ns.storage.finish_open(&mut live.into_iter())?;
    assert_eq!(
        stats.entries,
        ns.index.len() as u64,
        "finish_open saw exactly the entries of the rebuilt index"
    );
    stats.elapsed = since(ns, started_us);
    if let (Some(report), false) = (progress, stats.from_snapshot) {
        let scan = ns.storage.stats().scan;
        if scan.blocks > 0 {
            report(&ColdStartProgress {
                namespace: ns.config.name.clone(),
                blocks_with_images: stats.blocks_with_images,
                blocks_total: total_blocks(ns),
                images: stats.images,
                duplicates: stats.superseded,
                stale: scan.stale,
                corrupt: scan.corrupt,
                records: stats.entries,
                elapsed: stats.elapsed,
                done: true,
            });
        }
    }
    Ok(stats)
}

fn total_blocks(ns: &Namespace) -> u64 {
    match &ns.config.storage {
        crate::config::StorageConfig::Device(d) if d.block_size > 0 => {
            ns.storage.stats().capacity_bytes / u64::from(d.block_size)
        }
        _ => 0,
    }
}

/// A cold start: scan every image into the index (the one appended last wins,
/// CH-APPEND-ORDER), then drop what the scan's resolution left expired or reclaimable and count
/// the records a resurrection reference marks as come back.
fn cold_start(
    ns: &Namespace,
    reference: Option<ScanReference>,
    progress: Option<&ProgressFn>,
    stats: &mut RecoveryStats,
) -> Result<()> {
    let scanned = scan_into_index(ns, progress, stats)?;
    stats.resurrection_reference = reference.is_some();
    drop_after_scan(ns, reference.as_ref(), &scanned, stats);
    Ok(())
}

/// What the scan learned beyond the index.
struct Scanned {
    /// Digests with an image of an older version on the device (a tombstone of theirs is kept).
    has_older: HashSet<Digest>,
    /// Append sequence of every block the scan has offered images from, by block number
    /// (0 = none offered yet: written blocks have sequences from 1).
    block_seq: Vec<u64>,
}

/// Offer every image on the devices to the index, reporting progress as blocks are reached.
fn scan_into_index(
    ns: &Namespace,
    progress: Option<&ProgressFn>,
    stats: &mut RecoveryStats,
) -> Result<Scanned> {
    let mut problem = None;
    let mut scanned = Scanned {
        has_older: HashSet::new(),
        block_seq: Vec::new(),
    };
    let started_us = ns.clock.monotonic_us();
    let mut last_report_us = started_us;
    let blocks_total = total_blocks(ns);
    ns.storage.scan(&mut |loc, seq, bytes| {
        // `block_seq` uses 0 for "no image offered yet": written blocks have sequences from 1.
        assert!(seq > 0, "a scanned block has an append sequence");
        stats.images += 1;
        let b = loc.block as usize;
        if scanned.block_seq.len() <= b {
            scanned.block_seq.resize(b + 1, 0);
        }
        if scanned.block_seq[b] == 0 {
            stats.blocks_with_images += 1;
            if let Some(report) = progress {
                if since(ns, last_report_us) >= REPORT_EVERY {
                    last_report_us = ns.clock.monotonic_us();
                    report(&ColdStartProgress {
                        namespace: ns.config.name.clone(),
                        blocks_with_images: stats.blocks_with_images,
                        blocks_total,
                        images: stats.images,
                        duplicates: stats.superseded,
                        elapsed: since(ns, started_us),
                        ..ColdStartProgress::default()
                    });
                }
            }
        }
        scanned.block_seq[b] = seq;
        if let Err(e) = offer_image(ns, loc, seq, bytes, &mut scanned, stats) {
            problem.get_or_insert(e);
        }
    })?;
    match problem {
        Some(e) => Err(e),
        None => Ok(scanned),
    }
}

/// Offer one image at `loc` (block sequence `seq`) to the index: it replaces the entry of its
/// digest when it lies later in append order; a differing older version marks the digest.
fn offer_image(
    ns: &Namespace,
    loc: Location,
    seq: u64,
    bytes: &[u8],
    scanned: &mut Scanned,
    stats: &mut RecoveryStats,
) -> Result<()> {
    // The backend verified the CRC; a failure here is counted as superseded-by-nothing.
    let Ok(meta) = record_image::decode_meta(bytes) else {
        return Ok(());
    };
    let set_id = ns.sets.intern(&meta.set_name)?;
    let flags = (if meta.tombstone { FLAG_TOMBSTONE } else { 0 })
        | (if meta.key.is_some() {
            FLAG_KEY_STORED
        } else {
            0
        });
    let entry = IndexEntry::new(
        loc,
        bytes.len() as u32,
        meta.generation,
        meta.void_time,
        meta.lut,
        set_id,
        flags,
    );
    match ns.index.get(&meta.digest) {
        Some(old) => {
            let copy = old.generation == entry.generation
                && old.lut() == entry.lut()
                && old.flags == entry.flags;
            if !copy {
                scanned.has_older.insert(meta.digest);
            }
            stats.superseded += 1;
            let old_pos = (
                scanned.block_seq[old.location.block as usize],
                old.location.offset,
            );
            if (seq, loc.offset) > old_pos {
                ns.index.put(meta.digest, entry);
            }
            // CH-APPEND-ORDER: the entry kept is the one appended last of those offered.
            debug_assert!(
                ns.index.get(&meta.digest).is_some_and(|w| {
                    (
                        scanned.block_seq[w.location.block as usize],
                        w.location.offset,
                    ) >= (seq, loc.offset).min(old_pos)
                        && (
                            scanned.block_seq[w.location.block as usize],
                            w.location.offset,
                        ) >= old_pos.max((seq, loc.offset))
                }),
                "the winner of a digest is the image appended last"
            );
        }
        None => {
            ns.index.put(meta.digest, entry);
        }
    }
    Ok(())
}

/// RS-UNCLEAN-EXPIRED / CH-RESTART-EXPIRED: expiry only after resolution. RS-TOMB-RECLAIM: an
/// eligible tombstone with no other image of its record on the device is dropped. With a
/// resurrection reference, count the live records it did not know.
fn drop_after_scan(
    ns: &Namespace,
    reference: Option<&ScanReference>,
    scanned: &Scanned,
    stats: &mut RecoveryStats,
) {
    let now_s = ns.clock.now_s();
    let now_ms = ns.clock.now_ms();
    let age_ms = u64::from(ns.config.tombstone_eligible_age_s) * 1000;
    for p in 0..PARTITIONS {
        let mut part = ns.index.partition_mut(p);
        let before = part.len();
        part.retain(|_, e| e.is_tombstone() || !e.is_expired(now_s));
        assert!(part.len() <= before, "expiry only drops entries");
        stats.expired_dropped += (before - part.len()) as u64;
        let before = part.len();
        part.retain(|d, e| {
            !(e.is_tombstone()
                && now_ms.saturating_sub(e.lut()) >= age_ms
                && !scanned.has_older.contains(d))
        });
        stats.tombstones_dropped += (before - part.len()) as u64;
        if let Some(r) = reference {
            stats.resurrected += part
                .iter()
                .filter(|(d, e)| {
                    !e.is_tombstone()
                        && scanned.block_seq[e.location.block as usize] <= r.seq_high
                        && r.digests.binary_search(d).is_err()
                })
                .count() as u64;
        }
    }
}

/// The index as a snapshot image (set names by id, every entry).
pub fn index_image(ns: &Namespace) -> IndexImage {
    let sets = (1..=ns.sets.len() as u16)
        .map(|id| ns.sets.name(id))
        .collect();
    let mut entries = Vec::with_capacity(ns.index.len());
    for p in 0..PARTITIONS {
        entries.extend(ns.index.partition(p).iter().map(|(d, e)| e.to_snapshot(*d)));
    }
    // The snapshot names every set its entries use (ids are dense 1 … n, sets.rs).
    debug_assert!(
        entries
            .iter()
            .all(|e| usize::from(e.set_id) <= ns.sets.len()),
        "every entry's set id is in the snapshot's set table"
    );
    IndexImage { sets, entries }
}

/// Clean shutdown of `ns`'s storage (snapshot when the backend keeps one).
pub fn close(ns: &Namespace) -> Result<()> {
    ns.storage.close(&|| index_image(ns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(lut: u64, generation: u16, void_time: u32) -> IndexEntry {
        IndexEntry::new(Location::default(), 64, generation, void_time, lut, 0, 0)
    }

    /// RS-RESOLVE, GC-RESOLVE.
    #[test]
    fn rs_resolve_order() {
        assert!(wins(&e(2, 1, 0), &e(1, 9, 0)), "LUT first");
        assert!(!wins(&e(1, 9, 0), &e(2, 1, 0)));
        assert!(wins(&e(1, 3, 0), &e(1, 2, 0)), "then generation");
        assert!(
            wins(&e(1, 1, 0), &e(1, 65535, 0)),
            "wrap-aware: 1 follows 65535"
        );
        assert!(!wins(&e(1, 65535, 0), &e(1, 1, 0)));
        assert!(
            wins(&e(1, 2, 0), &e(1, 2, 50)),
            "then expiry: never is latest"
        );
        assert!(wins(&e(1, 2, 60), &e(1, 2, 50)));
        assert!(
            !wins(&e(1, 2, 50), &e(1, 2, 50)),
            "full tie keeps the existing"
        );
    }
}
