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
//! - the buffer of a block that leaves the cache (evicted, removed, replaced) is kept for reuse
//!   as a write block only when no reader still holds it (`Arc::try_unwrap`), at most
//!   [`RELEASED_KEEP`] of them, and handed out once ([`PostWriteCache::take_released`]);
//! - evicted blocks are remembered, at most [`EVICTED_KEEP`] of them (oldest forgotten first),
//!   until the store takes them to warm the page cache with their bytes (`ssd/read.rs`); a
//!   removed (freed) block is forgotten there too;
//! - [`BlockHints`] holds, per block number, where a held block's bytes start (0 when not held),
//!   set and cleared with the map under the cache's write lock and read without any lock: an
//!   address there is only ever a prefetch hint (`crate::prefetch`), never dereferenced, so a
//!   stale one (the buffer evicted and freed meanwhile) costs a useless hint and nothing else.

/// Evicted blocks remembered for the page-cache warm-up.
pub const EVICTED_KEEP: usize = 1024;

/// Buffers of blocks that left the cache, kept for the store to reuse as write blocks: a reused
/// buffer costs a memset of memory already mapped, where a fresh one costs a new huge page the
/// kernel must find and zero, and the unmapping of the old one under the store's lock
/// (BENCHMARKS.md "Session 13").
pub const RELEASED_KEEP: usize = 4;

use crate::storage::device::AlignedBuf;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Where each held block's bytes start, by block number (0 = not held): prefetch hints a read
/// takes without the cache's lock (see the module invariants).
#[derive(Debug, Default)]
pub struct BlockHints(Box<[AtomicUsize]>);

impl BlockHints {
    /// Hints for blocks `0 .. blocks`.
    pub fn new(blocks: usize) -> BlockHints {
        BlockHints((0..blocks).map(|_| AtomicUsize::new(0)).collect())
    }

    fn set(&self, block: u32, buf: Option<&AlignedBuf>) {
        if let Some(slot) = self.0.get(block as usize) {
            let at = buf.map_or(0, |b| b.as_slice().as_ptr() as usize);
            slot.store(at, Ordering::Relaxed);
        }
    }

    /// Ask for the cache lines of bytes `start .. start + len` of `block`, if it is held.
    pub fn prefetch(&self, block: u32, start: usize, len: usize) {
        let at = self
            .0
            .get(block as usize)
            .map_or(0, |slot| slot.load(Ordering::Relaxed));
        if at != 0 {
            crate::prefetch::bytes((at as *const u8).wrapping_add(start), len);
        }
    }
}

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
    hints: Arc<BlockHints>,
    /// Insertion order as (block, seq); entries whose block was removed or re-inserted since are
    /// skipped at eviction and dropped at compaction.
    order: VecDeque<(u32, u64)>,
    capacity: usize,
    /// Evicted blocks not yet taken, oldest first (≤ `EVICTED_KEEP`).
    evicted: VecDeque<u32>,
    /// Buffers of blocks that left, no longer shared with any reader (≤ `RELEASED_KEEP`).
    released: Vec<AlignedBuf>,
}

impl PostWriteCache {
    /// An empty cache of `capacity` blocks (0 = no cache), without hints.
    #[cfg(test)]
    pub fn new(capacity: usize) -> PostWriteCache {
        PostWriteCache::with_hints(capacity, 0)
    }

    /// An empty cache of `capacity` blocks with prefetch hints for blocks `0 .. blocks`.
    pub fn with_hints(capacity: usize, blocks: usize) -> PostWriteCache {
        PostWriteCache {
            map: HashMap::with_capacity_and_hasher(capacity.min(4096), Default::default()),
            hints: Arc::new(BlockHints::new(blocks)),
            order: VecDeque::new(),
            capacity,
            evicted: VecDeque::new(),
            released: Vec::new(),
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

    /// The hints, for reads without the cache's lock.
    pub fn hints(&self) -> Arc<BlockHints> {
        self.hints.clone()
    }

    /// The incarnation and bytes of `block`, if held.
    pub fn get(&self, block: u32) -> Option<(u64, &Arc<AlignedBuf>)> {
        self.map.get(&block).map(|(s, b)| (*s, b))
    }

    /// Hold a just-flushed block, evicting the oldest beyond capacity.
    pub fn insert(&mut self, block: u32, seq: u64, buf: Arc<AlignedBuf>) {
        if self.capacity == 0 {
            self.release(buf);
            return;
        }
        self.hints.set(block, Some(&buf));
        if let Some((_, old)) = self.map.insert(block, (seq, buf)) {
            self.release(old);
        }
        self.order.push_back((block, seq));
        while self.map.len() > self.capacity {
            let Some((b, s)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&b).is_some_and(|(cs, _)| *cs == s) {
                if let Some((_, old)) = self.map.remove(&b) {
                    self.release(old);
                }
                self.hints.set(b, None);
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
            self.map.len() <= self.capacity
                && self.evicted.len() <= EVICTED_KEEP
                && self.released.len() <= RELEASED_KEEP,
            "at most `capacity` blocks are held, `EVICTED_KEEP` evictions remembered and \
             `RELEASED_KEEP` buffers kept"
        );
        debug_assert!(
            self.order.len() >= self.map.len(),
            "every held block is in the order"
        );
    }

    /// Forget `block` (it was freed).
    pub fn remove(&mut self, block: u32) {
        if let Some((_, old)) = self.map.remove(&block) {
            self.release(old);
        }
        self.hints.set(block, None);
        self.evicted.retain(|b| *b != block);
    }

    /// Keep the buffer of a block that left, if no reader holds it and fewer than
    /// [`RELEASED_KEEP`] are kept; else let it go.
    fn release(&mut self, buf: Arc<AlignedBuf>) {
        if self.released.len() < RELEASED_KEEP {
            if let Ok(b) = Arc::try_unwrap(buf) {
                self.released.push(b);
            }
        }
    }

    /// A buffer of a block that left the cache, for reuse as a write block. Its bytes are the
    /// old block's: the caller zeroes it.
    pub fn take_released(&mut self) -> Option<AlignedBuf> {
        self.released.pop()
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

    fn hint(h: &BlockHints, block: u32) -> usize {
        h.0.get(block as usize)
            .map_or(0, |a| a.load(Ordering::Relaxed))
    }

    /// A hint names a held block's bytes, and only while it is held: set on insert, cleared on
    /// eviction and removal; blocks beyond the table have none; asking for one changes nothing.
    #[test]
    fn hints_follow_the_held_blocks() {
        let mut c = PostWriteCache::with_hints(2, 4);
        let h = c.hints();
        let one = buf(1);
        let at = one.as_slice().as_ptr() as usize;
        c.insert(1, 10, one);
        assert_eq!(hint(&h, 1), at);
        c.insert(2, 11, buf(2));
        c.insert(3, 12, buf(3));
        assert_eq!(hint(&h, 1), 0, "evicted");
        assert_ne!(hint(&h, 3), 0);
        c.remove(3);
        assert_eq!(hint(&h, 3), 0, "removed");
        c.insert(9, 13, buf(9));
        assert_eq!(c.get(9).map(|(s, _)| s), Some(13), "a block beyond the hints is held");
        for b in [1, 2, 3, 9, u32::MAX] {
            h.prefetch(b, 0, 64);
        }
        assert_eq!(c.get(2).map(|(_, b)| b.as_slice()[0]), Some(2));
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

    /// Buffers that leave — evicted, removed, replaced, or refused by a cache of no capacity —
    /// are kept for reuse unless a reader still holds them, at most `RELEASED_KEEP`, each
    /// handed out once.
    #[test]
    fn buffers_that_leave_are_kept_for_reuse_unless_a_reader_holds_them() {
        let mut c = PostWriteCache::new(1);
        let one = buf(1);
        let at = one.as_slice().as_ptr() as usize;
        c.insert(1, 10, one);
        c.insert(2, 11, buf(2));
        let back = c.take_released().expect("block 1's buffer, evicted and unshared");
        assert_eq!(back.as_slice().as_ptr() as usize, at, "the same buffer");
        assert_eq!(back.as_slice()[0], 1, "with the old block's bytes");
        assert!(c.take_released().is_none(), "handed out once");

        let held = c.get(2).map(|(_, b)| b.clone()).expect("block 2 held");
        c.remove(2);
        assert!(c.take_released().is_none(), "a reader still holds block 2's buffer");
        drop(held);

        c.insert(3, 12, buf(3));
        c.insert(3, 13, buf(4));
        assert_eq!(c.take_released().map(|b| b.as_slice()[0]), Some(3), "replaced");

        let mut none = PostWriteCache::new(0);
        none.insert(1, 1, buf(5));
        assert_eq!(none.take_released().map(|b| b.as_slice()[0]), Some(5), "not cached");

        for b in 10..(10 + 2 * RELEASED_KEEP as u32) {
            c.insert(b, u64::from(b), buf(0));
        }
        let mut kept = 0;
        while c.take_released().is_some() {
            kept += 1;
        }
        assert_eq!(kept, RELEASED_KEEP, "bounded");
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
