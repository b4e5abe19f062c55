//! Validation of a CRC-valid index snapshot before a fast restart (storage-format.md §"Index
//! snapshot": "checked, not trusted"). A CRC proves only that the file is what some writer wrote;
//! an entry that points outside a written block, overlaps another, or names an unknown set would
//! fail the open, inflate the space accounting into stop-writes, or panic later. Any doubt sends
//! the store to the cold-start scan, which reads the truth from the device.
//!
//! Invariants: `check` is total (never panics, on any snapshot) and O(entries + blocks) apart from
//! one sort per block of that block's entries; it accepts every snapshot `encode` writes of a
//! consistent store. What it cannot see without reading the device: a generation, LUT, void time
//! or digest changed to another plausible value fails the image checks on every read of that
//! record (ServerError 1, never a wrong value); an image size enlarged into unused bytes of its
//! block only overstates the block's used bytes until the record is rewritten.

use crate::error::Result;
use crate::format::record_image;
use crate::format::snapshot::{Entry, IndexImage, SnapshotMeta, FLAG_KEY_STORED, FLAG_TOMBSTONE};
use crate::format::write_block;
use crate::record::key::{validate_set_name, SETS_MAX};
use crate::storage::ScanReference;
use std::collections::HashSet;

/// Why a snapshot was not used (`RecoveryStats::snapshot_rejected`).
pub type Doubt = &'static str;

/// The store's geometry a snapshot must fit.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// Bytes per write block.
    pub block_size: u32,
    /// Blocks of the namespace (all devices).
    pub total_blocks: u32,
}

/// Check every table and entry of a parsed snapshot against `geometry`.
pub fn check(
    meta: &SnapshotMeta,
    index: &IndexImage,
    geometry: Geometry,
) -> std::result::Result<(), Doubt> {
    if meta.block_size != geometry.block_size
        || meta.block_seqs.len() != geometry.total_blocks as usize
    {
        return Err("snapshot geometry differs from the devices'");
    }
    check_block_seqs(meta)?;
    check_sets(&index.sets)?;
    for e in &index.entries {
        check_entry(e, meta, index.sets.len())?;
    }
    check_no_overlap(&index.entries, geometry.total_blocks)
}

/// Block sequences: ≤ the high-water mark, and no two blocks with one (sequences are never
/// reused).
fn check_block_seqs(meta: &SnapshotMeta) -> std::result::Result<(), Doubt> {
    if meta.block_seqs.iter().any(|&s| s > meta.seq_high) {
        return Err("block sequence above the snapshot's high-water mark");
    }
    let mut used: Vec<u64> = meta
        .block_seqs
        .iter()
        .copied()
        .filter(|&s| s != 0)
        .collect();
    used.sort_unstable();
    if used.windows(2).any(|w| w[0] == w[1]) {
        return Err("two blocks with one block sequence");
    }
    Ok(())
}

/// Set names: K-SET-NAME, non-empty (id 0 is "no set"), distinct, at most K-SET-COUNT.
fn check_sets(sets: &[String]) -> std::result::Result<(), Doubt> {
    if sets.len() > SETS_MAX {
        return Err("more set names than K-SET-COUNT");
    }
    let mut seen = HashSet::with_capacity(sets.len());
    for s in sets {
        if s.is_empty() || validate_set_name(s).is_err() || !seen.insert(s.as_str()) {
            return Err("set table with an empty, invalid or repeated name");
        }
    }
    Ok(())
}

/// One entry: inside a written block, after its header, 16-byte aligned, at least the smallest
/// image, known flags and set id, no void time on a tombstone.
fn check_entry(e: &Entry, meta: &SnapshotMeta, set_count: usize) -> std::result::Result<(), Doubt> {
    let written = meta
        .block_seqs
        .get(e.block as usize)
        .is_some_and(|&s| s != 0);
    if !written {
        return Err("entry outside every written block");
    }
    let (offset, size) = (u64::from(e.offset), u64::from(e.size));
    let align = record_image::ALIGN as u64;
    let min_size = record_image::padded_len(record_image::off::VARIABLE) as u64;
    if offset < write_block::HEADER_LEN as u64
        || offset % align != 0
        || size % align != 0
        || size < min_size
        || offset + size > u64::from(meta.block_size)
    {
        return Err("entry offset or size does not fit its block");
    }
    if e.flags & !(FLAG_TOMBSTONE | FLAG_KEY_STORED) != 0
        || usize::from(e.set_id) > set_count
        || (e.is_tombstone() && e.void_time != 0)
    {
        return Err("entry with unknown flags or set id, or a tombstone with a void time");
    }
    Ok(())
}

/// No two entries share bytes: entries bucketed by block (counting sort), each block's sorted by
/// offset. Runs after `check_entry`, so blocks are in range and ends do not overflow.
fn check_no_overlap(entries: &[Entry], total_blocks: u32) -> std::result::Result<(), Doubt> {
    let mut starts = vec![0usize; total_blocks as usize + 1];
    for e in entries {
        starts[e.block as usize + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    let mut spans = vec![(0u32, 0u32); entries.len()];
    for e in entries {
        let slot = &mut next[e.block as usize];
        spans[*slot] = (e.offset, e.offset + e.size);
        *slot += 1;
    }
    for b in 0..total_blocks as usize {
        let block = &mut spans[starts[b]..starts[b + 1]];
        block.sort_unstable();
        if block.windows(2).any(|w| w[0].1 > w[1].0) {
            return Err("two entries share bytes of a block");
        }
    }
    Ok(())
}

/// What the devices' headers say a usable snapshot must be.
#[derive(Debug, Clone, Copy)]
pub struct Expected {
    /// Every header is clean with one instance id and high-water mark: a fast restart is due.
    pub clean: bool,
    /// The devices' set id.
    pub device_set_id: u64,
    /// The clean headers' instance id.
    pub instance_id: u64,
    /// The clean headers' block-sequence high-water mark.
    pub seq_high: u64,
    /// The devices' geometry.
    pub geometry: Geometry,
}

/// What open does with the snapshot file.
#[derive(Debug)]
pub enum Decision {
    /// Fast restart from this checked snapshot.
    Load(SnapshotMeta, IndexImage),
    /// Cold start, with the reference for counting resurrections when there is one, and why a
    /// fast restart that the clean headers promised did not happen.
    Scan(Option<ScanReference>, Option<Doubt>),
}

/// Decide between a fast restart and a cold start from the snapshot read at open (`Err`:
/// unreadable or damaged, `Ok(None)`: no file) and the headers' expectations.
pub fn decide(snap: Result<Option<(SnapshotMeta, IndexImage)>>, exp: &Expected) -> Decision {
    let doubt = |d: Doubt| exp.clean.then_some(d);
    let (meta, index) = match snap {
        Err(_) => {
            return Decision::Scan(None, doubt("snapshot unreadable or damaged (CRC, length)"))
        }
        Ok(None) => return Decision::Scan(None, doubt("no snapshot file")),
        Ok(Some(s)) => s,
    };
    let same_set =
        meta.device_set_id == exp.device_set_id && meta.block_size == exp.geometry.block_size;
    if exp.clean && same_set && meta.instance_id == exp.instance_id && meta.seq_high == exp.seq_high
    {
        return match check(&meta, &index, exp.geometry) {
            Ok(()) => Decision::Load(meta, index),
            Err(d) => Decision::Scan(None, Some(d)),
        };
    }
    // Not usable for a fast restart, but a CRC-valid index of an earlier clean shutdown of these
    // devices: the cold start's reference for resurrections.
    let reference = same_set.then(|| {
        let mut digests: Vec<_> = index.entries.iter().map(|e| e.digest).collect();
        digests.sort_unstable();
        ScanReference {
            seq_high: meta.seq_high,
            digests,
        }
    });
    Decision::Scan(
        reference,
        doubt("snapshot of another session of the devices"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::key::Digest;

    const GEOMETRY: Geometry = Geometry {
        block_size: 4096,
        total_blocks: 3,
    };

    fn entry(block: u32, offset: u32, size: u32) -> Entry {
        Entry {
            digest: Digest([block as u8; 20]),
            block,
            offset,
            size,
            void_time: 0,
            lut: 5,
            generation: 1,
            set_id: 0,
            flags: 0,
        }
    }

    fn sample(entries: Vec<Entry>) -> (SnapshotMeta, IndexImage) {
        let meta = SnapshotMeta {
            device_set_id: 1,
            instance_id: 2,
            seq_high: 9,
            block_size: 4096,
            block_seqs: vec![4, 0, 9],
        };
        (
            meta,
            IndexImage {
                sets: vec!["s".into()],
                entries,
            },
        )
    }

    #[test]
    fn adjacent_images_pass_and_overlaps_fail() {
        let ok = sample(vec![entry(0, 32, 64), entry(0, 96, 4000), entry(2, 32, 64)]);
        assert_eq!(check(&ok.0, &ok.1, GEOMETRY), Ok(()));
        let overlap = sample(vec![entry(2, 32, 80), entry(0, 32, 64), entry(2, 96, 64)]);
        assert!(check(&overlap.0, &overlap.1, GEOMETRY).is_err());
    }

    #[test]
    fn entries_outside_written_blocks_or_the_geometry_fail() {
        for bad in [
            entry(1, 32, 64),
            entry(3, 32, 64),
            entry(0, 4064, 64),
            entry(0, 0, 64),
        ] {
            let s = sample(vec![bad]);
            assert!(check(&s.0, &s.1, GEOMETRY).is_err(), "{bad:?}");
        }
        let s = sample(vec![entry(0, 32, 64)]);
        let other = Geometry {
            block_size: 4096,
            total_blocks: 4,
        };
        assert!(check(&s.0, &s.1, other).is_err(), "block count differs");
    }
}
