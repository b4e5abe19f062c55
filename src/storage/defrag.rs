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

/// The defrag queue.
#[derive(Debug, Default)]
pub struct DefragQueue {
    q: VecDeque<u32>,
}

impl DefragQueue {
    /// Queue `b` unless already queued.
    pub fn push(&mut self, b: u32) {
        if !self.q.contains(&b) {
            self.q.push_back(b);
        }
        debug_assert_eq!(
            self.q.iter().filter(|&&x| x == b).count(),
            1,
            "queued at most once"
        );
    }

    /// The oldest queued block.
    pub fn pop(&mut self) -> Option<u32> {
        self.q.pop_front()
    }

    /// Forget `b` (it was freed).
    pub fn remove(&mut self, b: u32) {
        self.q.retain(|&x| x != b);
    }

    /// Replace the contents by `(used_bytes, block)` pairs, emptiest first (after a restart).
    pub fn refill(&mut self, mut by_used: Vec<(u64, u32)>) {
        by_used.sort_unstable();
        self.q = by_used.into_iter().map(|(_, b)| b).collect();
        debug_assert!(
            self.q
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                == self.q.len(),
            "a restart queues each block at most once"
        );
    }

    /// Blocks queued.
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// Whether empty.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
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
}
