//! The device store's background work and persistent metadata ([`Maintenance`]): flush steps
//! and the flusher's wait, the defrag queue and copies, the block reads of defrag and tombstone
//! reclamation, and the truncate table kept in the device headers.
//!
//! Invariants: a block read for defrag or reclamation is verified image by image as a cold start
//! would read it (`scan_block`); the truncate table is durable in every device header before
//! `persist_truncations` returns Ok, and a failed header write fails the store.

use super::{flush, DeviceStorage};
use crate::error::{err, Result, ResultCode};
use crate::format::header;
use crate::storage::blocks::BlockState;
use crate::storage::cold_start::scan_block;
use crate::storage::defrag::defrag_due;
use crate::storage::device::AlignedBuf;
use crate::storage::{DefragBlock, Location, Maintenance, Placement};
use bytes::Bytes;
use std::time::Duration;

/// Huge-page write-block buffers the flusher keeps ready for the next blocks to open.
pub(super) const SPARE_BLOCKS: usize = 2;

impl DeviceStorage {
    /// Prepare buffers for the next write blocks while fewer than [`SPARE_BLOCKS`] wait, one
    /// per call: the buffer of a block the post-write cache let go of, zeroed here, else the
    /// pieces of a fresh huge-page slab (made outside the store lock: the kernel may compact
    /// memory to find the page, and must zero it). Nothing when neither can be had.
    fn top_up_blocks(&self) {
        if self.lock().spare_blocks.len() >= SPARE_BLOCKS {
            return;
        }
        let reused = self
            .cache_mut()
            .take_released()
            .filter(|b| b.len() == self.block_size);
        let bufs = match reused {
            Some(mut b) => {
                b.as_mut_slice().fill(0);
                Some(vec![b])
            }
            None => AlignedBuf::huge_blocks(self.block_size),
        };
        if let Some(bufs) = bufs {
            debug_assert!(
                bufs.iter()
                    .all(|b| b.len() == self.block_size && b.as_slice().iter().all(|&x| x == 0)),
                "a spare buffer is a zeroed block"
            );
            let mut st = self.lock();
            if st.spare_blocks.len() < SPARE_BLOCKS {
                st.spare_blocks.extend(bufs);
            }
        }
    }

    /// `Maintenance::defrag_block`, under the store lock the caller holds.
    fn defrag_block_in(&self, st: &super::State, block: u32) -> Option<DefragBlock> {
        let b = st.blocks.get(block)?;
        (b.state == BlockState::Defrag).then_some(DefragBlock {
            live: b.used,
            size: self.block_size as u64,
            seq: b.seq,
        })
    }
}

impl Maintenance for DeviceStorage {
    fn relocate(&self, from: Location, image: Vec<u8>) -> Result<Placement> {
        self.append_inner(image, Some(from))
    }

    fn flush_step(&self, force_partial: bool) -> Result<u64> {
        let r = match self.flush_once(force_partial, true)? {
            flush::Flushed::Done(bytes) => Ok(bytes),
            flush::Flushed::Nothing | flush::Flushed::Busy => Ok(0),
        };
        self.top_up_blocks();
        r
    }

    fn wait_for_work(&self, timeout: Duration) {
        let st = self.lock();
        // Sealed buffers already written wait only for their sync: no work for the flusher.
        if st.sealed.iter().all(|s| s.flushed >= self.block_size) {
            drop(st.wait_timeout(&self.work_cv, timeout));
        }
    }

    fn flush_interval(&self) -> Duration {
        self.flush_max
            .clamp(Duration::from_millis(1), Duration::from_millis(50))
    }

    fn defrag_due(&self) -> bool {
        let st = self.lock();
        let b = &st.blocks;
        defrag_due(b.free_count(), b.len(), b.defrag_queued(), self.defrag_free_hwm_pct)
    }

    fn defrag_next(&self) -> Option<u32> {
        let next = self.lock().blocks.pop_defrag();
        debug_assert!(
            next.is_none_or(|b| b < self.total_blocks),
            "the defrag queue holds blocks of this store"
        );
        next
    }

    fn defrag_done(&self, block: u32, complete: bool) {
        if !complete {
            self.lock().blocks.requeue_defrag(block);
        }
    }

    fn defrag_read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>> {
        self.read_images(reqs, false)
    }

    fn defrag_block(&self, block: u32) -> Option<DefragBlock> {
        self.defrag_block_in(&self.lock(), block)
    }

    fn defrag_queued(&self, limit: usize) -> Vec<(u32, DefragBlock)> {
        let st = self.lock();
        let queued = st.blocks.peek_defrag(limit);
        queued
            .into_iter()
            .filter_map(|b| Some((b, self.defrag_block_in(&st, b)?)))
            .collect()
    }

    fn blocks_images(
        &self,
        blocks: &[u32],
        visit: &mut dyn FnMut(usize, Location, &[u8]),
    ) -> Result<()> {
        if let Some(b) = blocks.iter().find(|&&b| b >= self.total_blocks) {
            return err(
                ResultCode::ParameterError,
                format!(
                    "block {b} asked for; the store has {} blocks",
                    self.total_blocks
                ),
            );
        }
        let bufs = self.read_blocks(blocks)?;
        assert_eq!(bufs.len(), blocks.len(), "one buffer per block read");
        for (i, (&block, buf)) in blocks.iter().zip(bufs).enumerate() {
            let s = scan_block(buf.as_slice(), block, self.device_set_id);
            for (off, len) in s.images {
                debug_assert!(
                    (off + len) as usize <= buf.as_slice().len(),
                    "a scanned image lies inside its block"
                );
                visit(
                    i,
                    Location { block, offset: off },
                    &buf.as_slice()[off as usize..(off + len) as usize],
                );
            }
        }
        Ok(())
    }

    fn readable_blocks(&self) -> Vec<u32> {
        let st = self.lock();
        st.blocks
            .iter()
            .filter(|(_, b)| b.seq != 0)
            .map(|(g, _)| g)
            .collect()
    }

    fn tomb_reclaim_period(&self) -> Option<Duration> {
        self.tomb_period
    }

    fn truncations(&self) -> Vec<(String, u64)> {
        let st = self.lock();
        let mut all: Vec<(String, u64)> = Vec::new();
        for (name, cut) in st.headers.iter().flat_map(|h| h.truncations.iter()) {
            match all.iter_mut().find(|(n, _)| n == name) {
                Some((_, c)) => *c = (*c).max(*cut),
                None => all.push((name.clone(), *cut)),
            }
        }
        all
    }

    fn persist_truncations(&self, table: &[(String, u64)]) -> Result<()> {
        let len = header::truncations_len(table);
        if len > header::TRUNC_BYTES_MAX {
            return err(
                ResultCode::ParameterError,
                format!(
                    "the truncate table needs {len} bytes; the device header holds {} \
                     (about 55 truncated sets): truncate the whole namespace instead, which \
                     replaces every set's cut-off (TRUNC-PERSIST-1)",
                    header::TRUNC_BYTES_MAX
                ),
            );
        }
        let mut st = self.lock();
        if let Some(f) = &st.failed {
            return err(
                ResultCode::ServerError,
                format!("storage failed earlier ({f}); truncate not persisted"),
            );
        }
        for h in st.headers.iter_mut() {
            h.truncations = table.to_vec();
        }
        let r = self.write_headers(&mut st, false);
        if let Err(e) = &r {
            self.fail(&mut st, e);
        }
        debug_assert!(
            st.headers.iter().all(|h| h.truncations == table),
            "every device header carries the table"
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::config::DeviceConfig;
    use crate::format::record_image;
    use crate::record::key::Digest;
    use crate::storage::cold_start::tests::{image, image_of};
    use crate::storage::Storage;
    use std::sync::Arc;

    /// The flusher prepares huge-page buffers (where the kernel gives them); the next block to
    /// open takes one instead of allocating, and its images read back as appended.
    #[test]
    fn the_flusher_prepares_block_buffers_and_a_new_block_takes_one() {
        if AlignedBuf::huge_blocks(1 << 20).is_none() {
            return; // no huge-page slabs here: blocks get ordinary buffers
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = DeviceConfig::new(dir.path().join("d")).file_size(32 << 20);
        let s = crate::storage::ssd::open::ready(&cfg, 90, 5, false, Arc::new(SystemClock));
        assert_eq!(s.block_size, 1 << 20, "the default block size divides 2 MiB");
        assert!(s.lock().spare_blocks.is_empty(), "nothing prepared yet");
        s.flush_step(false).expect("flush step");
        assert_eq!(s.lock().spare_blocks.len(), SPARE_BLOCKS, "prepared");
        s.flush_step(false).expect("flush step");
        assert_eq!(s.lock().spare_blocks.len(), SPARE_BLOCKS, "no more than needed");
        let img = image(7, 0);
        let p = s.append(img.clone()).expect("append opens a block");
        assert_eq!(
            s.lock().spare_blocks.len(),
            SPARE_BLOCKS - 1,
            "the new block took a prepared buffer"
        );
        let back = s.read(p.location, p.size).expect("read back");
        assert_eq!(record_image::decode_meta(&back).expect("decodes").digest, Digest([7; 20]));
    }

    /// A block that leaves the post-write cache lends its buffer, zeroed, to a block opened
    /// later (instead of the buffer being unmapped and a fresh page zeroed by the kernel), and
    /// every image still reads back as appended. The spares are dropped before each flush step,
    /// so the step's top-up shows its source: one buffer is a reused block, a fresh slab gives
    /// two pieces (or none where huge pages cannot be had).
    #[test]
    fn a_block_that_leaves_the_post_write_cache_lends_its_buffer_to_a_later_block() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = DeviceConfig::new(dir.path().join("d"))
            .file_size(32 << 20)
            .post_write_cache(1 << 20);
        let s = crate::storage::ssd::open::ready(&cfg, 90, 5, false, Arc::new(SystemClock));
        let (mut reused, mut placed) = (0, Vec::new());
        for i in 0..48u8 {
            let img = big_image(i);
            placed.push((s.append(img.clone()).expect("append"), img));
            s.lock().spare_blocks.clear();
            s.flush_step(true).expect("flush step");
            let st = s.lock();
            assert!(st.spare_blocks.iter().all(|b| b.as_slice().iter().all(|&x| x == 0)));
            reused += usize::from(st.spare_blocks.len() == 1);
        }
        assert!(reused >= 4, "blocks that left the cache were reused: {reused}");
        for (p, img) in &placed {
            let back = s.read(p.location, p.size).expect("read back");
            assert_eq!(back.len(), img.len());
            let (got, want) = (record_image::decode_meta(&back), record_image::decode_meta(img));
            assert_eq!(got.expect("decodes").digest, want.expect("decodes").digest);
            assert_eq!(back[back.len() - 100..], img[img.len() - 100..], "the blob's tail");
        }
    }

    /// A sealed image of one 200,000-byte blob bin: five fill a 1 MiB block.
    fn big_image(d: u8) -> Vec<u8> {
        image_of(d, 0, crate::record::value::Value::Blob(vec![d; 200_000]))
    }
}
