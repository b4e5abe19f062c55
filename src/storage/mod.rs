//! The storage boundary: where record images live. The engine (index, locks, record model) sees
//! storage only through [`Storage`]; backends are `memory` (Aerospike's `storage-engine memory`)
//! and `ssd`, the log-structured device store.
//!
//! Contract every backend keeps:
//! - `append` takes a complete encoded image, seals it (block sequence + CRC) and places it; the
//!   returned location stays readable until `release` is called for it;
//! - an image's bytes, once appended, are never changed (a new version is a new image);
//! - `read` returns exactly the bytes appended, or an error (never different bytes);
//! - `wait_durable(ticket)` returns once the image of that ticket survives a crash (immediately for
//!   memory); concurrent waiters may share one device sync (group commit);
//! - `scan` visits every image that a cold start could find, in any order.
//!
//! The device store (`ssd`) is built on the byte layouts of `crate::format` (one module per
//! on-disk structure: header, write block, record image, snapshot; storage-format.md) and one
//! module per in-memory structure (`write_buffer`, `blocks`), with `cold_start` scanning,
//! `snapshot` writing and reading the snapshot file, and `device/` I/O backends. Storage never
//! imports the index or the engine (tests/tidy_layers.rs).
//! Restart, defrag and tombstone reclamation need the index, so the engine drives them through
//! the restart and maintenance methods below (engine/recovery.rs, engine/defrag.rs).

pub mod blocks;
pub mod cold_start;
pub mod defrag;
pub mod device;
pub mod location;
pub mod memory;
pub mod read_cache;
pub mod snapshot;
pub mod snapshot_check;
pub mod ssd;
pub mod write_buffer;

use crate::error::Result;
use bytes::Bytes;
pub use location::Location;
pub use snapshot::IndexImage;
use std::time::Duration;

/// What a backend found at open.
#[derive(Debug)]
pub enum Restore {
    /// Nothing stored yet.
    Fresh,
    /// A clean shutdown's index snapshot (RS-CLEAN).
    Snapshot(IndexImage),
    /// The index must be rebuilt by `scan` (unclean shutdown or no valid snapshot), with the
    /// last clean shutdown's index as a reference for counting resurrected records when the
    /// backend still has it (storage-format.md §"Index snapshot", *reference*).
    Scan {
        /// The last clean shutdown's index, if kept.
        reference: Option<ScanReference>,
        /// Why the snapshot the clean device headers promised was not used (missing, damaged,
        /// or failed `snapshot_check`); `None` when the headers did not promise one.
        snapshot_rejected: Option<snapshot_check::Doubt>,
    },
}

/// The index of the last clean shutdown, kept to recognise zombies after a later cold start: an
/// image whose block sequence is ≤ `seq_high` whose digest this index did not hold belongs to a
/// record removed before that shutdown. Removals after it are not recorded anywhere (a
/// non-durable delete writes nothing, SN-REQ-ZOMBIE), so counts built on it are lower bounds.
#[derive(Debug, Clone, Default)]
pub struct ScanReference {
    /// Block-sequence high-water mark of that shutdown.
    pub seq_high: u64,
    /// Every digest its index held (live, expired-not-reaped or tombstone), sorted.
    pub digests: Vec<crate::record::key::Digest>,
}

/// Where an appended image went and how to wait for it to be durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Location for the index.
    pub location: Location,
    /// Padded image size.
    pub size: u32,
    /// Durability ticket for `wait_durable`.
    pub ticket: u64,
}

/// Space and back-pressure state (WP-02, WP-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpaceState {
    /// The write queue is over `max_write_cache` (→ 18).
    pub overloaded: bool,
    /// The namespace is in stop-writes (→ 8).
    pub stop_writes: bool,
}

/// Counters a backend reports (merged into `Database::stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StorageStats {
    /// Bytes of live images.
    pub used_bytes: u64,
    /// Capacity (0 = unbounded).
    pub capacity_bytes: u64,
    /// Bytes written to the device (or to memory) in total.
    pub bytes_written: u64,
    /// Image bytes appended by requests (client writes, tombstones, read-touches).
    pub client_bytes: u64,
    /// Image bytes appended by defrag moves.
    pub defrag_bytes: u64,
    /// Blocks in use (not free).
    pub used_blocks: u64,
    /// Free blocks.
    pub free_blocks: u64,
    /// Blocks queued for defrag.
    pub defrag_queued: u64,
    /// Sealed blocks waiting for their flush.
    pub flush_queue: u64,
    /// Reads served from memory (write buffer, flush queue, post-write cache).
    pub cache_hits: u64,
    /// Reads that went to the device.
    pub cache_misses: u64,
    /// Device syncs.
    pub syncs: u64,
    /// Cold-start scan counters (zero after a fast restart).
    pub scan: cold_start::ScanCounts,
    /// Whether the last open restored from an index snapshot.
    pub fast_restart: bool,
    /// I/O backend in use ("memory", "portable-direct", "io_uring-direct", …).
    pub io_backend: &'static str,
}

/// What [`Storage::audit`] found: the backend's space accounting compared with the images the
/// index references (`Database::check_integrity`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageAudit {
    /// Images the index references.
    pub images: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Blocks (device) or slabs (memory) whose accounting was compared.
    pub blocks: u64,
    /// Disagreements, in words (empty when index and storage agree).
    pub problems: Vec<String>,
}

/// Most problems an audit lists (the rest are counted in the last line).
pub const AUDIT_PROBLEMS_MAX: usize = 32;

impl StorageAudit {
    /// Record a disagreement (at most [`AUDIT_PROBLEMS_MAX`] are kept in words).
    pub fn problem(&mut self, what: impl FnOnce() -> String) {
        if self.problems.len() < AUDIT_PROBLEMS_MAX {
            self.problems.push(what());
        } else if self.problems.len() == AUDIT_PROBLEMS_MAX {
            self.problems.push("… further problems not listed".into());
        }
    }
}

/// A storage backend.
pub trait Storage: Send + Sync {
    /// Append an encoded image (see module contract).
    fn append(&self, image: Vec<u8>) -> Result<Placement>;
    /// Read the image at `location` of `size` bytes.
    fn read(&self, location: Location, size: u32) -> Result<Bytes>;
    /// Run `visit` on the image at `location` (same bytes and errors as `read`) without handing
    /// out a copy: backends pass a shared block or a reused buffer, outside their locks.
    fn read_with(&self, location: Location, size: u32, visit: &mut dyn FnMut(&[u8])) -> Result<()> {
        let b = self.read(location, size)?;
        visit(&b);
        Ok(())
    }
    /// Prefetch several images for a batch read, without the records' locks: each result is
    /// what `read` would have returned then; backends that can submit their device reads
    /// together do so. A prefetched image may be used only while [`Storage::prefetch_current`]
    /// says so. The default prefetches nothing (each result is an error; the batch then reads
    /// key by key), which suits backends whose reads are memory copies.
    fn read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>> {
        reqs.iter()
            .map(|_| crate::error::err(crate::error::ResultCode::ServerError, "no prefetch"))
            .collect()
    }
    /// Whether `image`, prefetched by `read_many` from `location`, is still the image stored
    /// there (its block was not freed and reused since). Called under the record's lock, after
    /// the index entry was found unchanged.
    fn prefetch_current(&self, _location: Location, _image: &[u8]) -> bool {
        false
    }
    /// The image at `location` is no longer referenced by the index.
    fn release(&self, location: Location, size: u32);
    /// Whether the image at `location` of `size` bytes is durable: it, and every image appended
    /// before it, survives a crash (so no older image is still only in a write buffer or the
    /// flush queue). Asked for an image the index points at.
    fn is_durable(&self, location: Location, size: u32) -> bool;
    /// Block until the image of `ticket` is durable.
    fn wait_durable(&self, ticket: u64) -> Result<()>;
    /// Current space state.
    fn space(&self) -> SpaceState;
    /// Why the namespace is in stop-writes, in words (`None` when it is not): the threshold
    /// reached, or the device failure (e.g. "no space on device") that stopped writes.
    fn stop_writes_cause(&self) -> Option<String>;
    /// Visit every image a cold start could find.
    /// Offers every image a cold start may index as `(location, block_seq, bytes)`. `block_seq`
    /// is the append sequence of the image's write block: images compare in append order by
    /// `(block_seq, location.offset)` (storage-format.md §"Scanning rules").
    fn scan(&self, visit: &mut dyn FnMut(Location, u64, &[u8])) -> Result<()>;
    /// Counters.
    fn stats(&self) -> StorageStats;

    /// At open: what the backend found (called once, before any request).
    fn restore(&self) -> Result<Restore> {
        Ok(Restore::Fresh)
    }
    /// At open, after the index is rebuilt: every live image's location and size. The backend
    /// rebuilds its space accounting and invalidates any snapshot durably before returning.
    fn finish_open(&self, _live: &mut dyn Iterator<Item = (Location, u32)>) -> Result<()> {
        Ok(())
    }
    /// Defrag: place a copy of the image read from `from` (resealed, may use the reserve).
    fn relocate(&self, _from: Location, image: Vec<u8>) -> Result<Placement> {
        self.append(image)
    }
    /// One bounded flush step: every sealed block and, when `flush_max_ms` passed since the last
    /// one or `force_partial`, the partly filled buffer. Returns bytes written.
    fn flush_step(&self, _force_partial: bool) -> Result<u64> {
        Ok(0)
    }
    /// Block until flush work may be pending or `timeout` passes (the flusher thread's sleep).
    fn wait_for_work(&self, timeout: Duration) {
        std::thread::sleep(timeout);
    }
    /// Interval of the runtime flusher, if the backend needs one.
    fn flush_interval(&self) -> Option<Duration> {
        None
    }
    /// The next block to defragment, if any.
    fn defrag_next(&self) -> Option<u32> {
        None
    }
    /// Defrag finished with `block`: `complete` when every live image was moved or found
    /// unmovable; otherwise (interrupted, e.g. no space) the block is queued again.
    fn defrag_done(&self, _block: u32, _complete: bool) {}
    /// Visit the verified images of `block` as a cold start would see them on the device.
    fn block_images(&self, _block: u32, _visit: &mut dyn FnMut(Location, &[u8])) -> Result<()> {
        Ok(())
    }
    /// [`Storage::block_images`] of several blocks at once (batched device reads, defrag); the
    /// visitor gets the index into `blocks` first. Default: one block after another.
    fn blocks_images(
        &self,
        blocks: &[u32],
        visit: &mut dyn FnMut(usize, Location, &[u8]),
    ) -> Result<()> {
        for (i, &b) in blocks.iter().enumerate() {
            self.block_images(b, &mut |loc, img| visit(i, loc, img))?;
        }
        Ok(())
    }
    /// Blocks a cold-start scan could read images from (for tombstone reclamation).
    fn readable_blocks(&self) -> Vec<u32> {
        Vec::new()
    }
    /// Clean shutdown: flush everything and, with `index`, write the snapshot and mark clean.
    fn shutdown(&self, _index: Option<&IndexImage>) -> Result<()> {
        Ok(())
    }
    /// Whether `shutdown` uses an index image (so the engine builds one).
    fn wants_snapshot(&self) -> bool {
        false
    }
    /// Simulated crash: drop everything not yet durable, write nothing more.
    fn abandon(&self) {}
    /// Compare the backend's accounting with `live`, every `(location, size)` the index
    /// references: each lies inside a used block (or slot) of its backend, images do not overlap,
    /// and the used bytes of every block equal the sum of its live images. Only meaningful while
    /// no request or maintenance step runs. The default checks nothing but counts.
    fn audit(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> StorageAudit {
        let mut a = StorageAudit::default();
        for (_, size) in live {
            a.images += 1;
            a.bytes += u64::from(size);
        }
        a
    }

    /// The truncate cut-offs found at open (set name, "" = namespace; LUT ms since 2010).
    fn truncations(&self) -> Vec<(String, u64)> {
        Vec::new()
    }
    /// Make the truncate table durable before it takes effect (TRUNC-PERSIST-1). Backends
    /// without persistence keep nothing.
    fn persist_truncations(&self, _table: &[(String, u64)]) -> Result<()> {
        Ok(())
    }
    /// How often the tombstone-reclaim pass should start (None = never).
    fn tomb_reclaim_period(&self) -> Option<Duration> {
        None
    }
}

/// Open the backend a namespace is configured with (device backends open their files here;
/// the engine then calls `restore` / `finish_open`).
/// Timers of the device store read `clock`'s monotonic time.
pub fn open_backend(
    ns: &crate::config::NamespaceConfig,
    background: bool,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Box<dyn Storage>> {
    Ok(match &ns.storage {
        crate::config::StorageConfig::Memory { capacity_bytes } => Box::new(
            memory::MemoryStorage::new(*capacity_bytes, ns.stop_writes_used_pct),
        ),
        crate::config::StorageConfig::Device(d) => Box::new(ssd::DeviceStorage::open(
            d,
            &ns.name,
            ns.stop_writes_used_pct,
            ns.stop_writes_avail_pct,
            background,
            clock,
        )?),
    })
}
