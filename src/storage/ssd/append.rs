//! Appending an image: into the open write buffer, sealing it into the flush queue and opening
//! the next block when the image does not fit.
//!
//! The image is sealed (its block sequence set and its CRC computed) before the store lock is
//! taken, with the open block's sequence as last published in `open_seq`, so the CRC is not
//! computed inside the critical section every writer queues for; under the lock the image is
//! sealed again only when the block it lands in has another sequence (a block opened meanwhile,
//! or by this append) — once per block, not per image.
//!
//! Invariants:
//! - an image is placed only in the open block, and its ticket lies above the durable frontier;
//! - a placed image carries the sequence of the block it lies in, and its CRC covers it
//!   (the sequence asserted before the copy; `open_seq` is only a hint);
//! - a failed store refuses every append (SN-REQ-WRITE-ERROR).

use super::{DeviceStorage, Sealed};
use crate::error::{err, Result, ResultCode};
use crate::format::record_image;
use crate::storage::device::AlignedBuf;
use crate::storage::write_buffer::WriteBuffer;
use crate::storage::Location;
use crate::storage::{Maintenance, Placement};
use std::sync::atomic::Ordering;

impl DeviceStorage {
    /// Place `image` in the open block (a defrag copy of `from` when given); returns where it
    /// lies and its durability ticket.
    pub(super) fn append_inner(
        &self,
        mut image: Vec<u8>,
        from: Option<Location>,
    ) -> Result<Placement> {
        if !self.background && !self.lock().sealed.is_empty() {
            self.flush_step(false)?;
        }
        let size = image.len();
        if size > self.max_image() {
            return err(
                ResultCode::RecordTooBig,
                format!(
                    "image of {size} bytes does not fit a {} byte write block (L-RECORD-SIZE)",
                    self.block_size
                ),
            );
        }
        let hint = self.open_seq.load(Ordering::Relaxed);
        if hint != 0 {
            record_image::seal(&mut image, hint);
        }
        let mut st = self.lock();
        if let Some(f) = &st.failed {
            return err(ResultCode::ServerError, format!("device store failed: {f}"));
        }
        if st.current.as_ref().is_none_or(|c| !c.fits(size)) {
            let seq = st.next_seq;
            let Some(b) = st.blocks.open(seq, from.is_some()) else {
                return err(
                    ResultCode::ServerMemError,
                    "no free write block outside the defrag reserve (L-NO-BLOCK)",
                );
            };
            st.next_seq += 1;
            if let Some(cur) = st.current.take() {
                // Its images now go out with the sealed block, whatever batch comes next.
                st.flush.tail_appended = 0;
                st.blocks.seal(cur.block);
                let (block, seq, flushed) = (cur.block, cur.seq, cur.flushed);
                st.sealed.push_back(Sealed {
                    block,
                    seq,
                    flushed,
                    buf: cur.seal(),
                });
                self.work_cv.notify_all();
            }
            // A zeroed buffer the flusher prepared (reused or a huge page), else an ordinary
            // one: a writer never waits for the kernel to find a huge page (`top_up_blocks`).
            let buf = st
                .spare_blocks
                .pop()
                .unwrap_or_else(|| AlignedBuf::zeroed(self.block_size));
            st.current = Some(WriteBuffer::new(b, seq, buf, self.device_set_id));
            self.open_seq.store(seq, Ordering::Relaxed);
        }
        let cur = st.current.as_mut().expect("a block was opened above");
        if hint != cur.seq {
            record_image::seal(&mut image, cur.seq);
        }
        assert_eq!(
            record_image::block_seq_of(&image),
            Some(cur.seq),
            "an image is placed sealed with its block's sequence"
        );
        let offset = cur.place(&image);
        let (block, seq, ticket) = (cur.block, cur.seq, cur.seq << 32 | cur.pos() as u64);
        debug_assert!(
            ticket > st.durable,
            "a new image lies above the durable frontier"
        );
        st.blocks.add(block, size as u32);
        st.live_bytes += size as u64;
        self.note_append(&mut st, from.is_none() && self.commit_to_device);
        match from {
            Some(f) => {
                st.blocks.note_copy(f.block, ticket);
                st.moves.note(seq, Location { block, offset }, ticket, f);
                self.counters
                    .defrag_bytes
                    .fetch_add(size as u64, Ordering::Relaxed);
            }
            None => {
                self.counters
                    .client_bytes
                    .fetch_add(size as u64, Ordering::Relaxed);
            }
        }
        Ok(Placement {
            location: Location { block, offset },
            size: size as u32,
            ticket,
        })
    }
}
