//! Storage side of defragmentation: the low-water mark, the queue of blocks waiting to be
//! emptied, and the write-amplification bound the mark implies (SN-REQ-DEFRAG-LWM). The block
//! state machine that feeds the queue is `blocks`; the step that moves live images under record
//! locks is `engine::defrag` (it needs the index).
//!
//! Invariants: a block is in the queue at most once; the queue is first in, first out, except
//! after a restart, where it is filled emptiest first.

use std::collections::VecDeque;

/// Live bytes below which a block of `block_size` bytes is queued, for `lwm_pct` percent.
pub fn lwm_bytes(block_size: u32, lwm_pct: u8) -> u64 {
    assert!(
        lwm_pct <= 100,
        "defrag_lwm_pct is a percentage (config::validate)"
    );
    u64::from(block_size) * u64::from(lwm_pct) / 100
}

/// Steady-state bound on device bytes per client byte: a block is rewritten when at most a
/// fraction `L` of it is live, so each block of new data costs at most `1 / (1 − L)` blocks.
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
pub fn write_amplification_bound(lwm_pct: u8) -> f64 {
    1.0 / (1.0 - f64::from(lwm_pct.min(99)) / 100.0)
}

/// Whether the background defrag should empty queued blocks now: some are queued and the free
/// blocks are at most `free_hwm_pct` percent of all `total` blocks. While more are free, a
/// block below the low-water mark waits: under overwrites it usually empties by itself and is
/// then freed without a read (a defrag pass reads the whole block to move what is left), so
/// cleaning waits until the space is wanted. 100 cleans as soon as a block is queued
/// (Aerospike's behavior). An explicit `defrag_step` ignores this.
pub fn defrag_due(free: usize, total: usize, queued: usize, free_hwm_pct: u8) -> bool {
    assert!(free <= total, "free blocks are blocks of the store");
    queued > 0 && free.saturating_mul(100) <= total.saturating_mul(usize::from(free_hwm_pct))
}

/// Stale entries (of blocks removed from the queue) the queue keeps before compacting.
const STALE_MIN: usize = 64;

/// The defrag queue: first in, first out, with constant-time push, pop and remove, since it may
/// hold a large share of the blocks while defrag waits ([`defrag_due`]). A removed block's
/// entry stays behind, stale, until it is popped past or the stale entries outnumber both the
/// live ones and [`STALE_MIN`]; then they are dropped in one pass.
#[derive(Debug, Default)]
pub struct DefragQueue {
    q: VecDeque<u32>,
    /// `queued[b]`: block `b` is in the queue (its live entry is the first one of `b` in `q`).
    queued: Vec<bool>,
    /// Blocks in the queue (`q.len()` minus the stale entries).
    live: usize,
}

impl DefragQueue {
    fn is_queued(&self, b: u32) -> bool {
        self.queued.get(b as usize).copied().unwrap_or(false)
    }

    fn set_queued(&mut self, b: u32, on: bool) {
        let i = b as usize;
        if i >= self.queued.len() {
            self.queued.resize(i + 1, false);
        }
        self.queued[i] = on;
    }

    /// Queue `b` unless already queued.
    pub fn push(&mut self, b: u32) {
        if !self.is_queued(b) {
            self.set_queued(b, true);
            self.q.push_back(b);
            self.live += 1;
        }
        debug_assert!(self.live <= self.q.len(), "every queued block has an entry");
    }

    /// The oldest queued block.
    pub fn pop(&mut self) -> Option<u32> {
        while let Some(b) = self.q.pop_front() {
            if self.is_queued(b) {
                self.set_queued(b, false);
                self.live -= 1;
                return Some(b);
            }
        }
        assert_eq!(self.live, 0, "an empty queue holds no block");
        None
    }

    /// Up to `limit` queued blocks in the order `pop` hands them out, without taking them.
    pub fn peek(&self, limit: usize) -> Vec<u32> {
        let mut seen = std::collections::HashSet::new();
        let out: Vec<u32> = self
            .q
            .iter()
            .copied()
            .filter(|&b| self.is_queued(b) && seen.insert(b))
            .take(limit)
            .collect();
        debug_assert!(out.len() <= self.live.min(limit), "only queued blocks, once each");
        out
    }

    /// Forget `b` (it was freed).
    pub fn remove(&mut self, b: u32) {
        if !self.is_queued(b) {
            return;
        }
        self.set_queued(b, false);
        self.live -= 1;
        let stale = self.q.len() - self.live;
        if stale > STALE_MIN.max(self.live) {
            // Keep the first entry of each queued block (its place in the order).
            let mut seen = vec![false; self.queued.len()];
            let queued = &self.queued;
            self.q.retain(|&x| {
                let keep = queued[x as usize] && !seen[x as usize];
                seen[x as usize] = true;
                keep
            });
            assert_eq!(self.q.len(), self.live, "compaction keeps one entry per queued block");
        }
    }

    /// Replace the contents by `(used_bytes, block)` pairs, emptiest first (after a restart).
    pub fn refill(&mut self, mut by_used: Vec<(u64, u32)>) {
        by_used.sort_unstable();
        *self = DefragQueue::default();
        for (_, b) in by_used {
            self.push(b);
        }
        debug_assert_eq!(self.live, self.q.len(), "a restart queues each block at most once");
    }

    /// Blocks queued.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether empty.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lwm_bound_and_queue_order() {
        assert_eq!(lwm_bytes(1 << 20, 50), 1 << 19);
        assert!((write_amplification_bound(50) - 2.0).abs() < 1e-9);
        assert!((write_amplification_bound(75) - 4.0).abs() < 1e-9);
        let mut q = DefragQueue::default();
        q.push(3);
        q.push(1);
        q.push(3);
        assert_eq!(q.len(), 2, "at most once");
        q.remove(3);
        assert_eq!(q.pop(), Some(1));
        q.refill(vec![(900, 7), (100, 8)]);
        assert_eq!(q.pop(), Some(8), "emptiest first after a restart");
        assert!(!q.is_empty());
    }

    #[test]
    fn removed_blocks_keep_their_order_and_the_queue_stays_compact() {
        let mut q = DefragQueue::default();
        q.push(5);
        q.push(6);
        q.remove(5);
        q.push(5); // queued again after removal: behind 6 or at its old place, never twice
        assert_eq!(q.len(), 2);
        let mut popped = vec![q.pop(), q.pop(), q.pop()];
        popped.sort();
        assert_eq!(popped, vec![None, Some(5), Some(6)]);
        // Many blocks queued and freed while nothing pops (defrag waiting): the entries kept
        // stay within max(STALE_MIN, live) stale ones, so the queue does not grow without bound.
        q.push(1_000_000);
        for round in 0..10_000u32 {
            q.push(round % 4096);
            q.remove(round % 4096);
            assert!(q.q.len() <= 2 * STALE_MIN + 2, "round {round}: {} entries", q.q.len());
        }
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(), Some(1_000_000));
        assert_eq!(q.pop(), None);
    }

    /// `peek` shows what `pop` hands out next, in order, each block once, without taking any.
    #[test]
    fn peek_shows_the_pop_order_without_popping() {
        let mut q = DefragQueue::default();
        for b in [4, 2, 9, 7] {
            q.push(b);
        }
        q.remove(2);
        q.push(2); // removed, then queued again: one entry counts
        let peeked = q.peek(10);
        assert_eq!(peeked.len(), 4);
        assert_eq!(q.peek(2), peeked[..2], "the first of them");
        let popped: Vec<u32> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(peeked, popped, "the same blocks in the same order");
        assert!(q.peek(10).is_empty());
    }

    #[test]
    fn defrag_waits_while_more_than_the_free_hwm_is_free() {
        assert!(!defrag_due(60, 100, 5, 50), "60 % free > 50 %");
        assert!(defrag_due(50, 100, 5, 50), "50 % free");
        assert!(defrag_due(10, 100, 5, 50));
        assert!(!defrag_due(10, 100, 0, 50), "nothing queued");
        assert!(defrag_due(99, 100, 1, 100), "100: always, as Aerospike");
        assert!(defrag_due(100, 100, 1, 100));
        assert!(!defrag_due(2, 100, 1, 1), "1 %: only when nearly full");
        assert!(defrag_due(1, 100, 1, 1));
    }
}
