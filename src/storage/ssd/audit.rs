//! The device store's side of `Database::check_integrity`: every image the index references lies
//! in a used block of the current incarnation, inside the block's written part, without
//! overlapping another; each block's used-byte count equals the sum of its live images, and the
//! store's live-byte total equals the index's (blocks.rs, storage-format.md §"Write block").
//!
//! Invariants: the audit only reads the store state (one lock, no I/O) and never panics on what it
//! finds; it reports each disagreement in words.

use super::{DeviceStorage, State};
use crate::format::write_block::HEADER_LEN;
use crate::storage::blocks::BlockState;
use crate::storage::Location;
use crate::storage::StorageAudit;

impl DeviceStorage {
    /// See [`crate::storage::Storage::audit`].
    pub(super) fn audit_live(
        &self,
        live: &mut dyn Iterator<Item = (Location, u32)>,
    ) -> StorageAudit {
        let st = self.lock();
        let mut a = StorageAudit::default();
        let mut sums = vec![0u64; self.total_blocks as usize];
        let mut extents: Vec<(u32, u32, u32)> = Vec::new();
        for (loc, size) in live {
            a.images += 1;
            a.bytes += u64::from(size);
            if self.audit_one(&st, loc, size, &mut a) {
                sums[loc.block as usize] += u64::from(size);
                extents.push((loc.block, loc.offset, size));
            }
        }
        audit_overlaps(&mut extents, &mut a);
        st.blocks.audit(&sums, &mut a);
        a.blocks = u64::from(self.total_blocks);
        let bytes = a.bytes;
        if st.live_bytes != bytes {
            a.problem(|| format!("live_bytes {}, index entries sum to {bytes}", st.live_bytes));
        }
        self.audit_queues(&st, &mut a);
        a
    }

    /// One image: its block is in use and of a written incarnation, and the image lies inside the
    /// block's data (below the write frontier of the open block). False when it cannot be counted.
    fn audit_one(&self, st: &State, loc: Location, size: u32, a: &mut StorageAudit) -> bool {
        let Some(info) = st.blocks.get(loc.block) else {
            a.problem(|| {
                format!(
                    "entry at {loc:?} names a block beyond {}",
                    self.total_blocks
                )
            });
            return false;
        };
        if info.state == BlockState::Free || info.seq == 0 {
            a.problem(|| format!("entry at {loc:?} lies in a free block ({info:?})"));
            return false;
        }
        let end = u64::from(loc.offset) + u64::from(size);
        let limit = match st.current.as_ref().filter(|c| c.block == loc.block) {
            Some(c) => c.pos() as u64,
            None => self.block_size as u64,
        };
        if (loc.offset as usize) < HEADER_LEN
            || size == 0
            || end > limit
            || !size.is_multiple_of(16)
        {
            a.problem(|| {
                format!("entry at {loc:?} of {size} bytes lies outside [{HEADER_LEN}, {limit})")
            });
        }
        true
    }

    /// The open block is `Open`, the flush queue holds `Sealed` blocks in sequence order, and the
    /// durable frontier is below every ticket still to be written.
    fn audit_queues(&self, st: &State, a: &mut StorageAudit) {
        if let Some(c) = &st.current {
            let state = st.blocks.get(c.block).map(|b| (b.state, b.seq));
            if state != Some((BlockState::Open, c.seq)) {
                a.problem(|| {
                    format!(
                        "open buffer on block {} seq {}: table says {state:?}",
                        c.block, c.seq
                    )
                });
            }
        }
        let mut last = 0;
        for s in &st.sealed {
            let state = st.blocks.get(s.block).map(|b| (b.state, b.seq));
            if state != Some((BlockState::Sealed, s.seq)) || s.seq <= last {
                a.problem(|| {
                    format!(
                        "flush queue block {} seq {} after {last}: table says {state:?}",
                        s.block, s.seq
                    )
                });
            }
            last = s.seq;
        }
        if st.durable > st.flush.submitted {
            a.problem(|| {
                format!(
                    "durable frontier {:#x} above submitted {:#x}",
                    st.durable, st.flush.submitted
                )
            });
        }
    }
}

/// No two images of a block overlap (`extents`: block, offset, size).
fn audit_overlaps(extents: &mut [(u32, u32, u32)], a: &mut StorageAudit) {
    extents.sort_unstable();
    for w in extents.windows(2) {
        let ((b0, o0, s0), (b1, o1, _)) = (w[0], w[1]);
        if b0 == b1 && u64::from(o0) + u64::from(s0) > u64::from(o1) {
            a.problem(|| format!("images at block {b0} offsets {o0} (+{s0}) and {o1} overlap"));
        }
    }
}
