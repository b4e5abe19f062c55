//! The post-write cache (SN-REQ-READ-BUFFER): recently flushed write blocks kept in memory so
//! reads of recently written records are served without a device read. Keyed by global block
//! number, evicted oldest-inserted first.
//!
//! Invariants:
//! - at most `capacity` blocks are held; a lookup is one hash probe (every read of the store
//!   starts with one, under the cache's own read lock, so it must not scan);
//! - an entry is `(block, seq, bytes)` of the block's incarnation `seq` as flushed; the store
//!   removes a block when it is freed, before it can be reopened, so a held entry is always the
//!   block's current incarnation (readers still check the image's block sequence);
//! - the bytes behind an entry never change (shared `Arc`, no interior mutability), so a reader
//!   may keep using them after the entry is evicted;
//! - evicted blocks are remembered, at most [`EVICTED_KEEP`] of them (oldest forgotten first),
//!   until the store takes them to warm the page cache with their bytes (`ssd/read.rs`); a
//!   removed (freed) block is forgotten there too.

/// Evicted blocks remembered for the page-cache warm-up.
pub const EVICTED_KEEP: usize = 1024;

use crate::storage::device::AlignedBuf;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Hashes a block number by one multiplication (Fibonacci hashing): every read probes the map,
/// and block numbers are small distinct integers, so SipHash's flood resistance buys nothing.
#[derive(Default)]
struct BlockHasher(u64);

impl Hasher for BlockHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(self.0.rotate_left(8) ^ u64::from(*b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Flushed blocks in memory.
pub struct PostWriteCache {
    map: HashMap<u32, (u64, Arc<AlignedBuf>), BuildHasherDefault<BlockHasher>>,
    /// Insertion order as (block, seq); entries whose block was removed or re-inserted since are
    /// skipped at eviction and dropped at compaction.
    order: VecDeque<(u32, u64)>,
    capacity: usize,
    /// Evicted blocks not yet taken, oldest first (≤ `EVICTED_KEEP`).
    evicted: VecDeque<u32>,
}

impl PostWriteCache {
    /// An empty cache of `capacity` blocks (0 = no cache).
    pub fn new(capacity: usize) -> PostWriteCache {
        PostWriteCache {
            map: HashMap::with_capacity_and_hasher(capacity.min(4096), Default::default()),
            order: VecDeque::new(),
            capacity,
            evicted: VecDeque::new(),
        }
    }

    /// Blocks held.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is held.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Capacity in blocks.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The incarnation and bytes of `block`, if held.
    pub fn get(&self, block: u32) -> Option<(u64, &Arc<AlignedBuf>)> {
        self.map.get(&block).map(|(s, b)| (*s, b))
    }

    /// Hold a just-flushed block, evicting the oldest beyond capacity.
    pub fn insert(&mut self, block: u32, seq: u64, buf: Arc<AlignedBuf>) {
        if self.capacity == 0 {
            return;
        }
        self.map.insert(block, (seq, buf));
        self.order.push_back((block, seq));
        while self.map.len() > self.capacity {
            let Some((b, s)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&b).is_some_and(|(cs, _)| *cs == s) {
                self.map.remove(&b);
                if self.evicted.len() == EVICTED_KEEP {
                    self.evicted.pop_front();
                }
                self.evicted.push_back(b);
            }
        }
        if self.order.len() > 2 * self.capacity + 16 {
            let map = &self.map;
            self.order
                .retain(|(b, s)| map.get(b).is_some_and(|(cs, _)| cs == s));
        }
        assert!(
            self.map.len() <= self.capacity && self.evicted.len() <= EVICTED_KEEP,
            "at most `capacity` blocks are held and `EVICTED_KEEP` evictions remembered"
        );
        debug_assert!(
            self.order.len() >= self.map.len(),
            "every held block is in the order"
        );
    }

    /// Forget `block` (it was freed).
    pub fn remove(&mut self, block: u32) {
        self.map.remove(&block);
        self.evicted.retain(|b| *b != block);
    }

    /// Whether evicted blocks wait to be taken.
    pub fn has_evicted(&self) -> bool {
        !self.evicted.is_empty()
    }

    /// Take up to `n` evicted blocks, oldest first.
    pub fn take_evicted(&mut self, n: usize) -> Vec<u32> {
        let n = n.min(self.evicted.len());
        self.evicted.drain(..n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(tag: u8) -> Arc<AlignedBuf> {
        let mut b = AlignedBuf::zeroed(16);
        b.as_mut_slice()[0] = tag;
        Arc::new(b)
    }

    #[test]
    fn evicts_oldest_and_honours_capacity() {
        let mut c = PostWriteCache::new(2);
        c.insert(1, 10, buf(1));
        c.insert(2, 11, buf(2));
        c.insert(3, 12, buf(3));
        assert_eq!(c.len(), 2);
        assert!(c.get(1).is_none(), "oldest evicted");
        assert_eq!(c.get(3).map(|(s, b)| (s, b.as_slice()[0])), Some((12, 3)));
        let mut none = PostWriteCache::new(0);
        none.insert(1, 1, buf(1));
        assert!(none.is_empty());
    }

    #[test]
    fn evicted_blocks_are_remembered_bounded_and_forgotten_when_freed() {
        let mut c = PostWriteCache::new(1);
        c.insert(1, 10, buf(1));
        assert!(!c.has_evicted());
        c.insert(2, 11, buf(2));
        c.insert(3, 12, buf(3));
        c.remove(2);
        assert_eq!(c.take_evicted(8), vec![1], "block 2 was freed after its eviction");
        assert!(!c.has_evicted());
        for b in 4..(EVICTED_KEEP as u32 + 10) {
            c.insert(b, u64::from(b), buf(0));
        }
        let taken = c.take_evicted(usize::MAX);
        assert_eq!(taken.len(), EVICTED_KEEP, "bounded");
        assert_eq!(taken.last(), Some(&(EVICTED_KEEP as u32 + 8)), "newest kept");
    }

    #[test]
    fn removed_and_reinserted_blocks_keep_the_newest_incarnation() {
        let mut c = PostWriteCache::new(2);
        c.insert(1, 10, buf(1));
        c.remove(1);
        assert!(c.get(1).is_none());
        c.insert(1, 20, buf(9));
        c.insert(2, 21, buf(2));
        // The stale (1, 10) order entry must not evict the new incarnation of block 1.
        c.insert(3, 22, buf(3));
        assert!(c.get(1).is_none(), "block 1 (seq 20) is now the oldest");
        assert_eq!(c.get(2).map(|(s, _)| s), Some(21));
        for i in 0..100 {
            c.insert(4, 100 + i, buf(4));
            c.remove(4);
        }
        assert!(
            c.order.len() <= 2 * c.capacity() + 16,
            "order stays bounded"
        );
        assert_eq!(c.len(), 1, "the first insert of block 4 evicted block 2");
        assert_eq!(c.get(3).map(|(s, _)| s), Some(22));
    }
}
