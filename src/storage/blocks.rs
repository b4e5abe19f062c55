//! Per-block bookkeeping of the log-structured store: state machine, used bytes, incarnation
//! sequence, free set and defrag queue (storage-notes.md §4; SN-REQ-DEFRAG-INVARIANT).
//!
//! States: `Free` → `Open` (the write buffer is on it) → `Sealed` (full, queued for flush) →
//! `Used` (on the device) → `Defrag` (below the low-water mark: queued or being emptied) →
//! `Free`. A `Used` block whose used bytes reach 0 is freed directly.
//!
//! Invariants (asserted):
//! - `used` is the sum of the sizes of the images the index points at in the block;
//! - a block is in the free set iff its state is `Free`;
//! - a block becomes `Free` only when `used == 0` **and** every copy defrag made of its images is
//!   durable (`pending_ticket ≤ durable`), so each live record always has a durable image;
//! - normal writes never take the last `reserve` free blocks (they stay for defrag).

use crate::storage::defrag::{lwm_bytes, DefragQueue};
use std::collections::BTreeSet;

/// A block's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockState {
    /// In the free set (may still hold an old incarnation on the device).
    Free,
    /// The current write buffer.
    Open,
    /// Full, waiting for its flush.
    Sealed,
    /// On the device.
    Used,
    /// On the device, below the low-water mark: queued for or under defragmentation.
    Defrag,
}

/// One block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// State.
    pub state: BlockState,
    /// Sequence of the incarnation on the device or being written (0 = never written).
    pub seq: u64,
    /// Bytes of live images.
    pub used: u64,
    /// Highest durability ticket of a defrag copy of one of its images.
    pub pending_ticket: u64,
}

/// The table.
#[derive(Debug)]
pub struct BlockTable {
    blocks: Vec<BlockInfo>,
    free: BTreeSet<u32>,
    defrag_queue: DefragQueue,
    awaiting_free: BTreeSet<u32>,
    lwm_bytes: u64,
    reserve: usize,
}

impl BlockTable {
    /// `count` free, never-written blocks.
    pub fn new(count: u32, block_size: u32, lwm_pct: u8, reserve: usize) -> BlockTable {
        BlockTable {
            blocks: vec![
                BlockInfo {
                    state: BlockState::Free,
                    seq: 0,
                    used: 0,
                    pending_ticket: 0,
                };
                count as usize
            ],
            free: (0..count).collect(),
            defrag_queue: DefragQueue::default(),
            awaiting_free: BTreeSet::new(),
            lwm_bytes: lwm_bytes(block_size, lwm_pct),
            reserve,
        }
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether there are no blocks.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// One block.
    pub fn get(&self, b: u32) -> Option<&BlockInfo> {
        self.blocks.get(b as usize)
    }

    fn at(&mut self, b: u32) -> &mut BlockInfo {
        &mut self.blocks[b as usize]
    }

    /// Free blocks.
    pub fn free_count(&self) -> usize {
        self.free.len()
    }

    /// Blocks queued for defrag.
    pub fn defrag_queued(&self) -> usize {
        self.defrag_queue.len()
    }

    /// Iterate all blocks.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &BlockInfo)> {
        self.blocks.iter().enumerate().map(|(i, b)| (i as u32, b))
    }

    /// Take the lowest free block for a new incarnation `seq`; `None` when only the reserve is
    /// left and the caller is not defrag (L-NO-BLOCK).
    pub fn open(&mut self, seq: u64, for_defrag: bool) -> Option<u32> {
        if self.free.len() <= self.reserve && !for_defrag {
            return None;
        }
        let b = self.free.pop_first()?;
        debug_assert!(
            !self.awaiting_free.contains(&b),
            "a free block awaits nothing"
        );
        let info = self.at(b);
        assert_eq!(info.state, BlockState::Free, "free set holds free blocks");
        assert_eq!(info.used, 0, "a free block holds no live image");
        assert!(seq > info.seq, "block sequences only grow");
        *info = BlockInfo {
            state: BlockState::Open,
            seq,
            used: 0,
            pending_ticket: 0,
        };
        Some(b)
    }

    /// The open block is full and queued for flushing.
    pub fn seal(&mut self, b: u32) {
        let info = self.at(b);
        assert_eq!(
            info.state,
            BlockState::Open,
            "only the open block is sealed"
        );
        info.state = BlockState::Sealed;
    }

    /// A sealed block is on the device.
    pub fn flushed(&mut self, b: u32, durable: u64) {
        let info = self.at(b);
        assert_eq!(
            info.state,
            BlockState::Sealed,
            "only sealed blocks are flushed whole"
        );
        info.state = BlockState::Used;
        self.evaluate(b, durable);
    }

    /// An image of `size` bytes was placed in `b`.
    pub fn add(&mut self, b: u32, size: u32) {
        let info = self.at(b);
        assert!(
            matches!(info.state, BlockState::Open),
            "images are placed only in the open block"
        );
        info.used += u64::from(size);
    }

    /// Account an image found by a restart (cold start or snapshot).
    pub fn add_restored(&mut self, b: u32, size: u32) -> bool {
        match self.blocks.get_mut(b as usize) {
            Some(info) if info.seq != 0 => {
                info.used += u64::from(size);
                true
            }
            _ => false,
        }
    }

    /// The image of `size` bytes in `b` died (overwrite, delete, expiry, defrag move).
    pub fn release(&mut self, b: u32, size: u32, durable: u64) {
        let info = self.at(b);
        assert!(info.used >= u64::from(size), "released more than was used");
        assert_ne!(info.state, BlockState::Free, "release in a free block");
        info.used -= u64::from(size);
        self.evaluate(b, durable);
    }

    /// A defrag copy of an image of `b` has durability ticket `ticket`.
    pub fn note_copy(&mut self, b: u32, ticket: u64) {
        let info = self.at(b);
        assert!(info.used > 0, "a copy is made of a live image of block {b}");
        assert_ne!(
            info.state,
            BlockState::Free,
            "a copy's source block is in use"
        );
        info.pending_ticket = info.pending_ticket.max(ticket);
    }

    fn evaluate(&mut self, b: u32, durable: u64) {
        let lwm = self.lwm_bytes;
        let info = *self.at(b);
        match info.state {
            BlockState::Used | BlockState::Defrag if info.used == 0 => {
                if info.pending_ticket <= durable {
                    self.free_now(b, durable);
                } else {
                    self.awaiting_free.insert(b);
                }
            }
            BlockState::Used if info.used < lwm => {
                self.at(b).state = BlockState::Defrag;
                self.defrag_queue.push(b);
            }
            _ => {}
        }
    }

    fn free_now(&mut self, b: u32, durable: u64) {
        let info = self.at(b);
        assert_eq!(
            info.used, 0,
            "SN-REQ-DEFRAG-INVARIANT: free only empty blocks"
        );
        assert!(
            info.pending_ticket <= durable,
            "SN-REQ-DEFRAG-INVARIANT: free block {b} only once its copies are durable"
        );
        assert!(
            matches!(info.state, BlockState::Used | BlockState::Defrag),
            "only blocks on the device are freed"
        );
        info.state = BlockState::Free;
        info.pending_ticket = 0;
        self.awaiting_free.remove(&b);
        self.defrag_queue.remove(b);
        self.free.insert(b);
    }

    /// Durability advanced to `durable`: free the empty blocks whose copies are now durable.
    /// Returns the blocks freed.
    pub fn on_durable(&mut self, durable: u64) -> Vec<u32> {
        let ready: Vec<u32> = self
            .awaiting_free
            .iter()
            .copied()
            .filter(|&b| self.blocks[b as usize].pending_ticket <= durable)
            .collect();
        for &b in &ready {
            let info = self.blocks[b as usize];
            if matches!(info.state, BlockState::Used | BlockState::Defrag) && info.used == 0 {
                self.free_now(b, durable);
            } else {
                self.awaiting_free.remove(&b);
            }
        }
        ready
    }

    /// Next block to defragment (FIFO; emptiest first after a restart).
    pub fn pop_defrag(&mut self) -> Option<u32> {
        while let Some(b) = self.defrag_queue.pop() {
            if self.blocks[b as usize].state == BlockState::Defrag {
                return Some(b);
            }
        }
        None
    }

    /// Up to `limit` blocks `pop_defrag` would hand out next, oldest first, without taking them.
    pub fn peek_defrag(&self, limit: usize) -> Vec<u32> {
        let mut out = self.defrag_queue.peek(limit);
        out.retain(|&b| self.blocks[b as usize].state == BlockState::Defrag);
        out
    }

    /// An interrupted defrag pass: queue `b` again (if it still needs it).
    pub fn requeue_defrag(&mut self, b: u32) {
        if self.get(b).map(|i| i.state) == Some(BlockState::Defrag) {
            self.defrag_queue.push(b);
        }
    }

    /// After a restart: block `b`'s on-device incarnation is `seq` (0 = never written).
    pub fn restore_seq(&mut self, b: u32, seq: u64) {
        if let Some(info) = self.blocks.get_mut(b as usize) {
            info.seq = seq;
        }
    }

    /// After a restart, once every live image was added: classify each block.
    pub fn finish_restore(&mut self) {
        self.free.clear();
        self.awaiting_free.clear();
        let mut defrag: Vec<(u64, u32)> = Vec::new();
        for (i, info) in self.blocks.iter_mut().enumerate() {
            info.pending_ticket = 0;
            if info.used == 0 {
                info.state = BlockState::Free;
                self.free.insert(i as u32);
            } else if info.used < self.lwm_bytes {
                info.state = BlockState::Defrag;
                defrag.push((info.used, i as u32));
            } else {
                info.state = BlockState::Used;
            }
        }
        self.defrag_queue.refill(defrag);
        debug_assert_eq!(
            self.free.len(),
            self.blocks
                .iter()
                .filter(|i| i.state == BlockState::Free)
                .count(),
            "a block is in the free set iff it is free"
        );
    }

    /// Integrity audit: `sums[b]` is the sum of the sizes of the index's images in block `b`.
    /// Checks the first three invariants of this module and reports every disagreement.
    pub fn audit(&self, sums: &[u64], a: &mut crate::storage::StorageAudit) {
        if sums.len() != self.blocks.len() {
            a.problem(|| format!("{} blocks audited of {}", sums.len(), self.blocks.len()));
        }
        for ((b, info), &sum) in self.iter().zip(sums) {
            if info.used != sum {
                a.problem(|| {
                    format!(
                        "block {b} counts {} used bytes, its live images {sum}",
                        info.used
                    )
                });
            }
            if (info.state == BlockState::Free) != self.free.contains(&b) {
                a.problem(|| {
                    format!(
                        "block {b} is {:?} but free-set membership disagrees",
                        info.state
                    )
                });
            }
            if info.state == BlockState::Free && info.used != 0 {
                a.problem(|| format!("free block {b} counts {} used bytes", info.used));
            }
        }
        for &b in &self.awaiting_free {
            let info = self.get(b);
            if info.is_none_or(|i| {
                i.used != 0 || !matches!(i.state, BlockState::Used | BlockState::Defrag)
            }) {
                a.problem(|| format!("block {b} awaits freeing but is {info:?}"));
            }
        }
    }

    /// Sum of used bytes (for assertions and stats).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn used_total(&self) -> u64 {
        self.blocks.iter().map(|b| b.used).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_reserve_and_defrag_invariant() {
        let mut t = BlockTable::new(4, 1000, 50, 2);
        let a = t.open(1, false).expect("a");
        let b = t.open(2, false).expect("b");
        assert_eq!(
            t.open(3, false),
            None,
            "L-NO-BLOCK: the reserve is for defrag"
        );
        t.add(a, 600);
        t.seal(a);
        t.flushed(a, 0);
        assert_eq!(t.get(a).map(|i| i.state), Some(BlockState::Used));
        t.release(a, 200, 0);
        assert_eq!(
            t.get(a).map(|i| i.state),
            Some(BlockState::Defrag),
            "below 50 %"
        );
        assert_eq!(t.pop_defrag(), Some(a));
        // Defrag copies the rest into b with ticket 10, then the source dies.
        t.add(b, 400);
        t.note_copy(a, 10);
        t.release(a, 400, 5);
        assert_eq!(
            t.get(a).map(|i| i.state),
            Some(BlockState::Defrag),
            "not freed before its copies are durable"
        );
        assert_eq!(t.on_durable(9), Vec::<u32>::new());
        assert_eq!(t.on_durable(10), vec![a]);
        assert_eq!(t.get(a).map(|i| i.state), Some(BlockState::Free));
        assert_eq!(t.free_count(), 3);
        assert!(t.open(4, true).is_some());
    }

    #[test]
    fn restore_classifies_by_used_bytes() {
        let mut t = BlockTable::new(3, 1000, 50, 0);
        for b in 0..3 {
            t.restore_seq(b, u64::from(b) + 1);
        }
        assert!(t.add_restored(0, 900));
        assert!(t.add_restored(1, 100));
        t.finish_restore();
        assert_eq!(t.get(0).map(|i| i.state), Some(BlockState::Used));
        assert_eq!(t.get(1).map(|i| i.state), Some(BlockState::Defrag));
        assert_eq!(t.get(2).map(|i| i.state), Some(BlockState::Free));
        assert_eq!(t.pop_defrag(), Some(1));
    }
}
