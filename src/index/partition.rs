//! The partitioned index map: 4096 partitions (K-PID), each a [`DigestTable`] behind its own lock.
//!
//! Invariants:
//! - every change of a partition's table (insert, replace, remove, restore, a caller's
//!   [`Index::partition_mut`]) first advances that partition's change count, under the
//!   partition's lock; a count read under the lock together with an entry ([`Index::get_stamped`])
//!   therefore still equals the partition's count later exactly when no change of the partition
//!   could have happened in between ([`Index::unchanged_since`], read without the lock);
//! - the layout hints are only ever prefetch addresses, never dereferenced.

use crate::index::entry::IndexEntry;
use crate::index::table::{self, DigestTable, Layout};
use crate::record::key::{Digest, PARTITIONS};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// One partition's table.
pub type PartitionTable = DigestTable<IndexEntry>;

/// 4096 partitions of digest → entry.
pub struct Index {
    partitions: Vec<Mutex<PartitionTable>>,
    /// Each partition's table layout as of its last `put` / `remove` / `restore`, readable
    /// without its lock, for [`Index::prefetch_lookup`] (possibly stale: hints only).
    layouts: Vec<LayoutCell>,
    /// Each partition's change count (see the module invariants).
    changes: Vec<AtomicU64>,
}

/// A partition's change count as of a lookup ([`Index::get_stamped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp(u64);

/// A partition's table, locked for reading (scans, sweeps, statistics).
pub struct PartitionRef<'a>(MutexGuard<'a, PartitionTable>);

impl Deref for PartitionRef<'_> {
    type Target = PartitionTable;
    fn deref(&self) -> &PartitionTable {
        &self.0
    }
}

/// A partition's table, locked for changing: its change count advanced when it was taken.
pub struct PartitionMut<'a>(MutexGuard<'a, PartitionTable>);

impl Deref for PartitionMut<'_> {
    type Target = PartitionTable;
    fn deref(&self) -> &PartitionTable {
        &self.0
    }
}

impl DerefMut for PartitionMut<'_> {
    fn deref_mut(&mut self) -> &mut PartitionTable {
        &mut self.0
    }
}

/// A [`Layout`] in atomics (each field on its own; a torn read is a stale hint, no more).
#[derive(Default)]
struct LayoutCell {
    slots: AtomicUsize,
    meta: AtomicUsize,
    cap: AtomicUsize,
}

impl LayoutCell {
    fn load(&self) -> Layout {
        Layout {
            slots: self.slots.load(Ordering::Relaxed),
            meta: self.meta.load(Ordering::Relaxed),
            cap: self.cap.load(Ordering::Relaxed),
        }
    }

    /// Record `t`'s layout (called with `t`'s lock held).
    fn note(&self, t: &PartitionTable) {
        let l = t.layout();
        if self.load() != l {
            self.slots.store(l.slots, Ordering::Relaxed);
            self.meta.store(l.meta, Ordering::Relaxed);
            self.cap.store(l.cap, Ordering::Relaxed);
        }
    }
}

impl Default for Index {
    fn default() -> Index {
        Index::new()
    }
}

impl Index {
    /// Empty index.
    pub fn new() -> Index {
        Index {
            partitions: (0..PARTITIONS)
                .map(|_| Mutex::new(DigestTable::new()))
                .collect(),
            layouts: (0..PARTITIONS).map(|_| LayoutCell::default()).collect(),
            changes: (0..PARTITIONS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn lock(&self, pid: usize) -> MutexGuard<'_, PartitionTable> {
        // A poisoned partition means a panic mid-update: an invariant already broke.
        self.partitions[pid]
            .lock()
            .expect("index partition poisoned")
    }

    fn part(&self, d: &Digest) -> MutexGuard<'_, PartitionTable> {
        self.lock(usize::from(d.partition_id()))
    }

    /// Lock `d`'s partition for a change: its change count advances first (module invariants).
    fn part_mut(&self, d: &Digest) -> PartitionMut<'_> {
        self.partition_mut(usize::from(d.partition_id()))
    }

    /// Lock one partition (by id) for scans and sweeps.
    pub fn partition(&self, pid: usize) -> PartitionRef<'_> {
        PartitionRef(self.lock(pid))
    }

    /// Lock one partition (by id) to change its table in place (recovery's expiry pass).
    pub fn partition_mut(&self, pid: usize) -> PartitionMut<'_> {
        let t = self.lock(pid);
        self.changes[pid].fetch_add(1, Ordering::SeqCst);
        PartitionMut(t)
    }

    /// Visit every entry, one partition lock at a time (a view that is consistent per
    /// partition, not across them).
    pub fn for_each(&self, mut f: impl FnMut(&Digest, &IndexEntry)) {
        for pid in 0..PARTITIONS {
            for (d, e) in self.partition(pid).iter() {
                f(d, e);
            }
        }
    }

    /// Look up.
    pub fn get(&self, d: &Digest) -> Option<IndexEntry> {
        self.part(d).get(d).copied()
    }

    /// Look up, with `d`'s partition's change count read under the same lock: a lock-free reader
    /// later asks [`Index::unchanged_since`] instead of looking up again.
    pub fn get_stamped(&self, d: &Digest) -> (Option<IndexEntry>, Stamp) {
        let pid = usize::from(d.partition_id());
        let t = self.lock(pid);
        let stamp = Stamp(self.changes[pid].load(Ordering::Relaxed));
        (t.get(d).copied(), stamp)
    }

    /// Whether `d`'s partition has not changed since `stamp` was read with an entry of it (so
    /// the index still holds that entry), read without the partition's lock. `false` may also
    /// mean another digest of the partition changed.
    pub fn unchanged_since(&self, d: &Digest, stamp: Stamp) -> bool {
        self.changes[usize::from(d.partition_id())].load(Ordering::SeqCst) == stamp.0
    }

    /// Hint that `d` is about to be looked up ([`table::prefetch_lookup`]), without taking its
    /// partition's lock: its slot lines load while the caller checks the request.
    pub fn prefetch_lookup(&self, d: &Digest) {
        let l = self.layouts[usize::from(d.partition_id())].load();
        table::prefetch_lookup::<IndexEntry>(d, l);
    }

    /// Look `d` up for a write: when it is absent, the same locked section also asks for the
    /// lines its insert will shift ([`DigestTable::prefetch_insert`]).
    pub fn get_for_write(&self, d: &Digest) -> Option<IndexEntry> {
        let t = self.part(d);
        let e = t.get(d).copied();
        if e.is_none() {
            t.prefetch_insert(d);
        }
        e
    }

    /// Insert or replace; returns the previous entry.
    pub fn put(&self, d: Digest, e: IndexEntry) -> Option<IndexEntry> {
        let mut t = self.part_mut(&d);
        let old = t.insert(d, e);
        self.layouts[usize::from(d.partition_id())].note(&t);
        old
    }

    /// Remove; returns the previous entry.
    pub fn remove(&self, d: &Digest) -> Option<IndexEntry> {
        let mut t = self.part_mut(d);
        let old = t.remove(d);
        self.layouts[usize::from(d.partition_id())].note(&t);
        old
    }

    /// Insert every entry (the later of equal digests wins), sizing each partition's table once
    /// for its share instead of growing it step by step: a snapshot restore (RS-CLEAN) arrives in
    /// table order, and one sized build is several times cheaper than ~40 growth steps. Holds every
    /// partition lock (taken in partition order, as nothing else holds two) for the whole load.
    pub fn restore(&self, entries: Vec<(Digest, IndexEntry)>) {
        let mut guards: Vec<PartitionMut<'_>> =
            (0..PARTITIONS).map(|p| self.partition_mut(p)).collect();
        let mut counts: Vec<usize> = guards.iter().map(|g| g.len()).collect();
        for (d, _) in &entries {
            counts[usize::from(d.partition_id())] += 1;
        }
        let mut tables: Vec<PartitionTable> = guards
            .iter()
            .zip(&counts)
            .map(|(g, &n)| {
                let mut t = DigestTable::with_room(n);
                for (d, e) in g.iter() {
                    t.insert(*d, *e);
                }
                t
            })
            .collect();
        for (d, e) in entries {
            tables[usize::from(d.partition_id())].insert(d, e);
        }
        for ((g, mut t), cell) in guards.iter_mut().zip(tables).zip(&self.layouts) {
            t.settle();
            **g = t;
            cell.note(g);
        }
    }

    /// Number of entries (all states).
    pub fn len(&self) -> usize {
        (0..PARTITIONS).map(|p| self.partition(p).len()).sum()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Heap bytes the index holds: every partition's slots and bitmap, plus the partition array
    /// itself (locks, table headers and layout hints, a fixed cost of the 4096 partitions).
    pub fn memory_bytes(&self) -> usize {
        let fixed = self.partitions.capacity() * std::mem::size_of::<Mutex<PartitionTable>>()
            + self.layouts.capacity() * std::mem::size_of::<LayoutCell>();
        fixed
            + (0..PARTITIONS)
                .map(|p| self.partition(p).heap_bytes())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Location;

    /// A digest in partition `pid` (its first two bytes), told apart by `n`.
    fn dg(pid: u16, n: u8) -> Digest {
        let mut d = [n; 20];
        d[..2].copy_from_slice(&pid.to_le_bytes());
        Digest(d)
    }

    fn entry(generation: u16) -> IndexEntry {
        IndexEntry::new(Location::default(), 64, generation, 0, 1, 0, 0)
    }

    #[test]
    fn a_stamp_holds_until_its_partition_changes() {
        let ix = Index::new();
        let (a, b, other) = (dg(7, 1), dg(7, 2), dg(8, 1));
        ix.put(a, entry(1));
        let (found, stamp) = ix.get_stamped(&a);
        assert_eq!(found, Some(entry(1)));
        assert!(ix.unchanged_since(&a, stamp));
        // Reads and changes of other partitions leave it.
        assert_eq!(ix.get(&a), Some(entry(1)));
        ix.put(other, entry(1));
        ix.remove(&other);
        assert!(ix.unchanged_since(&a, stamp));
        // Any change of the partition ends it: a replace, another digest, a remove, restore.
        for change in 0..5 {
            let (_, stamp) = ix.get_stamped(&a);
            match change {
                0 => drop(ix.put(a, entry(2))),
                1 => drop(ix.put(b, entry(1))),
                2 => drop(ix.remove(&b)),
                3 => ix.restore(vec![(b, entry(3))]),
                _ => drop(ix.partition_mut(7)),
            }
            assert!(!ix.unchanged_since(&a, stamp), "change {change}");
        }
        // A remove of an absent digest still counts (it took the partition for a change).
        let (_, stamp) = ix.get_stamped(&a);
        ix.remove(&dg(7, 9));
        assert!(!ix.unchanged_since(&a, stamp));
    }

    #[test]
    fn a_read_guard_leaves_the_stamp() {
        let ix = Index::new();
        let a = dg(3, 1);
        ix.put(a, entry(1));
        let (_, stamp) = ix.get_stamped(&a);
        assert_eq!(ix.partition(3).len(), 1);
        ix.for_each(|_, _| {});
        assert!(ix.unchanged_since(&a, stamp));
    }
}
