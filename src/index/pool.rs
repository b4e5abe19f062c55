//! The index tables' slots on 2 MiB pages. A lookup jumps to a random partition's table: at
//! 1M records its slots are a random 4 KiB page among ~60 MiB, so nearly every lookup missed
//! the TLB, and in a VM each miss is a two-dimensional page walk
//! (the prefetches of `table::prefetch_lookup` waited on them: BENCHMARKS.md "Index tables on
//! huge pages, session 19"). [`PoolSlice`] is a fixed-length slice of `Copy` values whose
//! memory comes from chunks of huge-page [`Mapping`]s shared by every table of the process.
//!
//! The pool is a best-fit allocator with coalescing over chunks of whole huge pages: a request
//! is rounded up to a multiple of 64 bytes (a cache line, which also aligns every block) and
//! takes the smallest free range that holds it, the rest of the range staying free; a freed
//! block merges with the free ranges next to it in its chunk, and a chunk whose last block is
//! freed is kept as a spare (at most [`MAX_SPARES`] one-huge-page chunks) or unmapped. While
//! the pool has chunks, a background thread makes spares ahead ([`prepare_spare`]), so a table
//! that needs a new chunk takes a huge page the kernel has already placed. The
//! tables of an index grow in step (uniform digests): a table growing by 1/6 frees its old
//! block where neighbours freed theirs, and the merged ranges hold grown tables. The free ranges
//! left are about a fifth of the blocks' bytes (a grown table does not fit the hole its old
//! block leaves until a neighbour's hole joins it): at 1M records the pool maps ~65 B per record
//! for ~55 B of slots. (A slab allocator with size classes, tried first, mapped ~85 B: the
//! tables that had left a class pinned its chunks.)
//!
//! Tables below [`POOL_MIN_BYTES`] of slots use the ordinary heap (the caller decides), so a
//! small database does not map a huge page; so does everything when the kernel refuses a
//! mapping, or on systems without them.
//!
//! Invariants (P1–P4; [`Pool::check`] verifies P1, P2 and P4's bound in tests):
//! - P1 free ranges are disjoint, each inside one chunk, overlapping no block handed out, and
//!   no two free ranges of one chunk touch (a freed block is merged with its neighbours);
//!   `by_size` indexes exactly the ranges of `by_start`;
//! - P2 a chunk's `live` bytes plus its free ranges' bytes are its length, and `live` > 0 while
//!   the chunk is kept (an emptied chunk is released at once);
//! - P3 a [`PoolSlice`] returns its block exactly once, on drop, to the pool it came from;
//! - P4 at most [`MAX_SPARES`] spares are kept, each one huge page, and a spare is made ahead
//!   only while the pool has chunks (a database too small for the pool maps none).

use crate::huge_pages::{Mapping, HUGE};
use std::collections::{BTreeMap, BTreeSet};
use std::ptr::NonNull;
use std::sync::{Mutex, MutexGuard};

/// Slices of at least this many bytes are worth a pool block (the caller's choice, see module
/// doc): a table of ≥ 86 slots, about 350k records over 4096 partitions.
pub const POOL_MIN_BYTES: usize = 4096;

/// One-huge-page chunks kept for reuse after their last block was freed.
pub const MAX_SPARES: usize = 2;

/// Blocks are multiples of this many bytes, at multiples of it from a chunk's start.
pub const GRAIN: usize = 64;

/// The bytes a request of `bytes` takes: rounded up to [`GRAIN`] (at least one grain).
pub fn block_len(bytes: usize) -> usize {
    bytes.max(1).div_ceil(GRAIN) * GRAIN
}

/// One chunk: a mapping and the bytes of it handed out.
#[derive(Debug)]
struct Chunk {
    map: Mapping,
    live: usize,
}

/// The allocator's state (one per process: [`POOL`]; tests make their own).
#[derive(Debug, Default)]
pub struct Pool {
    /// Chunks by start address.
    chunks: BTreeMap<usize, Chunk>,
    /// Free ranges: start → length.
    by_start: BTreeMap<usize, usize>,
    /// The same ranges by (length, start), for best fit.
    by_size: BTreeSet<(usize, usize)>,
    spares: Vec<Mapping>,
}

/// The process's pool.
static POOL: Mutex<Pool> = Mutex::new(Pool {
    chunks: BTreeMap::new(),
    by_start: BTreeMap::new(),
    by_size: BTreeSet::new(),
    spares: Vec::new(),
});

/// Bytes the process's pool has mapped (chunks in use and spares): the memory the pooled
/// tables of every index in the process occupy, their free ranges included
/// (`examples/index_bench`).
#[cfg(any(test, feature = "testing"))]
pub fn mapped_bytes() -> usize {
    pool().mapped_bytes()
}

/// Bytes the process's pool has mapped beyond the blocks it handed out: free ranges between
/// blocks and spare chunks (`Stats::index_pool_free_bytes`).
pub fn free_bytes() -> usize {
    let p = pool();
    p.mapped_bytes() - p.live_bytes()
}

/// Make one spare chunk ahead of the tables' growth, on the calling thread (a background
/// thread: a device namespace's maintenance loop; a process with only memory namespaces has
/// none, and its writers make their chunks as before): map a huge page and have the kernel
/// place it ([`Mapping::populated`]) outside the pool's lock, then keep it for the next table
/// that needs a new chunk. Without it the writer whose insert grows a table past the free
/// ranges pays for the page; in this VM that was up to ~5 ms a page when the host had taken
/// the memory back, ~9 % of a 1M-record load (BENCHMARKS.md "Session 24"). True when a spare
/// was added.
pub fn prepare_spare() -> bool {
    if !pool().wants_spare() {
        return false;
    }
    let Some(map) = Mapping::populated(HUGE) else {
        return false;
    };
    let unwanted = pool().offer_spare(map); // another thread may have filled the spares
    unwanted.is_none()
}

fn pool() -> MutexGuard<'static, Pool> {
    // Every critical section leaves the pool consistent before anything that could panic.
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    /// A block of `len` bytes (a value of [`block_len`]), [`GRAIN`]-aligned; `None` when no
    /// free range holds it and the kernel refuses a new mapping.
    pub fn alloc(&mut self, len: usize) -> Option<NonNull<u8>> {
        debug_assert_eq!(len, block_len(len), "a whole number of grains");
        let (free_len, start) = match self.by_size.range((len, 0)..).next() {
            Some(&fit) => fit,
            None => self.new_chunk(len)?,
        };
        self.take_free(start, free_len);
        if free_len > len {
            self.add_free(start + len, free_len - len);
        }
        match self.chunk_mut(start) {
            Some(chunk) => chunk.live += len,
            None => panic!("P1: a free range lies inside a chunk"),
        }
        NonNull::new(start as *mut u8)
    }

    /// Return a block of `len` bytes that [`Pool::alloc`] handed out.
    pub fn free(&mut self, len: usize, block: NonNull<u8>) {
        let (mut start, mut end) = (block.as_ptr() as usize, block.as_ptr() as usize + len);
        let Some((&base, chunk)) = self.chunks.range_mut(..=start).next_back() else {
            panic!("P3: a block returned to a pool it did not come from");
        };
        let chunk_end = base + chunk.map.size();
        assert!(
            end <= chunk_end && chunk.live >= len,
            "P3: a block inside a chunk of this pool"
        );
        chunk.live -= len;
        let emptied = chunk.live == 0;
        // Merge with the free ranges touching it in the same chunk (P1).
        if let Some((&s, &l)) = self.by_start.range(..start).next_back() {
            if s >= base && s + l == start {
                self.take_free(s, l);
                start = s;
            }
        }
        if let Some(&l) = self.by_start.get(&end) {
            if end < chunk_end {
                self.take_free(end, l);
                end += l;
            }
        }
        if emptied {
            assert!(
                start == base && end == chunk_end,
                "P2: an emptied chunk is one free range"
            );
            if let Some(chunk) = self.chunks.remove(&base) {
                if chunk.map.size() == HUGE && self.spares.len() < MAX_SPARES {
                    self.spares.push(chunk.map);
                }
            }
        } else {
            self.add_free(start, end - start);
        }
    }

    /// Whether a spare made ahead ([`prepare_spare`]) would be kept: the pool has chunks, so
    /// its tables are growing on huge pages, and fewer than [`MAX_SPARES`] spares wait.
    pub fn wants_spare(&self) -> bool {
        !self.chunks.is_empty() && self.spares.len() < MAX_SPARES
    }

    /// Keep `map`, one huge page, as a spare when [`Pool::wants_spare`]; otherwise hand it
    /// back (the caller unmaps it outside the lock).
    pub fn offer_spare(&mut self, map: Mapping) -> Option<Mapping> {
        if map.size() == HUGE && self.wants_spare() {
            self.spares.push(map);
            None
        } else {
            Some(map)
        }
    }

    /// A chunk able to hold `len` bytes (a spare when one huge page does), all free; its one
    /// free range.
    fn new_chunk(&mut self, len: usize) -> Option<(usize, usize)> {
        let size = len.div_ceil(HUGE).checked_mul(HUGE)?;
        let spare = if size == HUGE { self.spares.pop() } else { None };
        let map = spare.or_else(|| Mapping::new(size))?;
        let base = map.ptr() as usize;
        self.chunks.insert(base, Chunk { map, live: 0 });
        self.add_free(base, size);
        Some((size, base))
    }

    fn chunk_mut(&mut self, at: usize) -> Option<&mut Chunk> {
        self.chunks.range_mut(..=at).next_back().map(|(_, c)| c)
    }

    fn add_free(&mut self, start: usize, len: usize) {
        self.by_start.insert(start, len);
        self.by_size.insert((len, start));
    }

    fn take_free(&mut self, start: usize, len: usize) {
        let removed = self.by_start.remove(&start) == Some(len) && self.by_size.remove(&(len, start));
        assert!(removed, "P1: a free range is in both indexes");
    }

    /// Bytes mapped: chunks in use plus spares.
    pub fn mapped_bytes(&self) -> usize {
        let chunks: usize = self.chunks.values().map(|c| c.map.size()).sum();
        chunks + self.spares.iter().map(Mapping::size).sum::<usize>()
    }

    /// Bytes handed out and not freed.
    pub fn live_bytes(&self) -> usize {
        self.chunks.values().map(|c| c.live).sum()
    }

    /// P1, P2 and P4, for tests.
    #[cfg(test)]
    pub fn check(&self) -> Result<(), String> {
        let sized: BTreeSet<(usize, usize)> = self.by_start.iter().map(|(&s, &l)| (l, s)).collect();
        if sized != self.by_size {
            return Err("P1: the two indexes of free ranges differ".into());
        }
        let mut free_in: BTreeMap<usize, usize> = BTreeMap::new();
        let mut last: Option<(usize, usize, usize)> = None; // start, end, chunk
        for (&s, &l) in &self.by_start {
            let Some((&base, c)) = self.chunks.range(..=s).next_back() else {
                return Err(format!("P1: free range {s:#x} outside every chunk"));
            };
            if l == 0 || !l.is_multiple_of(GRAIN) || s + l > base + c.map.size() {
                return Err(format!("P1: free range {s:#x}+{l} leaves its chunk"));
            }
            if let Some((ps, pe, pc)) = last {
                if pe > s || (pe == s && pc == base) {
                    return Err(format!("P1: free ranges {ps:#x} and {s:#x} overlap or touch"));
                }
            }
            last = Some((s, s + l, base));
            *free_in.entry(base).or_default() += l;
        }
        if self.spares.len() > MAX_SPARES || self.spares.iter().any(|m| m.size() != HUGE) {
            return Err(format!("P4: {} spares, each one huge page", self.spares.len()));
        }
        for (&base, c) in &self.chunks {
            let free = free_in.get(&base).copied().unwrap_or(0);
            if c.live == 0 || c.live + free != c.map.size() {
                return Err(format!("P2: chunk {base:#x} live {} free {free}", c.live));
            }
        }
        Ok(())
    }
}

/// A fixed-length slice of `Copy` values in a pool block or on the heap (module doc).
pub struct PoolSlice<T: Copy> {
    ptr: NonNull<T>,
    len: usize,
    /// The block's length in the pool, or 0: on the heap (a `Box<[T]>`), or empty.
    block: usize,
}

// SAFETY: a `PoolSlice` owns its elements exclusively (a pool block is handed out once, P1; a
// heap slice is its own box), like a `Box<[T]>`.
unsafe impl<T: Copy + Send> Send for PoolSlice<T> {}
// SAFETY: as above; shared access only reads.
unsafe impl<T: Copy + Sync> Sync for PoolSlice<T> {}

impl<T: Copy> PoolSlice<T> {
    /// No elements (no allocation).
    pub fn empty() -> Self {
        PoolSlice {
            ptr: NonNull::dangling(),
            len: 0,
            block: 0,
        }
    }

    /// `n` copies of `value`: in a pool block when `pooled` (and the pool can give one), on the
    /// heap otherwise.
    pub fn filled(n: usize, value: T, pooled: bool) -> Self {
        if n == 0 {
            return PoolSlice::empty();
        }
        if pooled && std::mem::align_of::<T>() <= 64 && std::mem::size_of::<T>() > 0 {
            if let Some(bytes) = n.checked_mul(std::mem::size_of::<T>()) {
                let len = block_len(bytes);
                if let Some(block) = pool().alloc(len) {
                    let ptr = block.cast::<T>();
                    for i in 0..n {
                        // SAFETY: the block holds `len ≥ n · size_of::<T>()` bytes, is 64-byte
                        // aligned (≥ T's alignment) and is this slice's alone (P1).
                        unsafe { ptr.as_ptr().add(i).write(value) };
                    }
                    return PoolSlice {
                        ptr,
                        len: n,
                        block: len,
                    };
                }
            }
        }
        let boxed: Box<[T]> = vec![value; n].into_boxed_slice();
        let ptr = NonNull::from(Box::leak(boxed)).cast::<T>();
        PoolSlice {
            ptr,
            len: n,
            block: 0,
        }
    }

    /// Whether the elements are in a pool block.
    pub fn is_pooled(&self) -> bool {
        self.block != 0
    }

    /// Bytes the slice holds: its block in the pool, or its elements' bytes on the heap.
    pub fn reserved_bytes(&self) -> usize {
        if self.is_pooled() {
            self.block
        } else {
            std::mem::size_of::<T>() * self.len
        }
    }
}

impl<T: Copy> Drop for PoolSlice<T> {
    fn drop(&mut self) {
        if self.is_pooled() {
            pool().free(self.block, self.ptr.cast());
        } else if self.len > 0 {
            let raw = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
            // SAFETY: a heap slice's pointer and length are those of the box `filled` leaked,
            // reclaimed once, here.
            drop(unsafe { Box::from_raw(raw) });
        }
    }
}

impl<T: Copy> std::ops::Deref for PoolSlice<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` points at `len` initialized elements owned by this slice (dangling and
        // 0 for an empty one).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> std::ops::DerefMut for PoolSlice<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` is the only handle on the elements.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Clone for PoolSlice<T> {
    fn clone(&self) -> Self {
        let Some(&first) = self.first() else {
            return PoolSlice::empty();
        };
        let mut copy = PoolSlice::filled(self.len, first, self.is_pooled());
        copy.copy_from_slice(self);
        copy
    }
}

impl<T: Copy + std::fmt::Debug> std::fmt::Debug for PoolSlice<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests;
