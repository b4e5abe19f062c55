//! Tombstone reclamation (RS-TOMB-RECLAIM, SN-REQ-TOMB-RECLAIM (a)) as a resumable, bounded
//! step: mark the tombstones older than `tombstone_eligible_age` whose images are durable, read
//! every block a cold start could read (used and freed-but-not-rewritten blocks, from the
//! device), unmark any tombstone for which another image of its digest was found, then drop the
//! still-marked ones under their record locks if they did not change meanwhile.
//!
//! Why only durable tombstones: the pass reads the device, and an older image still in a write
//! buffer or the flush queue is not there yet. A durable tombstone has every image appended
//! before it durable too (the durable frontier covers a gap-free prefix of the append order), so
//! every older image of its record is on the device, where the pass reads it. A block read
//! while a new incarnation's write to it is not yet synced may hide an older image that a power
//! loss would bring back; that cannot resurrect the record either: the dropped tombstone's own
//! image vanishes from the device only when its block is rewritten and synced later, and that
//! sync makes the earlier write durable first (the `Device` contract).
//!
//! Invariants (asserted): a tombstone is dropped only if its image is durable and no other image
//! of its digest (identical defrag copies of the tombstone excepted) was readable on the device
//! at any point of the pass (images written during the pass are newer and change the index
//! entry, which the final re-check sees).

use crate::engine::namespace::Namespace;
use crate::error::Result;
use crate::format::record_image;
use crate::index::IndexEntry;
use crate::record::key::{Digest, PARTITIONS};
use std::collections::HashMap;

/// Bound on tombstones considered per pass.
const MARK_MAX: usize = 1 << 20;

/// Progress of one reclamation pass.
#[derive(Default)]
pub struct TombReclaimer {
    marked: HashMap<Digest, IndexEntry>,
    blocks: Vec<u32>,
    next_block: usize,
    active: bool,
}

/// What a step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TombStats {
    /// Tombstones marked at the start of this pass (when this step started it).
    pub marked: u64,
    /// Blocks read by this step.
    pub blocks_read: u64,
    /// Tombstones dropped by this step.
    pub dropped: u64,
    /// The pass finished with this step.
    pub finished: bool,
}

impl TombReclaimer {
    /// A reclaimer with no pass in progress.
    pub fn new() -> TombReclaimer {
        TombReclaimer::default()
    }

    /// Advance the pass by reading at most `max_blocks` blocks (starting a pass if none runs).
    pub fn step(&mut self, ns: &Namespace, max_blocks: usize) -> Result<TombStats> {
        let mut stats = TombStats::default();
        if !self.active {
            stats.marked = self.start_pass(ns);
        }
        self.read_blocks(ns, max_blocks, &mut stats)?;
        if self.next_block >= self.blocks.len() {
            stats.dropped = self.finish_pass(ns);
            stats.finished = true;
        }
        assert!(
            stats.blocks_read as usize <= max_blocks,
            "a step reads at most max_blocks blocks"
        );
        Ok(stats)
    }

    /// Mark the eligible, durable tombstones (at most `MARK_MAX`) and list the blocks to read.
    fn start_pass(&mut self, ns: &Namespace) -> u64 {
        let now_ms = ns.clock.now_ms();
        let age_ms = u64::from(ns.config.tombstone_eligible_age_s) * 1000;
        self.marked.clear();
        'outer: for p in 0..PARTITIONS {
            for (d, e) in ns.index.partition(p).iter() {
                if e.is_tombstone() && now_ms.saturating_sub(e.lut()) >= age_ms {
                    self.marked.insert(*d, *e);
                    if self.marked.len() >= MARK_MAX {
                        break 'outer;
                    }
                }
            }
        }
        // Outside the partition locks: the storage takes its own.
        self.marked
            .retain(|_, t| ns.storage.is_durable(t.location, t.size));
        assert!(
            self.marked.len() <= MARK_MAX,
            "a pass marks at most MARK_MAX tombstones"
        );
        // A backend without maintenance holds no image a restart could bring back.
        self.blocks = match ns.storage.maintenance() {
            Some(m) if !self.marked.is_empty() => m.readable_blocks(),
            _ => Vec::new(),
        };
        self.next_block = 0;
        self.active = true;
        self.marked.len() as u64
    }

    /// Read up to `max_blocks` of the pass's blocks, unmarking every tombstone an older image of
    /// its record was found for.
    fn read_blocks(
        &mut self,
        ns: &Namespace,
        max_blocks: usize,
        stats: &mut TombStats,
    ) -> Result<()> {
        // `blocks` is empty without maintenance (start_pass).
        let maintenance = ns.storage.maintenance();
        while let (Some(m), true) = (
            maintenance,
            self.next_block < self.blocks.len() && (stats.blocks_read as usize) < max_blocks,
        ) {
            let b = self.blocks[self.next_block];
            self.next_block += 1;
            stats.blocks_read += 1;
            let marked = &mut self.marked;
            m.blocks_images(&[b], &mut |_, loc, bytes| {
                if let Ok(m) = record_image::decode_meta(bytes) {
                    // An identical copy of the tombstone itself (left by a defrag move) is
                    // harmless: at worst a cold start brings the tombstone back, never the
                    // record. Any other image of the digest is older and keeps the tombstone.
                    let older = marked.get(&m.digest).is_some_and(|t| {
                        t.location != loc
                            && !(m.tombstone && m.generation == t.generation && m.lut == t.lut())
                    });
                    if older {
                        marked.remove(&m.digest);
                    }
                }
            })?;
        }
        Ok(())
    }

    /// Drop every tombstone still marked whose entry is unchanged (re-checked under its record
    /// lock); ends the pass. Returns how many were dropped.
    fn finish_pass(&mut self, ns: &Namespace) -> u64 {
        let mut dropped = 0;
        for (d, t) in self.marked.drain() {
            assert!(
                t.is_tombstone(),
                "only tombstones are marked for reclamation"
            );
            let Ok(_guard) = ns.locks.acquire(d, 0, None) else {
                continue;
            };
            if ns.index.get(&d) == Some(t) {
                assert!(
                    ns.storage.is_durable(t.location, t.size),
                    "a marked tombstone stays durable"
                );
                ns.remove(&d, &t);
                dropped += 1;
            }
        }
        self.active = false;
        dropped
    }
}
