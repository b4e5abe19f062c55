//! The partitioned index map.

use crate::index::digest_hash::DigestBuildHasher;
use crate::index::entry::IndexEntry;
use crate::record::key::{Digest, PARTITIONS};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// 4096 partitions of digest → entry.
pub struct Index {
    partitions: Vec<Mutex<HashMap<Digest, IndexEntry, DigestBuildHasher>>>,
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
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
        }
    }

    fn part(&self, d: &Digest) -> MutexGuard<'_, HashMap<Digest, IndexEntry, DigestBuildHasher>> {
        self.partition(usize::from(d.partition_id()))
    }

    /// Lock one partition (by id) for scans and sweeps.
    pub fn partition(
        &self,
        pid: usize,
    ) -> MutexGuard<'_, HashMap<Digest, IndexEntry, DigestBuildHasher>> {
        // A poisoned partition means a panic mid-update: an invariant already broke.
        self.partitions[pid]
            .lock()
            .expect("index partition poisoned")
    }

    /// Look up.
    pub fn get(&self, d: &Digest) -> Option<IndexEntry> {
        self.part(d).get(d).copied()
    }

    /// Insert or replace; returns the previous entry.
    pub fn put(&self, d: Digest, e: IndexEntry) -> Option<IndexEntry> {
        self.part(&d).insert(d, e)
    }

    /// Remove; returns the previous entry.
    pub fn remove(&self, d: &Digest) -> Option<IndexEntry> {
        self.part(d).remove(d)
    }

    /// Number of entries (all states).
    pub fn len(&self) -> usize {
        (0..PARTITIONS).map(|p| self.partition(p).len()).sum()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the index maps hold, by capacity: (digest + entry + 1 control byte) per slot.
    pub fn memory_bytes(&self) -> usize {
        let slot = std::mem::size_of::<(Digest, IndexEntry)>() + 1;
        (0..PARTITIONS)
            .map(|p| self.partition(p).capacity() * slot)
            .sum()
    }
}
