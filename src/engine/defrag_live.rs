//! The live images of sparse blocks under defrag, found by one pass over the index for many
//! blocks at once and kept until each block's turn comes.
//!
//! A pass visits every index entry, so it costs time in proportion to the records (at 1M
//! records about 10 ms). Made once per defrag step of a few blocks, it was most of the
//! maintenance thread's time at 1M records and bounded how fast defrag could free blocks
//! (BENCHMARKS.md "Session 21", "Session 22"). One pass now serves up to [`PASS_BLOCKS`] blocks:
//! the sparse blocks of the step that have no list yet, and the sparse blocks queued next.
//!
//! Invariants:
//! - a list is handed out only for the block incarnation (`seq`) it was found for, and once;
//! - it holds every image the index pointed at in that block during the pass. A block in the
//!   defrag queue receives no new image (only the open block does), and a block freed and
//!   reopened has another incarnation, so every image of the block live at its defrag is in the
//!   list; images that died since are dropped by `empty_block`'s checks under the record lock;
//! - a pass replaces every list kept, so at most [`PASS_BLOCKS`] lists are kept.

use crate::index::{Index, Location};
use std::collections::HashMap;

/// Blocks one pass over the index finds the live images of, at most.
pub const PASS_BLOCKS: usize = 256;

/// The live images (location, size) of one block, as a pass found them.
pub type Live = Vec<(Location, u32)>;

/// The lists of the last pass not yet handed out, by block: (incarnation, live images).
#[derive(Debug, Default)]
pub struct LiveLists {
    lists: HashMap<u32, (u64, Live)>,
    /// Passes over the index made so far.
    passes: u64,
}

impl LiveLists {
    /// The lists of `blocks` (block, incarnation), in order: those kept from the last pass, and
    /// for the others one new pass over `index` that also covers `next` (blocks queued next,
    /// kept for their turn) up to [`PASS_BLOCKS`] blocks in all.
    pub fn take(
        &mut self,
        index: &Index,
        blocks: &[(u32, u64)],
        next: impl FnOnce() -> Vec<(u32, u64)>,
    ) -> Vec<Live> {
        let mut out: Vec<Option<Live>> =
            blocks.iter().map(|&(b, seq)| self.take_kept(b, seq)).collect();
        let missing: Vec<(u32, u64)> = blocks
            .iter()
            .zip(&out)
            .filter(|(_, l)| l.is_none())
            .map(|(&b, _)| b)
            .collect();
        if !missing.is_empty() {
            let mut pass = missing;
            let room = PASS_BLOCKS.saturating_sub(pass.len());
            let next = next();
            pass.extend(
                next.iter()
                    .filter(|n| !blocks.iter().any(|b| b.0 == n.0))
                    .take(room),
            );
            self.lists = pass_over(index, &pass);
            self.passes += 1;
            for (slot, &(b, seq)) in out.iter_mut().zip(blocks) {
                if slot.is_none() {
                    *slot = self.take_kept(b, seq);
                }
            }
        }
        assert!(self.lists.len() <= PASS_BLOCKS, "a pass keeps at most PASS_BLOCKS lists");
        out.into_iter()
            .map(|l| l.expect("every block without a kept list was in the pass"))
            .collect()
    }

    /// Passes over the index made so far.
    pub fn passes(&self) -> u64 {
        self.passes
    }

    fn take_kept(&mut self, block: u32, seq: u64) -> Option<Live> {
        match self.lists.remove(&block) {
            Some((s, live)) if s == seq => Some(live),
            _ => None,
        }
    }
}

/// One pass over `index`: the images it points at in each of `blocks` (distinct).
fn pass_over(index: &Index, blocks: &[(u32, u64)]) -> HashMap<u32, (u64, Live)> {
    let top = blocks.iter().map(|&(b, _)| b as usize + 1).max().unwrap_or(0);
    // slot[b]: where block b's list is (`u32::MAX`: not in the pass); one array read per entry.
    let mut slot = vec![u32::MAX; top];
    for (i, &(b, _)) in blocks.iter().enumerate() {
        assert_eq!(slot[b as usize], u32::MAX, "a block is in a pass once");
        slot[b as usize] = i as u32;
    }
    let mut found: Vec<Live> = blocks.iter().map(|_| Vec::new()).collect();
    index.for_each(|_, e| {
        if let Some(&i) = slot.get(e.location.block as usize) {
            if i != u32::MAX {
                found[i as usize].push((e.location, e.size));
            }
        }
    });
    blocks
        .iter()
        .zip(found)
        .map(|(&(b, seq), live)| (b, (seq, live)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::IndexEntry;
    use crate::record::key::Digest;

    fn put(index: &Index, d: u8, block: u32, offset: u32) {
        let mut e = IndexEntry::default();
        e.location = Location { block, offset };
        e.size = 100 + u32::from(d);
        index.put(Digest([d; 20]), e);
    }

    fn index_with(places: &[(u8, u32, u32)]) -> Index {
        let index = Index::new();
        for &(d, block, offset) in places {
            put(&index, d, block, offset);
        }
        index
    }

    fn offsets(live: &Live) -> Vec<u32> {
        let mut o: Vec<u32> = live.iter().map(|(l, _)| l.offset).collect();
        o.sort_unstable();
        o
    }

    /// One pass finds the blocks asked for and those queued next; the queued ones are handed
    /// out later without another pass, once, and only for the incarnation they were found for.
    #[test]
    fn one_pass_serves_the_step_and_the_blocks_queued_next() {
        let index = index_with(&[(1, 3, 0), (2, 3, 512), (3, 5, 0), (4, 7, 1024), (5, 9, 0)]);
        let mut lists = LiveLists::default();
        let got = lists.take(&index, &[(3, 30)], || vec![(5, 50), (7, 70)]);
        assert_eq!(got.len(), 1);
        assert_eq!(offsets(&got[0]), vec![0, 512]);
        assert_eq!(got[0].iter().map(|l| l.1).sum::<u32>(), 203, "with their sizes");
        // Index changes after the pass are not seen by kept lists: proof no second pass ran.
        put(&index, 6, 5, 2048);
        let got = lists.take(&index, &[(5, 50)], Vec::new);
        assert_eq!(offsets(&got[0]), vec![0], "kept from the first pass");
        // A block reopened since (another incarnation) gets a new pass.
        let got = lists.take(&index, &[(7, 71)], Vec::new);
        assert_eq!(offsets(&got[0]), vec![1024]);
        assert!(lists.lists.is_empty(), "the new pass replaced the kept lists");
        // Handed out once: asking again runs a pass that sees the index as it is now.
        let got = lists.take(&index, &[(5, 50)], Vec::new);
        assert_eq!(offsets(&got[0]), vec![0, 2048]);
    }

    /// A pass covers at most `PASS_BLOCKS` blocks, the step's first.
    #[test]
    fn a_pass_is_bounded() {
        let index = index_with(&[(1, 0, 0)]);
        let next: Vec<(u32, u64)> = (1..1000).map(|b| (b, 1)).collect();
        let mut lists = LiveLists::default();
        let got = lists.take(&index, &[(0, 1)], || next);
        assert_eq!(offsets(&got[0]), vec![0]);
        assert_eq!(lists.lists.len(), PASS_BLOCKS - 1, "the rest of the pass is kept");
        assert!(lists.lists.contains_key(&(PASS_BLOCKS as u32 - 1)));
        assert!(!lists.lists.contains_key(&(PASS_BLOCKS as u32)));
    }
}
