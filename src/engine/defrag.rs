//! Defragmentation as a bounded step: move the live images (exactly those the index points at)
//! out of blocks below the low-water mark, each under its record lock, and repoint the index.
//!
//! Invariants: an image is moved only while its record lock is held and the index entry still
//! points at it with the same generation, LUT and size; the moved copy is byte-identical except
//! for the block sequence and CRC (SN-REQ-DEFRAG-RESEAL); the source block is freed by the
//! backend only once empty and every copy is durable (SN-REQ-DEFRAG-INVARIANT).

use crate::engine::namespace::Namespace;
use crate::error::Result;
use crate::format::record_image;
use crate::index::Location;
use crate::storage::Maintenance;

/// Blocks read with one batched device read (8 × 1 MiB: Aerospike's defrag reads ahead
/// similarly); bounds the memory of a step.
pub const READ_BATCH: usize = 8;

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
    /// Defragment up to `max_blocks` queued blocks. Blocks are taken from the queue and read
    /// [`READ_BATCH`] at a time with one batched device read (`Maintenance::blocks_images`), then
    /// emptied one after another in queue order.
    /// A backend without maintenance (memory) has no blocks to defragment: nothing is done.
    pub fn defrag_step(&self, max_blocks: usize) -> Result<DefragStats> {
        let mut stats = DefragStats::default();
        let Some(m) = self.storage.maintenance() else {
            return Ok(stats);
        };
        let mut left = max_blocks;
        while left > 0 {
            let mut batch = Vec::new();
            while batch.len() < left.min(READ_BATCH) {
                match m.defrag_next() {
                    Some(b) => batch.push(b),
                    None => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            left -= batch.len();
            let mut images: Vec<Vec<(Location, Vec<u8>)>> =
                batch.iter().map(|_| Vec::new()).collect();
            if let Err(e) =
                m.blocks_images(&batch, &mut |i, loc, b| images[i].push((loc, b.to_vec())))
            {
                for &b in &batch {
                    m.defrag_done(b, false);
                }
                return Err(e);
            }
            for (n, (&block, images)) in batch.iter().zip(images).enumerate() {
                match self.empty_block(m, block, images) {
                    Ok(moved) => {
                        stats.moved += moved.0;
                        stats.bytes += moved.1;
                        stats.blocks += 1;
                    }
                    Err(e) => {
                        for &b in &batch[n + 1..] {
                            m.defrag_done(b, false);
                        }
                        return Err(e);
                    }
                }
            }
        }
        assert!(
            stats.blocks as usize <= max_blocks,
            "a defrag step processes at most max_blocks blocks"
        );
        Ok(stats)
    }

    /// Move the live images of `block` (read from it); returns (images, bytes) moved.
    fn empty_block(
        &self,
        m: &dyn Maintenance,
        block: u32,
        images: Vec<(Location, Vec<u8>)>,
    ) -> Result<(u64, u64)> {
        let (mut moved_n, mut moved_bytes) = (0u64, 0u64);
        let mut complete = true;
        for (loc, bytes) in images {
            assert_eq!(loc.block, block, "blocks_images visits the block asked for");
            debug_assert!(
                record_image::verify(&bytes) == Some(bytes.len()),
                "blocks_images hands out verified images"
            );
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
            // The block must still be in the incarnation the image was read from: it may have
            // been freed and reopened since the batch read, and an entry with the same location,
            // generation and LUT (a delete and re-create in the same millisecond) then names the
            // new incarnation's image, which is not in the block being emptied.
            if e.location != loc
                || e.generation != meta.generation
                || e.lut() != meta.lut
                || e.size as usize != bytes.len()
                || !self.storage.prefetch_current(loc, &bytes)
            {
                continue;
            }
            let size = bytes.len() as u64;
            let placed = match m.relocate(loc, bytes) {
                Ok(p) => p,
                Err(err) => {
                    m.defrag_done(block, false);
                    return Err(err);
                }
            };
            assert_eq!(
                placed.size, e.size,
                "a copy has its source's size (SN-REQ-DEFRAG-RESEAL)"
            );
            assert_ne!(
                placed.location.block, block,
                "a copy leaves the block being emptied"
            );
            let mut moved = e;
            moved.location = placed.location;
            moved.size = placed.size;
            self.map_cache.forget(&meta.digest);
            let prev = self.index.put(meta.digest, moved);
            assert_eq!(prev, Some(e), "index changed under the record lock");
            self.storage.release(loc, e.size);
            moved_n += 1;
            moved_bytes += size;
        }
        m.defrag_done(block, complete);
        Ok((moved_n, moved_bytes))
    }
}
