//! Defragmentation as a bounded step: move the live images (exactly those the index points at)
//! out of blocks below the low-water mark, each under its record lock, and repoint the index.
//!
//! Invariants: an image is moved only while its record lock is held and the index entry still
//! points at it with the same generation, LUT and size; the moved copy is byte-identical except
//! for the block sequence and CRC (SN-REQ-DEFRAG-RESEAL); the source block is freed by the
//! backend only once empty and every copy is durable (SN-REQ-DEFRAG-INVARIANT).

use crate::engine::namespace::Namespace;
use crate::error::Result;
use crate::storage::record_image;

/// What one defrag step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefragStats {
    /// Blocks processed.
    pub blocks: u64,
    /// Images moved.
    pub moved: u64,
    /// Bytes moved.
    pub bytes: u64,
}

impl Namespace {
    /// Defragment up to `max_blocks` queued blocks.
    pub fn defrag_step(&self, max_blocks: usize) -> Result<DefragStats> {
        let mut stats = DefragStats::default();
        for _ in 0..max_blocks {
            let Some(block) = self.storage.defrag_next() else {
                break;
            };
            let mut images = Vec::new();
            if let Err(e) = self
                .storage
                .block_images(block, &mut |loc, b| images.push((loc, b.to_vec())))
            {
                self.storage.defrag_done(block, false);
                return Err(e);
            }
            let mut complete = true;
            for (loc, bytes) in images {
                let Ok(meta) = record_image::decode_meta(&bytes) else {
                    continue;
                };
                let Ok(_guard) = self.locks.acquire(meta.digest, 0, None) else {
                    complete = false;
                    continue;
                };
                let Some(e) = self.index.get(&meta.digest) else {
                    continue;
                };
                if e.location != loc
                    || e.generation != meta.generation
                    || e.lut() != meta.lut
                    || e.size as usize != bytes.len()
                {
                    continue;
                }
                let size = bytes.len() as u64;
                let placed = match self.storage.relocate(loc, bytes) {
                    Ok(p) => p,
                    Err(err) => {
                        self.storage.defrag_done(block, false);
                        return Err(err);
                    }
                };
                let mut moved = e;
                moved.location = placed.location;
                moved.size = placed.size;
                let prev = self.index.put(meta.digest, moved);
                assert_eq!(prev, Some(e), "index changed under the record lock");
                self.storage.release(loc, e.size);
                stats.moved += 1;
                stats.bytes += size;
            }
            self.storage.defrag_done(block, complete);
            stats.blocks += 1;
        }
        Ok(stats)
    }
}
