//! A dense open-addressing hash table from [`Digest`] to a small `Copy` value: the storage of one
//! index partition. Built for memory density (≤ 64 bytes per record with 48-byte slots at every
//! size) where `std`'s map, growing by doubling, sinks to ~44 % load.
//!
//! Layout: `slots` (the capacity `cap`, each a digest and its value), `meta` (two bytes per slot:
//! a distance byte, 0 = empty, else `min(dist + 1, 255)`, and a tag, the digest's byte 12) and
//! `len`. A lookup reads the meta bytes of its probe run (one cache line for 32 slots) and touches
//! only a slot whose element shares its home and tag — for a hit that is its own slot, for a miss
//! almost never — instead of every slot of the run.
//!
//! Hashing: a digest is a uniform RIPEMD-160 output, so its bytes 4–11 (independent of the partition
//! id in bytes 0–1, see [`crate::index::digest_hash`]) are the hash `h`; the home slot is
//! `⌊h · cap / 2⁶⁴⌋` (range reduction: any capacity, not only powers of two; monotone in `h`).
//! Probing is linear with wrap-around, in Robin Hood order; deletion shifts the following elements
//! back (no tombstone slots). `dist(i)` is the distance of slot `i`'s element from its home, mod `cap`.
//!
//! Invariants (checked by [`DigestTable::check_invariants`] in tests, `debug_assert` in hot paths):
//! - T1 `len` = number of nonzero distance bytes ≤ [`max_len`]`(cap)` ≤ `cap`; an occupied slot's
//!   distance byte is `min(dist + 1, 255)` (255: the distance is computed from the digest) and its
//!   tag is its digest's byte 12; an unoccupied slot holds the default digest, value and meta.
//! - T2 no digest occurs twice.
//! - T3 Robin Hood order: for every occupied slot `i` with `dist(i) > 0`, slot `i − 1` is occupied and
//!   `dist(i − 1) ≥ dist(i) − 1`. Hence every slot between an element and its home is occupied by an
//!   element at least as far from its own home, so a lookup for a digest with home `h` stops at the
//!   first empty slot or the first slot `h + j` whose `dist < j`.
//! - T4 capacity ladder: tables up to [`SMALL`] slots may run full and grow by one slot; larger
//!   ones grow by 1/6 when an insert would pass the maximum load of 15/16, and every table shrinks
//!   when a removal takes its load below 4/5 (to a load of 8/9, or to exactly `len` slots when that
//!   is at most `SMALL`; an empty table frees its slots). So a table beyond `SMALL` slots always runs
//!   at a load in [4/5, 15/16] whatever its history: ≤ 62.5 bytes per element with 48-byte slots
//!   and their two meta bytes.
//!
//! Cost of the density (measured with `examples/index_bench`, 1M records in 4096 tables, cold
//! caches): an insert shifts the rest of its run (tens of slots at these loads, moved as whole
//! ranges) and a removal shifts the run back, so both cost ~2.5–3× those of `std`'s map, lookups
//! ~1.5×. Growth and shrinking are one merge pass (`home` is monotone in the hash, so the old
//! slot order is the new one but for equal old homes), not an insert per element; a sized bulk
//! load ([`crate::index::Index::restore`]) is as fast as `std`.
//!
//! Every loop is bounded by `cap`: a full table (allowed up to `SMALL`) always has an element at its
//! home (it became full by filling its last empty slot, and the slot after that one never moved), and
//! a table that is not full has an empty slot.

use crate::index::pool::{PoolSlice, POOL_MIN_BYTES};
use crate::record::key::Digest;

mod hints;
pub use hints::{prefetch_lookup, Layout};

/// Tables up to this capacity may run full (probing a few slots is cheaper than empty slots).
pub const SMALL: usize = 16;

/// The most elements a table of capacity `cap` holds before it grows (T1, T4).
pub fn max_len(cap: usize) -> usize {
    if cap <= SMALL {
        cap
    } else {
        cap - cap / 16
    }
}

/// The capacity after `cap` when the table is full (T4). Always > `cap`, and
/// `max_len(next_cap(cap)) > max_len(cap)`. The step, 1/6, is the largest that keeps a grown table
/// at the minimum load of 4/5 (15/16 ÷ 7/6 ≈ 0.804): fewer growth steps, so fewer rebuilds per
/// insert (BENCHMARKS.md "Session 11": load +5 % against 1/8, index ≤ 56.8 B per record).
pub fn next_cap(cap: usize) -> usize {
    if cap < SMALL {
        cap + 1
    } else {
        cap.saturating_add(cap / 6)
    }
}

/// One slot: a digest and its value (the default pair when unoccupied).
#[derive(Debug, Clone, Copy, Default)]
struct Slot<V> {
    digest: Digest,
    value: V,
}

/// Open-addressing Robin Hood table keyed by digest (see the module doc for invariants).
#[derive(Debug, Clone)]
pub struct DigestTable<V: Copy> {
    slots: PoolSlice<Slot<V>>,
    meta: PoolSlice<[u8; 2]>,
    len: usize,
}

impl<V: Copy + Default> Default for DigestTable<V> {
    fn default() -> Self {
        DigestTable::new()
    }
}

/// The in-partition hash of a digest: its bytes 4–11, little-endian.
fn hash(d: &Digest) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&d.0[4..12]);
    u64::from_le_bytes(b)
}

/// The lookup tag of a digest: a byte independent of the hash and the partition id.
fn tag(d: &Digest) -> u8 {
    d.0[12]
}

/// Meta bytes of an element `dist` from its home (T1).
fn meta_of(dist: usize, d: &Digest) -> [u8; 2] {
    [u8::try_from(dist + 1).unwrap_or(u8::MAX), tag(d)]
}

/// Home slot of hash `h` in a table of capacity `cap` (> 0), `< cap`: `⌊h · cap / 2⁶⁴⌋` (range
/// reduction: any capacity). Monotone in `h` for every capacity, so a table's elements, which T3
/// keeps sorted by home, are also sorted by home in a table of any other capacity (up to the order
/// of equal old homes): [`DigestTable::rebuild`] is one merge pass, not an insert per element.
fn home(h: u64, cap: usize) -> usize {
    ((u128::from(h) * cap as u128) >> 64) as usize
}

impl<V: Copy + Default> DigestTable<V> {
    /// An empty table (no allocation).
    pub fn new() -> Self {
        DigestTable {
            slots: PoolSlice::empty(),
            meta: PoolSlice::empty(),
            len: 0,
        }
    }

    /// An empty table of `cap` slots; a table of at least [`POOL_MIN_BYTES`] of slots keeps
    /// them on huge pages (`index::pool`). Its meta bytes (1/24 of that) stay on the heap: as
    /// pool blocks of their own they left more free ranges between the slot blocks than they
    /// saved in TLB misses (BENCHMARKS.md "Index tables on huge pages, session 19").
    fn with_cap(cap: usize) -> Self {
        let pooled = cap.saturating_mul(std::mem::size_of::<Slot<V>>()) >= POOL_MIN_BYTES;
        DigestTable {
            slots: PoolSlice::filled(cap, Slot::default(), pooled),
            meta: PoolSlice::filled(cap, [0u8; 2], false),
            len: 0,
        }
    }

    /// An empty table with room for `n` elements without growing, for bulk loads
    /// ([`crate::index::Index::restore`]). Below T4's minimum load until filled: call
    /// [`DigestTable::settle`] after the last insert.
    pub(crate) fn with_room(n: usize) -> Self {
        DigestTable::with_cap(shrink_cap(n))
    }

    /// Restore T4 after a bulk load into [`DigestTable::with_room`] (shrinks when fewer distinct
    /// digests arrived than announced).
    pub(crate) fn settle(&mut self) {
        if self.should_shrink() {
            self.rebuild(shrink_cap(self.len));
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Bytes the table holds: slots (a pool block rounded up to 64 bytes, when pooled) plus meta
    /// bytes (the heap allocator's own overhead not included).
    pub fn heap_bytes(&self) -> usize {
        self.slots.reserved_bytes() + self.meta.reserved_bytes()
    }

    fn is_occupied(&self, i: usize) -> bool {
        self.meta[i][0] != 0
    }

    /// Record that slot `i` (already written) holds an element `dist` from its home (T1).
    fn set_meta(&mut self, i: usize, dist: usize) {
        self.meta[i] = meta_of(dist, &self.slots[i].digest);
    }

    fn next(&self, i: usize) -> usize {
        if i + 1 == self.slots.len() {
            0
        } else {
            i + 1
        }
    }

    /// Distance of occupied slot `i`'s element from its home (mod cap): its meta byte, or computed
    /// from the digest when saturated.
    fn dist(&self, i: usize) -> usize {
        let m = self.meta[i][0];
        debug_assert!(m != 0, "dist of an empty slot");
        if m < u8::MAX {
            usize::from(m) - 1
        } else {
            self.dist_of_digest(i)
        }
    }

    fn dist_of_digest(&self, i: usize) -> usize {
        let cap = self.slots.len();
        let h = home(hash(&self.slots[i].digest), cap);
        if i >= h {
            i - h
        } else {
            i + cap - h
        }
    }

    /// Slot holding `d`, if any (T3's early stop).
    fn find(&self, d: &Digest) -> Option<usize> {
        let cap = self.slots.len();
        if self.len == 0 {
            return None;
        }
        let mut i = home(hash(d), cap);
        let t = tag(d);
        for j in 0..cap {
            if !self.is_occupied(i) {
                return None;
            }
            let dist = self.dist(i);
            if dist < j {
                return None;
            }
            // Only an element with the same home (dist == j) and tag can be `d`.
            if dist == j && self.meta[i][1] == t && self.slots[i].digest == *d {
                return Some(i);
            }
            i = self.next(i);
        }
        None
    }

    /// The value of `d`.
    pub fn get(&self, d: &Digest) -> Option<&V> {
        self.find(d).map(|i| &self.slots[i].value)
    }

    /// The value of `d`, mutable.
    pub fn get_mut(&mut self, d: &Digest) -> Option<&mut V> {
        self.find(d).map(|i| &mut self.slots[i].value)
    }

    /// Whether `d` is present.
    pub fn contains_key(&self, d: &Digest) -> bool {
        self.find(d).is_some()
    }

    /// Insert or replace; returns the previous value.
    pub fn insert(&mut self, d: Digest, v: V) -> Option<V> {
        let cap = self.slots.len();
        if self.len >= max_len(cap) {
            if let Some(i) = self.find(&d) {
                return Some(std::mem::replace(&mut self.slots[i].value, v));
            }
            self.rebuild(next_cap(cap));
            self.place(d, v);
            return None;
        }
        // Room left: one probe run finds `d`, or the slot where it belongs (T3).
        let mut i = home(hash(&d), cap);
        let t = tag(&d);
        for j in 0..cap {
            if !self.is_occupied(i) || self.dist(i) < j {
                self.place_from(
                    i,
                    j,
                    Slot {
                        digest: d,
                        value: v,
                    },
                );
                return None;
            }
            if self.dist(i) == j && self.meta[i][1] == t && self.slots[i].digest == d {
                return Some(std::mem::replace(&mut self.slots[i].value, v));
            }
            i = self.next(i);
        }
        unreachable!("T1: a table below capacity has an empty slot");
    }

    /// Robin Hood insertion of a digest known to be absent, into a table with room (T1).
    fn place(&mut self, d: Digest, v: V) {
        let cap = self.slots.len();
        let mut i = home(hash(&d), cap);
        let mut j = 0;
        // Past the elements at least as far from their homes (T3); bounded by the empty slot.
        while j < cap && self.is_occupied(i) && self.dist(i) >= j {
            i = self.next(i);
            j += 1;
        }
        self.place_from(
            i,
            j,
            Slot {
                digest: d,
                value: v,
            },
        );
    }

    /// Put `carry`, absent from the table, at slot `i`, `dist` from its home, where slot `i` is
    /// empty or holds an element nearer its home, and every earlier slot of the run holds one at
    /// least as far (T3). The rest of the run moves one slot on — each of its elements one further
    /// from its home, so T3 keeps — into the first empty slot, which exists (T1).
    fn place_from(&mut self, i: usize, dist: usize, carry: Slot<V>) {
        let cap = self.slots.len();
        debug_assert!(self.len < cap, "place into a full table");
        debug_assert!(
            !self.is_occupied(i) || self.dist(i) < dist,
            "T3 at the insertion slot"
        );
        let mut empty = i;
        let mut run = 0;
        while run < cap && self.is_occupied(empty) {
            empty = self.next(empty);
            run += 1;
        }
        assert!(run < cap, "T1: a table below capacity has an empty slot");
        // Slots i.. (cyclic) up to the empty one move one on, as whole ranges.
        if empty >= i {
            self.slots.copy_within(i..empty, i + 1);
            self.meta.copy_within(i..empty, i + 1);
            bump(&mut self.meta[i + 1..=empty]);
        } else {
            self.slots.copy_within(0..empty, 1);
            self.meta.copy_within(0..empty, 1);
            self.slots[0] = self.slots[cap - 1];
            self.meta[0] = self.meta[cap - 1];
            self.slots.copy_within(i..cap - 1, i + 1);
            self.meta.copy_within(i..cap - 1, i + 1);
            bump(&mut self.meta[..=empty]);
            bump(&mut self.meta[i + 1..]);
        }
        self.slots[i] = carry;
        self.set_meta(i, dist);
        self.len += 1;
    }

    /// Remove `d`; returns its value.
    pub fn remove(&mut self, d: &Digest) -> Option<V> {
        let i = self.find(d)?;
        let v = self.slots[i].value;
        self.remove_at(i);
        if self.should_shrink() {
            self.rebuild(shrink_cap(self.len));
        }
        Some(v)
    }

    /// Backward-shift deletion of slot `i` (keeps T3 without tombstones): the elements after it
    /// up to the first empty slot or element at its home move back one, as whole ranges.
    fn remove_at(&mut self, i: usize) {
        let cap = self.slots.len();
        let mut n = 0;
        let mut j = self.next(i);
        // Not full after the removal, so an empty slot ends the shift within `cap` steps.
        while n < cap && self.meta[j][0] > 1 {
            j = self.next(j);
            n += 1;
        }
        let hole = if i + n < cap {
            self.slots.copy_within(i + 1..i + 1 + n, i);
            self.meta.copy_within(i + 1..i + 1 + n, i);
            self.unbump(i, i + n);
            i + n
        } else {
            let k = i + n - cap; // slots 1..=k wrap to 0..k
            self.slots.copy_within(i + 1..cap, i);
            self.meta.copy_within(i + 1..cap, i);
            self.slots[cap - 1] = self.slots[0];
            self.meta[cap - 1] = self.meta[0];
            self.slots.copy_within(1..=k, 0);
            self.meta.copy_within(1..=k, 0);
            self.unbump(i, cap);
            self.unbump(0, k);
            k
        };
        self.slots[hole] = Slot::default();
        self.meta[hole] = [0, 0];
        self.len -= 1;
    }

    /// Slots `a..b` each moved back one slot: one less distance (a saturated byte may become exact).
    fn unbump(&mut self, a: usize, b: usize) {
        for p in a..b {
            if self.meta[p][0] == u8::MAX {
                let d = self.dist_of_digest(p);
                self.meta[p] = meta_of(d, &self.slots[p].digest);
            } else {
                self.meta[p][0] -= 1;
            }
        }
    }

    /// Keep only the elements for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Digest, &mut V) -> bool) {
        let mut removed = false;
        for i in 0..self.slots.len() {
            if self.is_occupied(i) {
                let s = &mut self.slots[i];
                if !keep(&s.digest, &mut s.value) {
                    *s = Slot::default();
                    self.meta[i] = [0, 0];
                    self.len -= 1;
                    removed = true;
                }
            }
        }
        // Holes break T3: re-place the survivors (shrinking when the load fell below 1/2).
        if removed {
            let cap = if self.should_shrink() {
                shrink_cap(self.len)
            } else {
                self.slots.len()
            };
            self.rebuild(cap);
        }
    }

    /// T4: load below 4/5 (an empty table with slots included).
    fn should_shrink(&self) -> bool {
        below_min_load(self.len, self.slots.len())
    }

    /// Remove every element and free the slots.
    pub fn clear(&mut self) {
        *self = DigestTable::new();
    }

    /// Move every element into a fresh table of capacity `cap` (≥ len), in one merge pass over
    /// the elements in old-home order (the unwrapped ones in slot order, then the ones wrapped
    /// round to the start). An element whose new home is at least every earlier one's (all but a
    /// few: the order is sorted but for runs of equal old homes) is laid out at
    /// `max(home, next free slot)`, as a sorted build would; any other (out of order, correct
    /// for any order, e.g. after `retain`) and any that would pass the end (the last run's
    /// overflow) is Robin-Hood-inserted. No list of the elements is built.
    fn rebuild(&mut self, cap: usize) {
        debug_assert!(max_len(cap) >= self.len, "rebuild below len");
        let mut t = DigestTable::with_cap(cap);
        // Every occupied slot of `t` is below `free` or reached by a Robin Hood insert.
        let mut free = 0;
        let mut top = 0; // the greatest new home laid out so far
        // The wrapped elements (`dist(i) > i`) lie before the first unwrapped one: by T3 a
        // wrapped slot `i > 0` follows an occupied one with `dist(i − 1) ≥ dist(i) − 1 > i − 1`
        // (`retain`'s holes among them only empty some of those slots).
        let old = self.slots.len();
        let mut wrapped = 0;
        while wrapped < old && (!self.is_occupied(wrapped) || self.dist(wrapped) > wrapped) {
            wrapped += 1;
        }
        debug_assert!((wrapped..old).all(|i| !self.is_occupied(i) || self.dist(i) <= i));
        for i in (wrapped..old).chain(0..wrapped) {
            if !self.is_occupied(i) {
                continue;
            }
            let s = self.slots[i];
            let h = home(hash(&s.digest), cap);
            if h >= top && h.max(free) < cap {
                let p = h.max(free);
                t.slots[p] = s;
                t.set_meta(p, p - h);
                t.len += 1;
                (free, top) = (p + 1, h);
            } else {
                t.place(s.digest, s.value);
                // The insert shifted its run into the first empty slot: `free` when the run
                // reached it (a gap before `free` otherwise, or a wrap once `free` = cap).
                if free < cap && t.is_occupied(free) {
                    free += 1;
                }
            }
        }
        debug_assert_eq!(t.len, self.len);
        *self = t;
    }

    /// Every (digest, value), in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&Digest, &V)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(i, _)| self.is_occupied(*i))
            .map(|(_, s)| (&s.digest, &s.value))
    }

    /// Every digest.
    pub fn keys(&self) -> impl Iterator<Item = &Digest> + '_ {
        self.iter().map(|(d, _)| d)
    }

    /// Every value.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Check T1–T4 (O(len · probe length), for tests); the first violation found, described.
    pub fn check_invariants(&self) -> Result<(), String>
    where
        V: PartialEq,
    {
        let cap = self.slots.len();
        let used = self.meta.iter().filter(|m| m[0] != 0).count();
        if used != self.len || self.len > max_len(cap) || self.meta.len() != cap {
            return Err(format!("T1: len {} used {used} cap {cap}", self.len));
        }
        if cap > 0 && below_min_load(self.len, cap) {
            return Err(format!("T4: len {} in cap {cap}", self.len));
        }
        for i in 0..cap {
            if !self.is_occupied(i) {
                let s = &self.slots[i];
                if s.digest != Digest::default()
                    || s.value != V::default()
                    || self.meta[i] != [0, 0]
                {
                    return Err(format!("T1: stale data in empty slot {i}"));
                }
                continue;
            }
            if self.find(&self.slots[i].digest) != Some(i) {
                return Err(format!("T2/T3: slot {i} not found by lookup"));
            }
            let d = self.dist_of_digest(i);
            if self.meta[i] != meta_of(d, &self.slots[i].digest) {
                return Err(format!("T1: slot {i} meta {:?} for dist {d}", self.meta[i]));
            }
            if d > 0 {
                let p = if i == 0 { cap - 1 } else { i - 1 };
                if !self.is_occupied(p) || self.dist_of_digest(p) + 1 < d {
                    return Err(format!("T3: slot {i} dist {d} after slot {p}"));
                }
            }
        }
        Ok(())
    }
}

/// Add one to the distance bytes of slots moved one on (255 stays: computed from the digest).
fn bump(meta: &mut [[u8; 2]]) {
    for m in meta {
        m[0] = m[0].saturating_add(1);
    }
}

/// T4's minimum load: `len / cap < 4/5`.
fn below_min_load(len: usize, cap: usize) -> bool {
    len.saturating_mul(5) < cap.saturating_mul(4)
}

/// Capacity for `len` elements after a shrink (T4): load 8/9, or full up to `SMALL`.
fn shrink_cap(len: usize) -> usize {
    if len <= SMALL {
        len
    } else {
        len + len / 8
    }
}

#[cfg(test)]
mod tests;
