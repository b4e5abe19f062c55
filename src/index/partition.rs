//! The partitioned index map: 4096 partitions (K-PID), each a [`DigestTable`] behind its own lock.

use crate::index::entry::IndexEntry;
use crate::index::table::{self, DigestTable, Layout};
use crate::record::key::{Digest, PARTITIONS};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// One partition's table.
pub type PartitionTable = DigestTable<IndexEntry>;

/// 4096 partitions of digest → entry.
pub struct Index {
    partitions: Vec<Mutex<PartitionTable>>,
    /// Each partition's table layout as of its last `put` / `remove` / `restore`, readable
    /// without its lock, for [`Index::prefetch_lookup`] (possibly stale: hints only).
    layouts: Vec<LayoutCell>,
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
        }
    }

    fn part(&self, d: &Digest) -> MutexGuard<'_, PartitionTable> {
        self.partition(usize::from(d.partition_id()))
    }

    /// Lock one partition (by id) for scans and sweeps.
    pub fn partition(&self, pid: usize) -> MutexGuard<'_, PartitionTable> {
        // A poisoned partition means a panic mid-update: an invariant already broke.
        self.partitions[pid]
            .lock()
            .expect("index partition poisoned")
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
        let mut t = self.part(&d);
        let old = t.insert(d, e);
        self.layouts[usize::from(d.partition_id())].note(&t);
        old
    }

    /// Remove; returns the previous entry.
    pub fn remove(&self, d: &Digest) -> Option<IndexEntry> {
        let mut t = self.part(d);
        let old = t.remove(d);
        self.layouts[usize::from(d.partition_id())].note(&t);
        old
    }

    /// Insert every entry (the later of equal digests wins), sizing each partition's table once
    /// for its share instead of growing it step by step: a snapshot restore (RS-CLEAN) arrives in
    /// table order, and one sized build is several times cheaper than ~40 growth steps. Holds every
    /// partition lock (taken in partition order, as nothing else holds two) for the whole load.
    pub fn restore(&self, entries: Vec<(Digest, IndexEntry)>) {
        let mut guards: Vec<MutexGuard<'_, PartitionTable>> =
            (0..PARTITIONS).map(|p| self.partition(p)).collect();
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
