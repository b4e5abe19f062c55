//! The log-structured device store: one namespace's images on one or more devices, appended into
//! write blocks (storage-format.md), with an in-memory write buffer, a flush queue, a post-write
//! cache, group commit, block accounting for defrag, cold-start scanning and the index snapshot.
//!
//! Global block `g` lives on device `g % n` at byte offset `block_size × (1 + g / n)`; the first
//! `block_size` bytes of each device hold the two header slots.
//!
//! Submodules: `open` (the open steps: lock, size, read and check headers, choose the restore),
//! `append` (placing images in the open block), `read` (memory and device reads, batched
//! reads), `flush` (flush batches, pipelined group commit: the commit-to-device design and
//! why it overlaps `fdatasync` calls rather than issuing `RWF_DSYNC` writes), `scan` (cold-start
//! scan with one reader thread per device and 8 MiB read-ahead, batched block reads for defrag),
//! `moves` (defrag copies not yet durable), `audit`, `group_commit`, `space` (the store lock's
//! guard, which publishes overload and stop-writes for writers to read without the lock); the
//! trait impls of the storage boundary (storage/mod.rs): [`Storage`] here, `lifecycle`
//! ([`crate::storage::Lifecycle`]) and `maintenance` ([`Maintenance`]).
//!
//! Invariants:
//! - images are placed only in the open block; a block's bytes below its durable frontier are
//!   never rewritten with different content (SN-REQ-FRONTIER);
//! - blocks are flushed in sequence order — flush batches are written one at a time, in order,
//!   and the durable frontier (a ticket `seq << 32 | offset`) moves only over a gap-free prefix
//!   of batches whose syncs all succeeded, even though up to two batches' syncs overlap
//!   (`flush`) — so `durable` only grows, and an append's ticket is durable exactly when
//!   `durable ≥ ticket`;
//! - every read is served from memory (the open buffer, the flush queue, the post-write cache
//!   `read_cache`) or by one device read — through the page cache with `read_page_cache`, else
//!   one aligned `O_DIRECT` read — and a device image is returned only when its block sequence
//!   matches the block's current incarnation and its CRC verifies (the engine then checks
//!   digest, generation, LUT and void-time);
//! - after a failed device write or sync the store is *failed*: it refuses appends and
//!   durability waits with ServerError 1 and reports stop-writes (SN-REQ-WRITE-ERROR) — in doubt
//!   for a waiter whose image was handed to the device (ID-DEVICE-HANDOFF, `flush`); it serves
//!   only images below the durable frontier, so a write answered with 1 is never observed
//!   (WP-NOCHANGE), except that a defrag copy above it is served from its durable source
//!   (`moves`: same record version; the source block is kept until the copy is durable);
//! - locks are taken in the order `state`, `cache`; a post-write-cache hit takes
//!   only the cache's read lock;
//! - the header's clean flag is cleared durably and a new instance id written (so the snapshot can never
//!   be loaded again; a cold start deletes it) before the first request after open (SN-REQ-SNAPSHOT-LOAD).

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::format::header::{self, DeviceHeader};
use crate::format::write_block;
use crate::storage::blocks::{BlockState, BlockTable};
use crate::storage::cold_start::ScanCounts;
use crate::storage::device::lock::PathLock;
use crate::storage::device::{AlignedBuf, Device};
use crate::storage::read_cache::{BlockHints, PostWriteCache};
use crate::storage::write_buffer::WriteBuffer;
use crate::storage::Location;
use crate::storage::{
    Backend, Maintenance, Placement, Restore, SpaceState, Storage, StorageAudit, StorageStats,
};
use bytes::Bytes;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Duration;

/// Consecutive never-written blocks after which a cold-start scan stops (blocks are allocated
/// lowest first, so written blocks form a prefix).
const PRISTINE_RUN: u32 = 8;

mod append;
mod audit;
mod bell;
mod commit_wait;
mod flush;
pub mod group_commit;
mod lifecycle;
mod maintenance;
mod moves;
mod open;
mod read;
mod scan;
mod space;

use space::{SpaceFlags, StateGuard};

/// Why a store is in stop-writes (WP-04, SN-REQ-WRITE-ERROR).
enum StopReason {
    /// A device write or sync failed.
    Failed,
    /// Live bytes reach `stop_writes_used_pct`.
    Used,
    /// Free blocks are below `stop_writes_avail_pct`.
    Avail,
}

struct Sealed {
    block: u32,
    seq: u64,
    buf: Arc<AlignedBuf>,
    flushed: usize,
}

struct State {
    blocks: BlockTable,
    current: Option<WriteBuffer>,
    /// Zeroed write-block buffers the flusher prepared, not yet opened: reused buffers of blocks
    /// that left the post-write cache, or huge-page pieces (`maintenance::top_up_blocks`; at
    /// most [`SPARE_BLOCKS`] plus one slab's pieces).
    spare_blocks: Vec<AlignedBuf>,
    sealed: VecDeque<Sealed>,
    next_seq: u64,
    durable: u64,
    failed: Option<String>,
    /// When the open buffer was last flushed partly (or the store opened), µs of `clock`'s
    /// monotonic time.
    last_partial: u64,
    live_bytes: u64,
    restore: Option<Restore>,
    headers: Vec<DeviceHeader>,
    scan: ScanCounts,
    fast_restart: bool,
    flush: flush::FlushState,
    moves: moves::PendingMoves,
}

#[derive(Default)]
struct Counters {
    device_bytes: AtomicU64,
    client_bytes: AtomicU64,
    defrag_bytes: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    syncs: AtomicU64,
}

/// The device store.
pub struct DeviceStorage {
    devices: Vec<Arc<dyn Device>>,
    block_size: usize,
    flush_size: usize,
    total_blocks: u32,
    device_set_id: u64,
    commit_to_device: bool,
    flush_max: Duration,
    max_write_cache: u64,
    read_page_cache: bool,
    /// Every block with live records is held in the post-write cache (loaded at open).
    data_in_memory: bool,
    /// The post-write cache, beside `state` so that cache hits never take the state lock (lock
    /// order: `state`, then `cache`).
    cache: RwLock<PostWriteCache>,
    /// The cache's prefetch hints, read without its lock.
    hints: Arc<BlockHints>,
    snapshot_path: Option<PathBuf>,
    tomb_period: Option<Duration>,
    /// `DeviceConfig::defrag_free_hwm_pct`: the background defrag waits while more is free.
    defrag_free_hwm_pct: u8,
    stop_used_pct: u64,
    stop_avail_pct: u64,
    background: bool,
    state: Mutex<State>,
    /// Overload and stop-writes as the last holder of `state` left them (`space`).
    space: SpaceFlags,
    /// The sequence of the block last opened for appends (0: none yet): appends seal their
    /// image with it before taking `state`, and again under it if it changed (`append`).
    open_seq: AtomicU64,
    /// Group-commit waiters whose bytes are not yet written: the write slot was freed or a sync
    /// finished, so one of them may lead the next batch.
    slot_cv: Condvar,
    work_cv: Condvar,
    /// The durable frontier and the waiter count, readable without `state` (`commit_wait`).
    frontier: commit_wait::Frontier,
    counters: Counters,
    abandoned: AtomicBool,
    /// Exclusive locks on the device paths and the snapshot, held from open until shutdown,
    /// abandon or drop (`device::lock`).
    locks: Mutex<Vec<PathLock>>,
    /// The database's clock: flush timers and group-commit ages read its monotonic time.
    clock: Arc<dyn Clock>,
}

impl DeviceStorage {
    /// Give up the exclusive locks on the device paths and the snapshot (at close; nothing is
    /// written afterwards).
    fn release_locks(&self) {
        // A poisoned lock list still holds plain file handles: release them all the same.
        let mut held = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        held.clear();
        assert!(held.is_empty(), "every lock released");
    }

    /// Largest image one block holds.
    pub fn max_image(&self) -> usize {
        self.block_size - write_block::HEADER_LEN
    }

    /// Name of the I/O backend of the first device.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn backend_kind(&self) -> &'static str {
        self.devices[0].kind()
    }

    /// Device-set id.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn device_set_id(&self) -> u64 {
        self.device_set_id
    }

    /// The store lock; releasing it publishes the space flags (`space`).
    fn lock(&self) -> StateGuard<'_> {
        // A panic while holding the state broke an invariant already.
        StateGuard::new(
            self.state.lock().expect("device store state poisoned"),
            self,
        )
    }

    /// Device and byte offset of block `g`.
    fn place_of(&self, g: u32) -> (usize, u64) {
        let n = self.devices.len() as u32;
        (
            (g % n) as usize,
            self.block_size as u64 * (1 + u64::from(g / n)),
        )
    }

    /// Bytes the store's blocks hold in all.
    fn capacity_bytes(&self) -> u64 {
        u64::from(self.total_blocks) * self.block_size as u64
    }

    /// Why the store is in stop-writes, if it is (cheap: no text; `stop_cause` words it).
    fn stop_reason(&self, st: &State) -> Option<StopReason> {
        let capacity = self.capacity_bytes();
        let free = st.blocks.free_count() as u64;
        if st.failed.is_some() {
            Some(StopReason::Failed)
        } else if st.live_bytes * 100 >= capacity * self.stop_used_pct {
            Some(StopReason::Used)
        } else if free * 100 < u64::from(self.total_blocks) * self.stop_avail_pct {
            Some(StopReason::Avail)
        } else {
            None
        }
    }

    /// Why writes are stopped (SN-REQ-WRITE-ERROR, WP-04), in words, or `None`.
    fn stop_cause(&self, st: &State) -> Option<String> {
        let capacity = self.capacity_bytes();
        Some(match self.stop_reason(st)? {
            StopReason::Failed => format!(
                "device store failed: {}",
                st.failed.as_deref().unwrap_or_default()
            ),
            StopReason::Used => format!(
                "{} live bytes of a {capacity} byte device store reach stop_writes_used_pct {}",
                st.live_bytes, self.stop_used_pct
            ),
            StopReason::Avail => format!(
                "{} free blocks of {} are below stop_writes_avail_pct {}",
                st.blocks.free_count(),
                self.total_blocks,
                self.stop_avail_pct
            ),
        })
    }

    fn fail(&self, st: &mut State, e: &Error) {
        if st.failed.is_none() {
            st.failed = Some(e.detail().to_string());
        }
        self.wake_all_parked(st);
        self.notify_slot();
    }

    fn write_headers(&self, st: &mut State, clean: bool) -> Result<()> {
        let seq_high = st.next_seq - 1;
        for (i, d) in self.devices.iter().enumerate() {
            let h = &mut st.headers[i];
            h.header_seq += 1;
            h.seq_high = seq_high;
            h.flags = if clean {
                h.flags | header::FLAG_CLEAN
            } else {
                h.flags & !header::FLAG_CLEAN
            };
            if self.commit_to_device {
                h.flags |= header::FLAG_COMMIT_TO_DEVICE;
            } else {
                h.flags &= !header::FLAG_COMMIT_TO_DEVICE;
            }
            let mut buf = AlignedBuf::zeroed(header::SLOT_SIZE);
            buf.as_mut_slice().copy_from_slice(&h.encode());
            d.write_at((h.slot() * header::SLOT_SIZE) as u64, buf.as_slice())?;
            d.sync()?;
        }
        Ok(())
    }
}

impl Storage for DeviceStorage {
    fn append(&self, image: Vec<u8>) -> Result<Placement> {
        self.append_inner(image, None)
    }

    fn read(&self, location: Location, size: u32) -> Result<Bytes> {
        self.read_image(location, size)
    }

    fn read_with(&self, location: Location, size: u32, visit: &mut dyn FnMut(&[u8])) -> Result<()> {
        self.read_image_with(location, size, visit)
    }

    /// Memory hits are answered at once; device reads of `O_DIRECT` stores go to each device in
    /// one `read_batch` (one io_uring submission); a failed batch is retried read by read (`read`).
    fn read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>> {
        self.read_images(reqs, self.read_page_cache)
    }

    /// Post-write-cache images only, from the lock-free hints (`read_cache::BlockHints`).
    fn prefetch_image(&self, location: Location, size: u32) {
        self.hints
            .prefetch(location.block, location.offset as usize, size as usize);
    }

    /// An image's bytes never change within a block incarnation, so a prefetched image is still
    /// the stored one while its block is in the incarnation the image was sealed with.
    fn prefetch_current(&self, location: Location, image: &[u8]) -> bool {
        Self::image_current(&self.lock(), location, image)
    }

    /// One state lock for the whole batch; block sequences only grow, so an image of the
    /// block's current incarnation was current since it was read.
    fn prefetch_current_many(&self, images: &[(Location, &[u8])]) -> Vec<bool> {
        let st = self.lock();
        images
            .iter()
            .map(|(location, image)| Self::image_current(&st, *location, image))
            .collect()
    }

    fn release(&self, location: Location, size: u32) {
        let mut st = self.lock();
        let durable = st.durable;
        st.blocks.release(location.block, size, durable);
        assert!(
            st.live_bytes >= u64::from(size),
            "released more than is live"
        );
        st.live_bytes -= u64::from(size);
        if st.blocks.get(location.block).map(|b| b.state) == Some(BlockState::Free) {
            self.cache_mut().remove(location.block);
        }
    }

    /// An image's ticket is `seq << 32 | end` as `append` gave it; the durable frontier covers a
    /// gap-free prefix of the append order, so every earlier image is durable with it.
    fn is_durable(&self, location: Location, size: u32) -> bool {
        let st = self.lock();
        let end = u64::from(location.offset) + u64::from(size);
        st.blocks.get(location.block).is_some_and(|b| {
            b.state != BlockState::Free && b.seq != 0 && (b.seq << 32 | end) <= st.durable
        })
    }

    fn wait_durable(&self, ticket: u64) -> Result<()> {
        if ticket == 0 || !self.commit_to_device {
            return Ok(());
        }
        self.wait_ticket(ticket)
    }

    /// Without the store lock: the flags its last holder published (`space`).
    fn space(&self) -> SpaceState {
        self.space.load().state()
    }

    /// The lock is taken only to word the cause of a stop the published flags show.
    fn stop_writes_cause(&self) -> Option<String> {
        if !self.space().stop_writes {
            return None;
        }
        self.stop_cause(&self.lock())
    }

    fn stats(&self) -> StorageStats {
        let st = self.lock();
        let free = st.blocks.free_count() as u64;
        StorageStats {
            used_bytes: st.live_bytes,
            capacity_bytes: self.capacity_bytes(),
            bytes_written: self.counters.device_bytes.load(Ordering::Relaxed),
            client_bytes: self.counters.client_bytes.load(Ordering::Relaxed),
            defrag_bytes: self.counters.defrag_bytes.load(Ordering::Relaxed),
            used_blocks: u64::from(self.total_blocks) - free,
            free_blocks: free,
            defrag_queued: st.blocks.defrag_queued() as u64,
            flush_queue: st.sealed.len() as u64,
            cache_hits: self.counters.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.counters.cache_misses.load(Ordering::Relaxed),
            syncs: self.counters.syncs.load(Ordering::Relaxed),
            scan: st.scan,
            fast_restart: st.fast_restart,
            io_backend: self.devices[0].kind(),
        }
    }

    fn audit(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> StorageAudit {
        self.audit_live(live)
    }
}

impl Backend for DeviceStorage {
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        Some(self)
    }
}
