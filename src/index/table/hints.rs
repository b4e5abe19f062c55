//! Cache-line hints for the digest table: a request asks early for the lines its lookup or
//! insert will touch, so that they load while it does other work. Hints read nothing through a
//! possibly stale address and never change the table (`crate::prefetch`).

use super::{hash, home, DigestTable, Slot};
use crate::record::key::Digest;

/// Slots [`prefetch_lookup`] asks for.
const LOOKUP_SLOTS: usize = 5;

/// Most slots [`DigestTable::prefetch_insert`] asks for.
const PREFETCH_RUN: usize = 96;

/// A table's addresses and capacity at some moment ([`DigestTable::layout`]), for hints only:
/// a stale layout (the table grew since) makes a hint ask for useless lines, never a wrong answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Layout {
    /// Address of slot 0.
    pub slots: usize,
    /// Address of meta byte pair 0.
    pub meta: usize,
    /// Capacity (slots).
    pub cap: usize,
}

/// A hint before looking `d` up in a table of layout `l` holding `V` values: request the cache
/// lines of `d`'s home meta bytes and of the first slots from its home (a hit sits a few slots
/// on at these loads), so that the lookup, issued after other work, finds them loaded. Reads no
/// memory: the addresses only go to prefetch instructions, which never fault.
pub fn prefetch_lookup<V>(d: &Digest, l: Layout) {
    if l.cap == 0 {
        return;
    }
    let start = home(hash(d), l.cap);
    let slot = std::mem::size_of::<Slot<V>>();
    let first = l.slots.wrapping_add(start * slot) as *const u8;
    let slots = LOOKUP_SLOTS.min(l.cap - start);
    crate::prefetch::bytes(l.meta.wrapping_add(start * 2) as *const u8, 1);
    crate::prefetch::bytes(first, slots * slot);
}

impl<V: Copy + Default> DigestTable<V> {
    /// Where this table's slots and meta bytes are, and its capacity: what
    /// [`prefetch_lookup`] needs, kept outside the table's lock by its owner.
    pub fn layout(&self) -> Layout {
        Layout {
            slots: self.slots.as_ptr() as usize,
            meta: self.meta.as_ptr() as usize,
            cap: self.slots.len(),
        }
    }

    /// A hint before inserting `d`, known absent: request the cache lines of the slots the
    /// insert will shift — from `d`'s home to the first empty slot, at most [`PREFETCH_RUN`]
    /// slots — so that the insert, issued later, moves cached lines instead of waiting for each
    /// (a run at these loads spans tens of slots in a table that is cold at 1M records). Changes
    /// nothing in the table.
    pub fn prefetch_insert(&self, d: &Digest) {
        let cap = self.slots.len();
        if cap == 0 {
            return;
        }
        let start = home(hash(d), cap);
        let mut end = start;
        while end < cap && end - start < PREFETCH_RUN && self.is_occupied(end) {
            end += 1;
        }
        let run = &self.slots[start..(end + 1).min(cap)];
        crate::prefetch::bytes(run.as_ptr().cast::<u8>(), std::mem::size_of_val(run));
    }
}
