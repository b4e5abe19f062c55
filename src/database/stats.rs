//! `Stats`: the counters `Database::stats` reports, summed over namespaces. The storage part
//! comes from each backend as one [`StorageStats`] (summed by [`StorageStats::sum`]) and enters
//! `Stats` in one place, [`Stats::set_storage`], whose exhaustive destructuring makes the
//! compiler name any storage counter that is neither reported nor explicitly left out.
//!
//! Invariants: `records + tombstones` is the number of index entries; the storage fields are
//! exactly the sum of the namespaces' storage counters.

use crate::engine::recovery::RecoveryStats;
use crate::engine::Namespace;
use crate::record::key::PARTITIONS;
use crate::storage::StorageStats;
use std::sync::Arc;

/// A point-in-time snapshot of counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Index entries that are live or expired-not-reaped records.
    pub records: u64,
    /// Tombstones.
    pub tombstones: u64,
    /// Bytes of the index: its tables by capacity (the larger ones as blocks of the huge-page
    /// pool, rounded up to 64 bytes) plus the fixed 4096-partition array.
    pub index_bytes: u64,
    /// Bytes the process's huge-page pool for index tables holds beyond the tables' blocks:
    /// free ranges between blocks and spare chunks (about a fifth of the pooled tables' bytes
    /// while an index grows). Shared by every database of the process, so not in
    /// `index_bytes`; with one database, `index_bytes + index_pool_free_bytes` is the index's
    /// whole footprint.
    pub index_pool_free_bytes: u64,
    /// Bytes of live images in storage.
    pub used_bytes: u64,
    /// Bytes written to storage (device bytes for the device store).
    pub bytes_written: u64,
    /// Image bytes appended by requests.
    pub client_bytes: u64,
    /// Image bytes rewritten by defrag.
    pub defrag_bytes: u64,
    /// Write blocks in use.
    pub used_blocks: u64,
    /// Free write blocks.
    pub free_blocks: u64,
    /// Blocks queued for defrag.
    pub defrag_queued: u64,
    /// Reads served from memory.
    pub cache_hits: u64,
    /// Reads from the device.
    pub cache_misses: u64,
    /// Device syncs.
    pub syncs: u64,
    /// Cold start: images accepted by the scan.
    pub scan_images: u64,
    /// Cold start: images skipped as stale (earlier block incarnation).
    pub scan_stale: u64,
    /// Cold start: images skipped as corrupt (magic found, verification failed).
    pub scan_corrupt: u64,
    /// Cold start: runs of bytes that belong to no verified image.
    pub scan_unparsed: u64,
    /// Cold start: blocks with an invalid header.
    pub scan_invalid_blocks: u64,
    /// Restart: images that lost resolution to a newer image of the same record.
    pub restart_superseded: u64,
    /// Restart: winners dropped because they had expired.
    pub restart_expired: u64,
    /// Cold start: records brought back that the last clean shutdown's index did not hold
    /// (zombies, Q-ZOMBIE; a lower bound, see `RecoveryStats::resurrected`).
    pub restart_resurrected: u64,
    /// Whether every namespace opened from an index snapshot.
    pub fast_restart: bool,
    /// The I/O backend the device store runs on ("uring", "portable"; "memory" when every
    /// namespace keeps its data in memory; "" without namespaces).
    pub io_backend: &'static str,
    /// Secondary indexes (docs/sindex.md).
    pub sindexes: u64,
    /// Their entries (one per indexed value of a record).
    pub sindex_entries: u64,
    /// Indexes still being built (SIDX-BUILD-1; `IndexTask::percent_loaded` gives progress).
    pub sindexes_loading: u64,
}

impl Stats {
    /// The counters of `namespaces` and the restart reports of this open.
    pub(crate) fn collect<'a>(
        namespaces: impl Iterator<Item = &'a Arc<Namespace>>,
        recovery: &[RecoveryStats],
    ) -> Stats {
        let mut s = Stats::default();
        let mut storage = Vec::new();
        let mut entries = 0u64;
        for ns in namespaces {
            for p in 0..PARTITIONS {
                for e in ns.index.partition(p).values() {
                    if e.is_tombstone() {
                        s.tombstones += 1;
                    } else {
                        s.records += 1;
                    }
                }
            }
            entries += ns.index.len() as u64;
            s.index_bytes += ns.index.memory_bytes() as u64;
            storage.push(ns.storage.stats());
            for ix in ns.sindexes.indexes() {
                s.sindexes += 1;
                s.sindex_entries += ix.tree.len() as u64;
                s.sindexes_loading += u64::from(!ix.loaded());
            }
        }
        debug_assert_eq!(
            s.records + s.tombstones,
            entries,
            "every index entry counted"
        );
        s.index_pool_free_bytes = crate::index::pool::free_bytes() as u64;
        s.set_storage(&StorageStats::sum(storage));
        for r in recovery {
            s.restart_superseded += r.superseded;
            s.restart_expired += r.expired_dropped;
            s.restart_resurrected += r.resurrected;
        }
        s.fast_restart = !recovery.is_empty() && recovery.iter().all(|r| r.from_snapshot);
        s
    }

    /// The storage part: the one place storage counters become `Stats` fields.
    fn set_storage(&mut self, st: &StorageStats) {
        let StorageStats {
            used_bytes,
            // Not reported: capacity and the flush queue are configuration and a transient.
            capacity_bytes: _,
            bytes_written,
            client_bytes,
            defrag_bytes,
            used_blocks,
            free_blocks,
            defrag_queued,
            flush_queue: _,
            cache_hits,
            cache_misses,
            syncs,
            scan,
            // `fast_restart` comes from the restart reports (`collect`).
            fast_restart: _,
            io_backend,
        } = *st;
        self.used_bytes = used_bytes;
        self.bytes_written = bytes_written;
        self.client_bytes = client_bytes;
        self.defrag_bytes = defrag_bytes;
        self.used_blocks = used_blocks;
        self.free_blocks = free_blocks;
        self.defrag_queued = defrag_queued;
        self.cache_hits = cache_hits;
        self.cache_misses = cache_misses;
        self.syncs = syncs;
        self.scan_images = scan.accepted;
        self.scan_stale = scan.stale;
        self.scan_corrupt = scan.corrupt;
        self.scan_unparsed = scan.unparsed;
        self.scan_invalid_blocks = scan.invalid_blocks;
        self.io_backend = io_backend;
    }

    /// Device bytes written per byte of request data (1.0 when nothing was written).
    pub fn write_amplification(&self) -> f64 {
        if self.client_bytes == 0 {
            1.0
        } else {
            self.bytes_written as f64 / self.client_bytes as f64
        }
    }

    /// Share of reads served from memory.
    pub fn cache_hit_ratio(&self) -> f64 {
        let n = self.cache_hits + self.cache_misses;
        if n == 0 {
            0.0
        } else {
            self.cache_hits as f64 / n as f64
        }
    }
}
