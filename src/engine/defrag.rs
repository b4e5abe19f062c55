//! Defragmentation as a bounded step: move the live images (exactly those the index points at)
//! out of blocks below the low-water mark, each under its record lock, and repoint the index.
//! A block is read whole (one batched device read for several), unless it is *sparse* — its
//! live bytes at most 1 / [`SPARSE_SHARE`] of it, in few enough images: then its live images are
//! found through the index (one pass over it serves the sparse blocks of this step and of the
//! steps after it: `defrag_live`) and
//! only they are read (`Maintenance::defrag_read_many`: one batched direct read, never through
//! the page cache), so a block with a few records left costs a few small reads, not a
//! whole-block read.
//!
//! Invariants: an image is moved only while its record lock is held and the index entry still
//! points at it with the same generation, LUT and size; the moved copy is byte-identical except
//! for the block sequence and CRC (SN-REQ-DEFRAG-RESEAL); the source block is freed by the
//! backend only once empty and every copy is durable (SN-REQ-DEFRAG-INVARIANT).

use crate::engine::defrag_live::{Live, PASS_BLOCKS};
use crate::engine::namespace::Namespace;
use crate::error::Result;
use crate::format::record_image;
use crate::index::Location;
use crate::storage::{DefragBlock, Maintenance};

/// Blocks read with one batched device read (8 × 1 MiB: Aerospike's defrag reads ahead
/// similarly); bounds the memory of a step.
pub const READ_BATCH: usize = 8;

/// A block whose live bytes are at most `1 / SPARSE_SHARE` of it (128 KiB of 1 MiB) and whose
/// live images, one [`SPARSE_READ_UNIT`] each, add up to at most half of it has only those
/// images read, found through the index (measured: BENCHMARKS.md "Group commit, session 10").
pub const SPARSE_SHARE: u64 = 8;

/// What reading one image costs at least (an `O_DIRECT` read unit).
const SPARSE_READ_UNIT: u64 = 4096;

/// Live images of the blocks of one step, per block: `(location, image bytes)`.
type BlockImages = Vec<Vec<(Location, Vec<u8>)>>;

/// Whether a block's live bytes are few enough to find its live images through the index.
fn is_sparse(f: &DefragBlock) -> bool {
    f.live.saturating_mul(SPARSE_SHARE) <= f.size
}

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
            let images = match self.read_live(m, &batch) {
                Ok(images) => images,
                Err(e) => {
                    for &b in &batch {
                        m.defrag_done(b, false);
                    }
                    return Err(e);
                }
            };
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

    /// The images of `batch`'s blocks that may be live: a sparse block image by image (found
    /// through the index), any other block read whole (`Maintenance::blocks_images`). Only
    /// images of the incarnation that was queued are kept: a block freed and reopened since it
    /// was taken from the queue has nothing left to move (its images of then are dead), and what
    /// it holds now is the open buffer's.
    fn read_live(&self, m: &dyn Maintenance, batch: &[u32]) -> Result<BlockImages> {
        let mut images: BlockImages = batch.iter().map(|_| Vec::new()).collect();
        let fill: Vec<Option<DefragBlock>> = batch.iter().map(|&b| m.defrag_block(b)).collect();
        let candidates: Vec<usize> = (0..batch.len())
            .filter(|&i| fill[i].as_ref().is_some_and(is_sparse))
            .collect();
        let blocks: Vec<(u32, u64)> = candidates
            .iter()
            .map(|&i| (batch[i], fill[i].map_or(0, |f| f.seq)))
            .collect();
        let mut sparse = vec![false; batch.len()];
        let mut wanted: Vec<(usize, Location, u32)> = Vec::new();
        for (j, locs) in self.indexed(m, &blocks).into_iter().enumerate() {
            let i = candidates[j];
            let block_bytes = fill[i].map_or(0, |f| f.size);
            // Reading image by image costs at least one read unit per image.
            if (locs.len() as u64).saturating_mul(SPARSE_READ_UNIT) <= block_bytes / 2 {
                sparse[i] = true;
                wanted.extend(locs.into_iter().map(|(loc, size)| (i, loc, size)));
            }
        }
        let reqs: Vec<(Location, u32)> = wanted.iter().map(|&(_, loc, size)| (loc, size)).collect();
        let got = m.defrag_read_many(&reqs);
        assert_eq!(got.len(), reqs.len(), "defrag_read_many answers every request");
        for ((i, loc, _), bytes) in wanted.into_iter().zip(got) {
            match bytes {
                Ok(b) => images[i].push((loc, b.to_vec())),
                // As a whole-block read skips an image that fails its checks: not moved here.
                Err(e) if e.is_damaged() => {}
                // Anything else (a failed read, or an entry that names a newer incarnation not
                // yet written): read the block whole instead, as before.
                Err(_) => sparse[i] = false,
            }
        }
        let dense: Vec<usize> = (0..batch.len()).filter(|&i| !sparse[i] && fill[i].is_some()).collect();
        for &i in &dense {
            images[i].clear();
        }
        if !dense.is_empty() {
            let blocks: Vec<u32> = dense.iter().map(|&i| batch[i]).collect();
            m.blocks_images(&blocks, &mut |j, loc, b| {
                images[dense[j]].push((loc, b.to_vec()))
            })?;
        }
        for (i, found) in images.iter_mut().enumerate() {
            let seq = fill[i].map(|f| f.seq);
            found.retain(|(_, bytes)| seq.is_some() && record_image::block_seq_of(bytes) == seq);
        }
        Ok(images)
    }

    /// The locations and sizes of the images the index points at in `blocks` (block,
    /// incarnation), per block: kept from an earlier pass over the index, or found by one pass
    /// that also finds those of the sparse blocks queued next (`defrag_live`). A block in the
    /// defrag queue receives no new image (only the open block does), so these are all its live
    /// images; any that dies before it is moved fails `empty_block`'s checks.
    fn indexed(&self, m: &dyn Maintenance, blocks: &[(u32, u64)]) -> Vec<Live> {
        let mut lists = self.defrag_live.lock().unwrap_or_else(|p| p.into_inner());
        let next = || -> Vec<(u32, u64)> {
            m.defrag_queued(PASS_BLOCKS)
                .into_iter()
                .filter(|(_, f)| is_sparse(f))
                .map(|(b, f)| (b, f.seq))
                .collect()
        };
        lists.take(&self.index, blocks, next)
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
