//! The storage boundary: where record images live. Backends are `memory` (Aerospike's
//! `storage-engine memory`) and `ssd`, the log-structured device store. The engine (index,
//! locks, record model) holds a backend as `Box<dyn Backend>` and sees it through three
//! interfaces, none with default methods (`tests/tidy_storage_boundary.rs` fails on one): a
//! default written for one backend is silently wrong for the other.
//!
//! 1. [`Storage`], the data path, implemented fully by both backends: append, read (single,
//!    in place, batched with `prefetch_current`), release, durability (`is_durable`,
//!    `wait_durable`), space and stop-writes state, counters and the accounting audit.
//!    - `append` takes a complete encoded image, seals it (block sequence + CRC) and places it;
//!      the returned location stays readable until `release` is called for it;
//!    - an image's bytes, once appended, are never changed (a new version is a new image);
//!    - `read`, `read_with` and each `read_many` result return exactly the bytes appended, or an
//!      error (never different bytes); `prefetch_current` is true only while the prefetched
//!      bytes are still the image stored at that location;
//!    - `wait_durable(ticket)` returns once the image of that ticket survives a crash
//!      (immediately for memory, where nothing survives a crash and nothing is lost by one);
//!      concurrent waiters may share one device sync (group commit);
//!    - `stats().used_bytes` is the sum of the sizes of appended, unreleased images, which
//!      `audit` checks against the index.
//! 2. [`Lifecycle`], open and close, called once each in order: `restore` (what the backend
//!    found), `scan` (only after [`Restore::Scan`]; visits every image a cold start could find,
//!    in any order), `finish_open` (space accounting rebuilt from the index, snapshot made
//!    unloadable), then requests, then `close` (clean: everything durable, snapshot) or
//!    `abandon` (simulated crash: nothing more is written). Memory finds nothing, keeps nothing
//!    and says so in each method.
//! 3. [`Maintenance`], optional, implemented only by the device store and reached through
//!    [`Backend::maintenance`]: flush steps and the flusher's wait, defrag (queue, relocate,
//!    batched block reads), the blocks tombstone reclamation reads, and the persistent truncate
//!    table. The engine skips each for a backend without it: memory has no buffer to flush, no
//!    blocks to defragment, no image a restart could bring back, and nothing persistent.
//!
//! The engine owns every background thread (engine/runtime.rs); backends start none that
//! outlive a call (the device store's scan and sync use scoped threads).
//!
//! The device store (`ssd`) is built on the byte layouts of `crate::format` (one module per
//! on-disk structure: header, write block, record image, snapshot; storage-format.md) and one
//! module per in-memory structure (`write_buffer`, `blocks`), with `cold_start` scanning,
//! `snapshot` writing and reading the snapshot file, and `device/` I/O backends. Storage never
//! imports the index or the engine (tests/tidy_layers.rs).
//! Restart, defrag and tombstone reclamation need the index, so the engine drives them through
//! [`Lifecycle`] and [`Maintenance`] (engine/recovery.rs, engine/defrag.rs, engine/tombstones.rs).

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

impl StorageStats {
    /// The counters of several namespaces (`Database::stats`): counts and bytes sum, a device
    /// store names the I/O backend (memory only when every part is memory), and `fast_restart`
    /// holds when there are parts and it holds for each.
    pub fn sum(parts: impl IntoIterator<Item = StorageStats>) -> StorageStats {
        let mut total = StorageStats::default();
        let mut all_fast = true;
        let mut any = false;
        for p in parts {
            total.add(&p);
            all_fast &= p.fast_restart;
            any = true;
        }
        total.fast_restart = any && all_fast;
        total
    }

    /// Add another part's counters (see [`StorageStats::sum`]; `fast_restart` is left to it).
    /// The destructuring is exhaustive, so a new counter cannot be left out of the sum.
    fn add(&mut self, o: &StorageStats) {
        let StorageStats {
            used_bytes,
            capacity_bytes,
            bytes_written,
            client_bytes,
            defrag_bytes,
            used_blocks,
            free_blocks,
            defrag_queued,
            flush_queue,
            cache_hits,
            cache_misses,
            syncs,
            scan,
            fast_restart: _,
            io_backend,
        } = *o;
        self.used_bytes += used_bytes;
        self.capacity_bytes += capacity_bytes;
        self.bytes_written += bytes_written;
        self.client_bytes += client_bytes;
        self.defrag_bytes += defrag_bytes;
        self.used_blocks += used_blocks;
        self.free_blocks += free_blocks;
        self.defrag_queued += defrag_queued;
        self.flush_queue += flush_queue;
        self.cache_hits += cache_hits;
        self.cache_misses += cache_misses;
        self.syncs += syncs;
        self.scan.add(&scan);
        if self.io_backend.is_empty() || self.io_backend == memory::IO_BACKEND {
            self.io_backend = io_backend;
        }
    }
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

/// The data path: what both backends do for real, request by request.
pub trait Storage: Send + Sync {
    /// Append an encoded image (see the module contract). Fails with the backend's full or
    /// failed state; nothing is placed then.
    fn append(&self, image: Vec<u8>) -> Result<Placement>;
    /// Read the image at `location` of `size` bytes: exactly the bytes appended, or an error.
    /// Bytes read from a device are returned only when their image CRC verifies (the store's
    /// part of SN-REQ-VERIFY; ServerError 1 otherwise); bytes served from the store's memory are
    /// the image as it sealed them, so readers check only the header against the index entry.
    fn read(&self, location: Location, size: u32) -> Result<Bytes>;
    /// Run `visit` on the image at `location` (same bytes and errors as `read`) without handing
    /// out a copy: backends pass a shared block or a reused buffer, outside their locks.
    fn read_with(&self, location: Location, size: u32, visit: &mut dyn FnMut(&[u8])) -> Result<()>;
    /// Read several images for a batch, without the records' locks: each result is what `read`
    /// would have returned then (the device store submits its device reads together). A
    /// prefetched image may be used only while [`Storage::prefetch_current`] says so.
    fn read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>>;

    /// Hint that the image of `size` bytes at `location` is about to be read: a store that holds
    /// it in memory where it can find it without a lock asks for its cache lines now. Changes
    /// nothing observable.
    fn prefetch_image(&self, location: Location, size: u32);
    /// Whether `image`, prefetched by `read_many` from `location`, is still the image stored
    /// there (not released and the place reused since). Called under the record's lock, after
    /// the index entry was found unchanged.
    fn prefetch_current(&self, location: Location, image: &[u8]) -> bool;
    /// `prefetch_current` for each of `images` (a scan's batch), asked once after their records
    /// were answered: true where the image is still the one stored at its location, which means
    /// it was the stored one at every moment since `read_many` read it (a block incarnation, or
    /// a memory slot's image, never comes back once replaced). One answer per image, in order.
    fn prefetch_current_many(&self, images: &[(Location, &[u8])]) -> Vec<bool>;
    /// The image at `location` is no longer referenced by the index (its bytes leave the space
    /// accounting; the place may be reused).
    fn release(&self, location: Location, size: u32);
    /// Whether the image at `location` of `size` bytes is durable: it, and every image appended
    /// before it, survives a crash (so no older image is still only in a write buffer or the
    /// flush queue). Asked for an image the index points at.
    fn is_durable(&self, location: Location, size: u32) -> bool;
    /// Block until the image of `ticket` is durable.
    fn wait_durable(&self, ticket: u64) -> Result<()>;
    /// Current space and back-pressure state.
    fn space(&self) -> SpaceState;
    /// Why the namespace is in stop-writes, in words (`None` when it is not): the threshold
    /// reached, or the device failure (e.g. "no space on device") that stopped writes.
    fn stop_writes_cause(&self) -> Option<String>;
    /// The backend's counters (`Database::stats` sums them over namespaces).
    fn stats(&self) -> StorageStats;
    /// Compare the space accounting of the data path with `live`, every `(location, size)` the
    /// index references: each lies inside a used block (or slot) of its backend, images do not
    /// overlap, and used bytes equal the sum of the live images. Only meaningful while no
    /// request or maintenance step runs (`Database::check_integrity`).
    fn audit(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> StorageAudit;
}

/// Open and close: called by the engine once each, in the order `restore`, (`scan`),
/// `finish_open`, then requests, then `close` or `abandon`.
pub trait Lifecycle: Send + Sync {
    /// At open: what the backend found (called once, before any request).
    fn restore(&self) -> Result<Restore>;
    /// Offer every image a cold start may index as `(location, block_seq, bytes)` (after
    /// `restore` answered [`Restore::Scan`]). `block_seq` is the append sequence of the image's
    /// write block: images compare in append order by `(block_seq, location.offset)`
    /// (storage-format.md §"Scanning rules").
    fn scan(&self, visit: &mut dyn FnMut(Location, u64, &[u8])) -> Result<()>;
    /// At open, after the index is rebuilt: every live image's location and size. The backend
    /// rebuilds its space accounting and invalidates any snapshot durably before returning.
    fn finish_open(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> Result<()>;
    /// Clean shutdown: make everything durable and, when the backend keeps an index snapshot,
    /// write `index()` (called only then) and mark the store clean.
    fn close(&self, index: &dyn Fn() -> IndexImage) -> Result<()>;
    /// Simulated crash: drop everything not yet durable, write nothing more.
    fn abandon(&self);
}

/// A block queued for or under defrag ([`Maintenance::defrag_block`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefragBlock {
    /// Bytes of its live images.
    pub live: u64,
    /// Its size in bytes.
    pub size: u64,
    /// The incarnation that was queued: every image of it carries this block sequence.
    pub seq: u64,
}

/// Background work and persistent metadata of a store that buffers, defragments and keeps
/// tables on its devices. Only the device store implements it; the engine reaches it through
/// [`Backend::maintenance`] and skips each step for a backend without it.
pub trait Maintenance: Send + Sync {
    /// Defrag: place a copy of the image read from `from` (resealed, may use the reserve).
    fn relocate(&self, from: Location, image: Vec<u8>) -> Result<Placement>;
    /// One bounded flush step: every sealed block and, when `flush_max_ms` passed since the last
    /// one or `force_partial`, the partly filled buffer. Returns bytes written.
    fn flush_step(&self, force_partial: bool) -> Result<u64>;
    /// Block until flush work may be pending or `timeout` passes (the flusher thread's wait).
    fn wait_for_work(&self, timeout: Duration);
    /// Interval of the runtime flusher.
    fn flush_interval(&self) -> Duration;
    /// Whether the background defrag should empty queued blocks now
    /// (`storage::defrag::defrag_due`: only once free space is scarce enough).
    fn defrag_due(&self) -> bool;
    /// The next block to defragment, if any.
    fn defrag_next(&self) -> Option<u32>;
    /// Defrag finished with `block`: `complete` when every live image was moved or found
    /// unmovable; otherwise (interrupted, e.g. no space) the block is queued again.
    fn defrag_done(&self, block: u32, complete: bool);
    /// Read the live images of blocks under defrag, as `Storage::read_many` answers them, except
    /// that device reads never go through the page cache: they go to each device in one batched
    /// direct read. Each image is read once, so the page cache would only cost a synchronous
    /// page fault per image on the maintenance thread, queued on the device beside the group
    /// commit's writes and syncs (BENCHMARKS.md "Session 21").
    fn defrag_read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>>;
    /// What defrag needs to know of `block` while it is queued for or under defrag; `None` once
    /// it is not (freed, perhaps reopened).
    fn defrag_block(&self, block: u32) -> Option<DefragBlock>;
    /// Up to `limit` of the blocks `defrag_next` would hand out next, oldest first, with what
    /// `defrag_block` says of each; none is taken from the queue.
    fn defrag_queued(&self, limit: usize) -> Vec<(u32, DefragBlock)>;
    /// Visit the verified images of `blocks` as a cold start would see them on the device
    /// (batched device reads); the visitor gets the index into `blocks` first.
    fn blocks_images(
        &self,
        blocks: &[u32],
        visit: &mut dyn FnMut(usize, Location, &[u8]),
    ) -> Result<()>;
    /// Blocks a cold-start scan could read images from (for tombstone reclamation).
    fn readable_blocks(&self) -> Vec<u32>;
    /// How often the tombstone-reclaim pass should start (None = never).
    fn tomb_reclaim_period(&self) -> Option<Duration>;
    /// The truncate cut-offs found at open (set name, "" = namespace; LUT ms since 2010).
    fn truncations(&self) -> Vec<(String, u64)>;
    /// Make the truncate table durable before it takes effect (TRUNC-PERSIST-1).
    fn persist_truncations(&self, table: &[(String, u64)]) -> Result<()>;
}

/// What the engine holds for a namespace: the data path, the lifecycle and, for the device
/// store, maintenance.
pub trait Backend: Storage + Lifecycle {
    /// The maintenance interface, or `None` for a backend with no background work and nothing
    /// persistent (memory).
    fn maintenance(&self) -> Option<&dyn Maintenance>;
}

/// Open the backend a namespace is configured with (device backends open their files here;
/// the engine then calls `restore` / `finish_open`).
/// Timers of the device store read `clock`'s monotonic time.
pub fn open_backend(
    ns: &crate::config::NamespaceConfig,
    background: bool,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Box<dyn Backend>> {
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
