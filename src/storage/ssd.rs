//! The log-structured device store: one namespace's images on one or more devices, appended into
//! write blocks (storage-format.md), with an in-memory write buffer, a flush queue, a post-write
//! cache, group commit, block accounting for defrag, cold-start scanning and the index snapshot.
//!
//! Global block `g` lives on device `g % n` at byte offset `block_size × (1 + g / n)`; the first
//! `block_size` bytes of each device hold the two header slots.
//!
//! Submodules: `flush` (flush batches, pipelined group commit: the commit-to-device design and
//! why it overlaps `fdatasync` calls rather than issuing `RWF_DSYNC` writes), `scan` (cold-start
//! scan with one reader thread per device and 8 MiB read-ahead, batched block reads for defrag).
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
//!   matches the block's current incarnation (the engine then checks CRC, digest, generation,
//!   LUT and void-time);
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
use crate::config::DeviceConfig;
use crate::error::{err, Error, Result, ResultCode};
use crate::storage::blocks::{BlockState, BlockTable};
use crate::storage::cold_start::{scan_block, ScanCounts};
use crate::storage::device::lock::PathLock;
use crate::storage::device::{self, align_down, align_up, AlignedBuf, Device, ALIGN};
use crate::storage::header::{self, DeviceHeader, SlotError};
use crate::storage::read_cache::PostWriteCache;
use crate::storage::record_image;
use crate::storage::snapshot::{self, IndexImage, SnapshotMeta};
use crate::storage::snapshot_check;
use crate::storage::write_block;
use crate::storage::write_buffer::WriteBuffer;
use crate::storage::Location;
use crate::storage::{Placement, Restore, SpaceState, Storage, StorageAudit, StorageStats};
use bytes::Bytes;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::Duration;

/// Consecutive never-written blocks after which a cold-start scan stops (blocks are allocated
/// lowest first, so written blocks form a prefix).
const PRISTINE_RUN: u32 = 8;

mod audit;
mod flush;
pub mod group_commit;
mod moves;
mod scan;

struct Sealed {
    block: u32,
    seq: u64,
    buf: Arc<AlignedBuf>,
    flushed: usize,
}

struct State {
    blocks: BlockTable,
    current: Option<WriteBuffer>,
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
    /// The post-write cache, beside `state` so that cache hits never take the state lock (lock
    /// order: `state`, then `cache`).
    cache: RwLock<PostWriteCache>,
    snapshot_path: Option<PathBuf>,
    tomb_period: Option<Duration>,
    stop_used_pct: u64,
    stop_avail_pct: u64,
    background: bool,
    state: Mutex<State>,
    durable_cv: Condvar,
    /// Group-commit waiters whose bytes are not yet written: the write slot was freed or a sync
    /// finished, so one of them may lead the next batch.
    slot_cv: Condvar,
    work_cv: Condvar,
    counters: Counters,
    abandoned: AtomicBool,
    /// Exclusive locks on the device paths and the snapshot, held from open until shutdown,
    /// abandon or drop (`device::lock`).
    locks: Mutex<Vec<PathLock>>,
    /// The database's clock: flush timers and group-commit ages read its monotonic time.
    clock: Arc<dyn Clock>,
}

/// Opened devices and the locks held on their paths and the snapshot.
type OpenedDevices = (Vec<Arc<dyn Device>>, Vec<PathLock>);

/// The configured devices, or the paths opened and locked (devices first, then the snapshot):
/// a path another open store holds is refused before anything is read or written.
fn open_devices(cfg: &DeviceConfig) -> Result<OpenedDevices> {
    let mut locks = Vec::with_capacity(cfg.paths.len() + 1);
    let devices = match &cfg.devices {
        Some(d) => d.0.clone(),
        None => {
            let mut devices = Vec::with_capacity(cfg.paths.len());
            for p in &cfg.paths {
                let (d, held) =
                    device::open_locked(p, cfg.file_size_bytes, cfg.direct_io, cfg.io_backend)?;
                devices.push(d);
                locks.push(held);
            }
            devices
        }
    };
    if let Some(p) = &cfg.snapshot_path {
        locks.push(device::lock::lock_snapshot(p)?);
    }
    Ok((devices, locks))
}

fn slot_error(i: usize, e: SlotError) -> Error {
    let why = match e {
        SlotError::Blank => "is blank while other devices are formatted".to_string(),
        SlotError::Foreign => {
            "holds data that is not an aerolite device (refusing to overwrite)".to_string()
        }
        SlotError::UnknownVersion(v) => format!(
            "has format version {v}, this build reads {}",
            header::FORMAT_VERSION
        ),
        SlotError::Corrupt => "has no valid header slot".to_string(),
    };
    Error::new(ResultCode::ParameterError, format!("device {i} {why}"))
}

impl DeviceStorage {
    /// Open (formatting blank devices) and decide how the index will be restored.
    pub fn open(
        cfg: &DeviceConfig,
        namespace: &str,
        stop_used_pct: u8,
        stop_avail_pct: u8,
        background: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<DeviceStorage> {
        cfg.validate()?;
        let (devices, locks) = open_devices(cfg)?;
        let n = devices.len();
        let bs = cfg.block_size as u64;
        let per_device = devices
            .iter()
            .map(|d| (d.capacity() / bs).saturating_sub(1))
            .min()
            .unwrap_or(0);
        let per_device = u32::try_from(per_device).unwrap_or(u32::MAX);
        if per_device < 2 {
            return err(
                ResultCode::ParameterError,
                "device too small: it must hold the header and at least two write blocks",
            );
        }
        let mut found = Vec::with_capacity(n);
        for d in &devices {
            let mut slots = AlignedBuf::zeroed(header::SLOT_SIZE * header::SLOTS);
            d.read_at(0, slots.as_mut_slice())?;
            let s = slots.as_slice();
            found.push(DeviceHeader::pick([
                &s[..header::SLOT_SIZE],
                &s[header::SLOT_SIZE..],
            ]));
        }
        let blank = found.iter().all(|h| *h == Err(SlotError::Blank));
        let headers: Vec<DeviceHeader> = if blank {
            let set_id = crate::rng::random_id();
            (0..n)
                .map(|i| DeviceHeader {
                    header_seq: 0,
                    flags: 0,
                    block_size: cfg.block_size,
                    device_set_id: set_id,
                    instance_id: 0,
                    device_index: i as u16,
                    device_count: n as u16,
                    block_count: per_device,
                    seq_high: 0,
                    namespace: namespace.to_string(),
                    truncations: Vec::new(),
                })
                .collect()
        } else {
            let mut hs = Vec::with_capacity(n);
            for (i, h) in found.into_iter().enumerate() {
                hs.push(h.map_err(|e| slot_error(i, e))?);
            }
            hs
        };
        let first = headers[0].clone();
        for (i, h) in headers.iter().enumerate() {
            let problem = if h.namespace != namespace {
                Some(format!("belongs to namespace {:?}", h.namespace))
            } else if h.block_size != cfg.block_size {
                Some(format!("was formatted with block_size {}", h.block_size))
            } else if usize::from(h.device_count) != n || usize::from(h.device_index) != i {
                Some(format!(
                    "is device {} of {}, configured as {i} of {n}",
                    h.device_index, h.device_count
                ))
            } else if h.device_set_id != first.device_set_id {
                Some("belongs to another device set".to_string())
            } else if h.block_count > per_device {
                Some("is smaller than when it was formatted".to_string())
            } else {
                None
            };
            if let Some(p) = problem {
                return err(ResultCode::ParameterError, format!("device {i} {p}"));
            }
        }
        let per_device = if blank { per_device } else { first.block_count };
        let total_blocks = per_device
            .checked_mul(n as u32)
            .ok_or_else(|| Error::new(ResultCode::ParameterError, "too many blocks"))?;
        let mut blocks = BlockTable::new(
            total_blocks,
            cfg.block_size,
            cfg.defrag_lwm_pct,
            cfg.defrag_reserve_blocks as usize,
        );
        let mut next_seq = headers.iter().map(|h| h.seq_high).max().unwrap_or(0) + 1;
        let clean = !blank
            && headers.iter().all(|h| {
                h.is_clean() && h.instance_id == first.instance_id && h.seq_high == first.seq_high
            });
        let mut fast_restart = false;
        let restore = if blank {
            Restore::Fresh
        } else {
            let snap = match &cfg.snapshot_path {
                Some(p) => snapshot::read_file(p),
                None => Ok(None),
            };
            let expected = snapshot_check::Expected {
                clean,
                device_set_id: first.device_set_id,
                instance_id: first.instance_id,
                seq_high: first.seq_high,
                geometry: snapshot_check::Geometry {
                    block_size: cfg.block_size,
                    total_blocks,
                },
            };
            match snapshot_check::decide(snap, &expected) {
                snapshot_check::Decision::Load(meta, index) => {
                    for (b, s) in meta.block_seqs.iter().enumerate() {
                        blocks.restore_seq(b as u32, *s);
                    }
                    next_seq = next_seq.max(meta.seq_high + 1);
                    fast_restart = true;
                    Restore::Snapshot(index)
                }
                snapshot_check::Decision::Scan(reference, snapshot_rejected) => Restore::Scan {
                    reference,
                    snapshot_rejected,
                },
            }
        };
        let cache_blocks = usize::try_from((cfg.post_write_cache / bs).saturating_mul(n as u64))
            .unwrap_or(usize::MAX);
        Ok(DeviceStorage {
            devices,
            block_size: cfg.block_size as usize,
            flush_size: cfg.flush_size as usize,
            total_blocks,
            device_set_id: first.device_set_id,
            commit_to_device: cfg.commit_to_device,
            flush_max: Duration::from_millis(u64::from(cfg.flush_max_ms)),
            max_write_cache: cfg.max_write_cache,
            read_page_cache: cfg.read_page_cache,
            cache: RwLock::new(PostWriteCache::new(cache_blocks)),
            snapshot_path: cfg.snapshot_path.clone(),
            tomb_period: (cfg.tomb_reclaim_period_s != 0)
                .then(|| Duration::from_secs(u64::from(cfg.tomb_reclaim_period_s))),
            stop_used_pct: u64::from(stop_used_pct),
            stop_avail_pct: u64::from(stop_avail_pct),
            background,
            state: Mutex::new(State {
                blocks,
                current: None,
                sealed: VecDeque::new(),
                next_seq,
                durable: 0,
                failed: None,
                last_partial: clock.monotonic_us(),
                live_bytes: 0,
                restore: Some(restore),
                headers,
                scan: ScanCounts::default(),
                fast_restart,
                flush: flush::FlushState::default(),
                moves: moves::PendingMoves::default(),
            }),
            durable_cv: Condvar::new(),
            slot_cv: Condvar::new(),
            work_cv: Condvar::new(),
            counters: Counters::default(),
            abandoned: AtomicBool::new(false),
            locks: Mutex::new(locks),
            clock,
        })
    }

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

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the state broke an invariant already.
        self.state.lock().expect("device store state poisoned")
    }

    /// Device and byte offset of block `g`.
    fn place_of(&self, g: u32) -> (usize, u64) {
        let n = self.devices.len() as u32;
        (
            (g % n) as usize,
            self.block_size as u64 * (1 + u64::from(g / n)),
        )
    }

    /// Why writes are stopped (SN-REQ-WRITE-ERROR, WP-04), or `None`.
    fn stop_cause(&self, st: &State) -> Option<String> {
        let capacity = u64::from(self.total_blocks) * self.block_size as u64;
        let free = st.blocks.free_count() as u64;
        if let Some(f) = &st.failed {
            Some(format!("device store failed: {f}"))
        } else if st.live_bytes * 100 >= capacity * self.stop_used_pct {
            Some(format!(
                "{} live bytes of a {capacity} byte device store reach stop_writes_used_pct {}",
                st.live_bytes, self.stop_used_pct
            ))
        } else if free * 100 < u64::from(self.total_blocks) * self.stop_avail_pct {
            Some(format!(
                "{free} free blocks of {} are below stop_writes_avail_pct {}",
                self.total_blocks, self.stop_avail_pct
            ))
        } else {
            None
        }
    }

    fn fail(&self, st: &mut State, e: &Error) {
        if st.failed.is_none() {
            st.failed = Some(e.detail().to_string());
        }
        self.durable_cv.notify_all();
        self.slot_cv.notify_all();
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

    fn append_inner(&self, mut image: Vec<u8>, from: Option<Location>) -> Result<Placement> {
        if !self.background && !self.lock().sealed.is_empty() {
            self.flush_step(false)?;
        }
        let size = image.len();
        if size > self.max_image() {
            return err(
                ResultCode::RecordTooBig,
                format!(
                    "image of {size} bytes does not fit a {} byte write block (L-RECORD-SIZE)",
                    self.block_size
                ),
            );
        }
        let mut st = self.lock();
        if let Some(f) = &st.failed {
            return err(ResultCode::ServerError, format!("device store failed: {f}"));
        }
        if st.current.as_ref().is_none_or(|c| !c.fits(size)) {
            let seq = st.next_seq;
            let Some(b) = st.blocks.open(seq, from.is_some()) else {
                return err(
                    ResultCode::ServerMemError,
                    "no free write block outside the defrag reserve (L-NO-BLOCK)",
                );
            };
            st.next_seq += 1;
            if let Some(cur) = st.current.take() {
                st.blocks.seal(cur.block);
                let (block, seq, flushed) = (cur.block, cur.seq, cur.flushed);
                st.sealed.push_back(Sealed {
                    block,
                    seq,
                    flushed,
                    buf: cur.seal(),
                });
                self.work_cv.notify_all();
            }
            st.current = Some(WriteBuffer::new(
                b,
                seq,
                self.block_size,
                self.device_set_id,
            ));
        }
        let cur = st.current.as_mut().expect("a block was opened above");
        record_image::seal(&mut image, cur.seq);
        let offset = cur.place(&image);
        let (block, seq, ticket) = (cur.block, cur.seq, cur.seq << 32 | cur.pos() as u64);
        debug_assert!(
            ticket > st.durable,
            "a new image lies above the durable frontier"
        );
        st.blocks.add(block, size as u32);
        st.live_bytes += size as u64;
        self.note_append(&mut st);
        match from {
            Some(f) => {
                st.blocks.note_copy(f.block, ticket);
                st.moves.note(seq, Location { block, offset }, ticket, f);
                self.counters
                    .defrag_bytes
                    .fetch_add(size as u64, Ordering::Relaxed);
            }
            None => {
                self.counters
                    .client_bytes
                    .fetch_add(size as u64, Ordering::Relaxed);
            }
        }
        Ok(Placement {
            location: Location { block, offset },
            size: size as u32,
            ticket,
        })
    }
}

thread_local! {
    /// Per-thread buffer for page-cache reads visited by `read_with` (no allocation per read).
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Largest buffer a thread keeps between reads.
const READ_BUF_KEEP: usize = 256 << 10;

/// Run `f` on a zeroed buffer of `len` bytes: the thread's reused one, or a fresh one when it is
/// in use (a visitor that reads again) or the image is large.
fn with_read_buf<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    READ_BUF.with(|cell| match cell.try_borrow_mut() {
        Ok(mut v) if len <= READ_BUF_KEEP => {
            v.clear();
            v.resize(len, 0);
            f(&mut v)
        }
        _ => f(&mut vec![0u8; len]),
    })
}

/// Where a read found its image (decided under the state lock, completed outside it).
enum MemRead {
    /// Copied out of the open write buffer (which keeps changing).
    Copied(Bytes),
    /// A sealed or post-write-cached block: immutable, shared without a copy.
    Shared(Arc<AlignedBuf>),
    /// On the device, in the block's incarnation `seq`.
    OnDevice(u64),
    /// A defrag copy not durable on a failed store: read its source at this location.
    Moved(Location),
}

/// One device read of a batch: request index, where the image is read (the request's location or
/// a defrag source, `locate`), block incarnation, aligned device offset, image offset in the
/// buffer, buffer.
type BatchRead = (usize, Location, u64, u64, usize, AlignedBuf);

/// `owner`'s bytes `[start, end)` as the owner of a `Bytes` (no copy).
struct Slice<T> {
    owner: T,
    start: usize,
    end: usize,
}

impl<T> Slice<T> {
    fn new(owner: T, start: usize, end: usize) -> Slice<T> {
        Slice { owner, start, end }
    }
}

impl<T: std::borrow::Borrow<AlignedBuf>> AsRef<[u8]> for Slice<T> {
    fn as_ref(&self) -> &[u8] {
        &self.owner.borrow().as_slice()[self.start..self.end]
    }
}

impl DeviceStorage {
    fn cache_ref(&self) -> std::sync::RwLockReadGuard<'_, PostWriteCache> {
        // A panic while holding the cache broke an invariant already.
        self.cache.read().expect("post-write cache poisoned")
    }

    fn cache_mut(&self) -> std::sync::RwLockWriteGuard<'_, PostWriteCache> {
        self.cache.write().expect("post-write cache poisoned")
    }

    /// The memory part of a read: the post-write cache (one hash probe under its own read lock),
    /// the open buffer, the flush queue, or the block incarnation to read from the device
    /// (SN-REQ-READ-BUFFER). No copy under a lock except from the open buffer.
    fn read_memory(&self, location: Location, start: usize, end: usize) -> Result<MemRead> {
        // Cached blocks are flushed and durable, and stay the block's incarnation while the
        // reader's record (whose image is in it) holds it, so a hit needs no state lock. A block
        // that moves from the flush queue to the cache meanwhile is found on the device.
        if let Some(buf) = self.cache_ref().get(location.block).map(|(_, b)| b.clone()) {
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(MemRead::Shared(buf));
        }
        let st = self.lock();
        let check = |seq: u64| Self::not_durable(&st, location, seq, end);
        if let Some(c) = st.current.as_ref().filter(|c| c.block == location.block) {
            if let Some(r) = check(c.seq) {
                return r;
            }
            if end <= c.pos() {
                self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(MemRead::Copied(Bytes::copy_from_slice(
                    &c.bytes()[start..end],
                )));
            }
            return err(ResultCode::ServerError, "read beyond the write frontier");
        }
        if let Some(s) = st.sealed.iter().find(|s| s.block == location.block) {
            if let Some(r) = check(s.seq) {
                return r;
            }
            self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(MemRead::Shared(s.buf.clone()));
        }
        match st.blocks.get(location.block) {
            Some(b) if b.state != BlockState::Free && b.seq != 0 => {
                check(b.seq).unwrap_or(Ok(MemRead::OnDevice(b.seq)))
            }
            Some(b) => check(b.seq).unwrap_or_else(|| {
                err(ResultCode::ServerError, format!("no block at {location:?}"))
            }),
            None => err(ResultCode::ServerError, format!("no block at {location:?}")),
        }
    }

    /// Byte range `[start, end)` of an image in its block (→ 1 when it cannot be one).
    fn image_range(&self, location: Location, size: u32) -> Result<(usize, usize)> {
        let (start, end) = (
            location.offset as usize,
            location.offset as usize + size as usize,
        );
        if end > self.block_size || start < write_block::HEADER_LEN {
            return err(
                ResultCode::ServerError,
                format!("bad location {location:?}"),
            );
        }
        Ok((start, end))
    }

    /// A page-cache read of the image at `start` of `location`'s block into `buf` (exactly its
    /// length), refused with 1 unless it carries the block's incarnation `seq`.
    fn read_cached_into(
        &self,
        location: Location,
        seq: u64,
        start: usize,
        buf: &mut [u8],
    ) -> Result<()> {
        let (dev, block_off) = self.place_of(location.block);
        self.devices[dev].read_cached(block_off + start as u64, buf)?;
        if record_image::block_seq_of(buf) == Some(seq) {
            return Ok(());
        }
        err(
            ResultCode::ServerError,
            format!("image at {location:?} is not of the block's incarnation {seq}"),
        )
    }

    /// The device part of a read: through the page cache (`read_page_cache`: exactly the image's
    /// bytes) or one aligned `O_DIRECT` read. The image must carry the block's incarnation `seq`
    /// (a stale page or a reused block is refused with 1); the engine then verifies CRC, digest,
    /// generation, LUT and void-time.
    fn read_device(&self, location: Location, seq: u64, start: usize, end: usize) -> Result<Bytes> {
        let (dev, block_off) = self.place_of(location.block);
        let check = |img: &[u8]| {
            if record_image::block_seq_of(img) == Some(seq) {
                return Ok(());
            }
            err(
                ResultCode::ServerError,
                format!("image at {location:?} is not of the block's incarnation {seq}"),
            )
        };
        if self.read_page_cache {
            let mut v = vec![0u8; end - start];
            self.read_cached_into(location, seq, start, &mut v)?;
            return Ok(Bytes::from(v));
        }
        let a = ALIGN as u64;
        let lo = align_down(block_off + start as u64, a);
        let hi = align_up(block_off + end as u64, a);
        let mut buf = AlignedBuf::zeroed((hi - lo) as usize);
        self.devices[dev].read_at(lo, buf.as_mut_slice())?;
        let at = (block_off + start as u64 - lo) as usize;
        check(&buf.as_slice()[at..at + (end - start)])?;
        Ok(Bytes::from_owner(Slice::new(buf, at, at + (end - start))))
    }
}

impl Storage for DeviceStorage {
    fn append(&self, image: Vec<u8>) -> Result<Placement> {
        self.append_inner(image, None)
    }

    fn relocate(&self, from: Location, image: Vec<u8>) -> Result<Placement> {
        self.append_inner(image, Some(from))
    }

    fn read(&self, location: Location, size: u32) -> Result<Bytes> {
        let (location, start, end, found) = self.locate(location, size)?;
        let seq = match found {
            MemRead::Copied(b) => return Ok(b),
            MemRead::Shared(buf) => return Ok(Bytes::from_owner(Slice::new(buf, start, end))),
            MemRead::OnDevice(seq) => seq,
            MemRead::Moved(_) => unreachable!("locate resolves moves"),
        };
        self.counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        self.read_device(location, seq, start, end)
    }

    fn read_with(&self, location: Location, size: u32, visit: &mut dyn FnMut(&[u8])) -> Result<()> {
        let (location, start, end, found) = self.locate(location, size)?;
        let seq = match found {
            MemRead::Copied(b) => {
                visit(&b);
                return Ok(());
            }
            MemRead::Shared(buf) => {
                visit(&buf.as_slice()[start..end]);
                return Ok(());
            }
            MemRead::OnDevice(seq) => seq,
            MemRead::Moved(_) => unreachable!("locate resolves moves"),
        };
        self.counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        if !self.read_page_cache {
            let b = self.read_device(location, seq, start, end)?;
            visit(&b);
            return Ok(());
        }
        with_read_buf(end - start, |buf| {
            self.read_cached_into(location, seq, start, buf)?;
            visit(buf);
            Ok(())
        })
    }

    /// Memory hits are answered at once; device reads of `O_DIRECT` stores go to each device in
    /// one `read_batch` (one io_uring submission); page-cache reads are positional reads, one
    /// after another (a hit costs a copy, a miss is punted by the kernel either way). A failed
    /// batch is retried read by read, so each request gets its own answer.
    fn read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>> {
        let mut out: Vec<Option<Result<Bytes>>> = vec![None; reqs.len()];
        let mut pending: Vec<Vec<BatchRead>> =
            (0..self.devices.len()).map(|_| Vec::new()).collect();
        for (i, (location, size)) in reqs.iter().enumerate() {
            let (location, start, end, seq) = match self.locate(*location, *size) {
                Err(e) => {
                    out[i] = Some(Err(e));
                    continue;
                }
                Ok((_, _, _, MemRead::Copied(b))) => {
                    out[i] = Some(Ok(b));
                    continue;
                }
                Ok((_, start, end, MemRead::Shared(buf))) => {
                    out[i] = Some(Ok(Bytes::from_owner(Slice::new(buf, start, end))));
                    continue;
                }
                Ok((location, start, end, MemRead::OnDevice(seq))) => (location, start, end, seq),
                Ok((_, _, _, MemRead::Moved(_))) => unreachable!("locate resolves moves"),
            };
            self.counters.cache_misses.fetch_add(1, Ordering::Relaxed);
            if self.read_page_cache {
                out[i] = Some(self.read_device(location, seq, start, end));
                continue;
            }
            let (dev, block_off) = self.place_of(location.block);
            let a = ALIGN as u64;
            let lo = align_down(block_off + start as u64, a);
            let hi = align_up(block_off + end as u64, a);
            let at = (block_off + start as u64 - lo) as usize;
            let buf = AlignedBuf::zeroed((hi - lo) as usize);
            pending[dev].push((i, location, seq, lo, at, buf));
        }
        for (dev, mut reads) in pending.into_iter().enumerate() {
            if reads.is_empty() {
                continue;
            }
            let batch = {
                let mut extents: Vec<(u64, &mut [u8])> = reads
                    .iter_mut()
                    .map(|(_, _, _, lo, _, buf)| (*lo, buf.as_mut_slice()))
                    .collect();
                self.devices[dev].read_batch(&mut extents)
            };
            for (i, location, seq, _, at, buf) in reads {
                let size = reqs[i].1;
                let len = size as usize;
                out[i] = Some(match &batch {
                    Err(_) => self
                        .image_range(location, size)
                        .and_then(|(start, end)| self.read_device(location, seq, start, end)),
                    Ok(())
                        if record_image::block_seq_of(&buf.as_slice()[at..at + len])
                            == Some(seq) =>
                    {
                        Ok(Bytes::from_owner(Slice::new(buf, at, at + len)))
                    }
                    Ok(()) => err(
                        ResultCode::ServerError,
                        format!("image at {location:?} is not of the block's incarnation {seq}"),
                    ),
                });
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| err(ResultCode::ServerError, "read not answered")))
            .collect()
    }

    /// An image's bytes never change within a block incarnation, so a prefetched image is still
    /// the stored one while its block is in the incarnation the image was sealed with.
    fn prefetch_current(&self, location: Location, image: &[u8]) -> bool {
        let st = self.lock();
        match (
            st.blocks.get(location.block),
            record_image::block_seq_of(image),
        ) {
            (Some(b), Some(seq)) => b.state != BlockState::Free && b.seq == seq,
            _ => false,
        }
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

    fn space(&self) -> SpaceState {
        let st = self.lock();
        SpaceState {
            overloaded: st.sealed.len() as u64 * self.block_size as u64 > self.max_write_cache,
            stop_writes: self.stop_cause(&st).is_some(),
        }
    }

    fn stop_writes_cause(&self) -> Option<String> {
        self.stop_cause(&self.lock())
    }

    fn scan(&self, visit: &mut dyn FnMut(Location, u64, &[u8])) -> Result<()> {
        let r = self.scan_devices(visit)?;
        let mut st = self.lock();
        for (g, s) in r.seqs {
            st.blocks.restore_seq(g, s);
        }
        st.next_seq = st.next_seq.max(r.max_seq + 1);
        st.scan = r.counts;
        Ok(())
    }

    fn stats(&self) -> StorageStats {
        let st = self.lock();
        let free = st.blocks.free_count() as u64;
        StorageStats {
            used_bytes: st.live_bytes,
            capacity_bytes: u64::from(self.total_blocks) * self.block_size as u64,
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

    fn restore(&self) -> Result<Restore> {
        Ok(self.lock().restore.take().unwrap_or(Restore::Fresh))
    }

    fn finish_open(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> Result<()> {
        let mut st = self.lock();
        let mut bytes = 0u64;
        for (loc, size) in live {
            if !st.blocks.add_restored(loc.block, size) {
                return err(
                    ResultCode::ServerError,
                    format!("restored index entry points at an unwritten block {loc:?}"),
                );
            }
            bytes += u64::from(size);
        }
        st.blocks.finish_restore();
        assert_eq!(
            st.blocks.used_total(),
            bytes,
            "restored blocks count every live image"
        );
        st.live_bytes = bytes;
        let max_seq = st.blocks.iter().map(|(_, b)| b.seq).max().unwrap_or(0);
        st.next_seq = st.next_seq.max(max_seq + 1);
        // Durability of everything restored is a fact; tickets of this session start above it.
        st.durable = (st.next_seq - 1) << 32 | u64::from(u32::MAX);
        st.flush.submitted = st.durable;
        st.flush.written = st.durable;
        for h in st.headers.iter_mut() {
            h.instance_id = crate::rng::random_id();
        }
        let first = st.headers[0].instance_id;
        for h in st.headers.iter_mut() {
            h.instance_id = first;
        }
        self.write_headers(&mut st, false)?;
        let st_fast_restart = st.fast_restart;
        drop(st);
        // After a fast restart the snapshot stays as the reference of a later cold start (it can
        // never be loaded again: the headers are no longer clean and carry a new instance id);
        // a cold start has consumed it.
        if let (Some(p), false) = (&self.snapshot_path, st_fast_restart) {
            snapshot::remove_file(p)?;
        }
        Ok(())
    }

    fn flush_step(&self, force_partial: bool) -> Result<u64> {
        match self.flush_once(force_partial, true)? {
            flush::Flushed::Done(bytes) => Ok(bytes),
            flush::Flushed::Nothing | flush::Flushed::Busy => Ok(0),
        }
    }

    fn wait_for_work(&self, timeout: Duration) {
        let st = self.lock();
        // Sealed buffers already written wait only for their sync: no work for the flusher.
        if st.sealed.iter().all(|s| s.flushed >= self.block_size) {
            let _ = self
                .work_cv
                .wait_timeout(st, timeout)
                .expect("device store state poisoned");
        }
    }

    fn flush_interval(&self) -> Option<Duration> {
        Some(
            self.flush_max
                .clamp(Duration::from_millis(1), Duration::from_millis(50)),
        )
    }

    fn defrag_next(&self) -> Option<u32> {
        self.lock().blocks.pop_defrag()
    }

    fn defrag_done(&self, block: u32, complete: bool) {
        if !complete {
            self.lock().blocks.requeue_defrag(block);
        }
    }

    fn block_images(&self, block: u32, visit: &mut dyn FnMut(Location, &[u8])) -> Result<()> {
        self.blocks_images(&[block], &mut |_, loc, img| visit(loc, img))
    }

    fn blocks_images(
        &self,
        blocks: &[u32],
        visit: &mut dyn FnMut(usize, Location, &[u8]),
    ) -> Result<()> {
        if blocks.iter().any(|&b| b >= self.total_blocks) {
            return err(ResultCode::ParameterError, "no such block");
        }
        for (i, (&block, buf)) in blocks.iter().zip(self.read_blocks(blocks)?).enumerate() {
            let s = scan_block(buf.as_slice(), block, self.device_set_id);
            for (off, len) in s.images {
                visit(
                    i,
                    Location { block, offset: off },
                    &buf.as_slice()[off as usize..(off + len) as usize],
                );
            }
        }
        Ok(())
    }

    fn readable_blocks(&self) -> Vec<u32> {
        let st = self.lock();
        st.blocks
            .iter()
            .filter(|(_, b)| b.seq != 0)
            .map(|(g, _)| g)
            .collect()
    }

    fn shutdown(&self, index: Option<&IndexImage>) -> Result<()> {
        let r = self.shutdown_writes(index);
        self.release_locks();
        r
    }

    fn wants_snapshot(&self) -> bool {
        self.snapshot_path.is_some()
    }

    fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
        let mut st = self.lock();
        st.failed = Some("abandoned (simulated crash)".into());
        self.durable_cv.notify_all();
        self.slot_cv.notify_all();
        drop(st);
        self.release_locks();
    }

    fn tomb_reclaim_period(&self) -> Option<Duration> {
        self.tomb_period
    }

    fn audit(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> StorageAudit {
        self.audit_live(live)
    }

    fn truncations(&self) -> Vec<(String, u64)> {
        let st = self.lock();
        let mut all: Vec<(String, u64)> = Vec::new();
        for (name, cut) in st.headers.iter().flat_map(|h| h.truncations.iter()) {
            match all.iter_mut().find(|(n, _)| n == name) {
                Some((_, c)) => *c = (*c).max(*cut),
                None => all.push((name.clone(), *cut)),
            }
        }
        all
    }

    fn persist_truncations(&self, table: &[(String, u64)]) -> Result<()> {
        let len = header::truncations_len(table);
        if len > header::TRUNC_BYTES_MAX {
            return err(
                ResultCode::ParameterError,
                format!(
                    "the truncate table needs {len} bytes; the device header holds {} \
                     (about 55 truncated sets): truncate the whole namespace instead, which \
                     replaces every set's cut-off (TRUNC-PERSIST-1)",
                    header::TRUNC_BYTES_MAX
                ),
            );
        }
        let mut st = self.lock();
        if let Some(f) = &st.failed {
            return err(
                ResultCode::ServerError,
                format!("storage failed earlier ({f}); truncate not persisted"),
            );
        }
        for h in st.headers.iter_mut() {
            h.truncations = table.to_vec();
        }
        let r = self.write_headers(&mut st, false);
        if let Err(e) = &r {
            self.fail(&mut st, e);
        }
        r
    }
}

impl DeviceStorage {
    /// Shutdown's writes: flush everything, then the snapshot and clean headers.
    fn shutdown_writes(&self, index: Option<&IndexImage>) -> Result<()> {
        if self.abandoned.load(Ordering::Acquire) {
            return Ok(());
        }
        self.flush_all()?;
        let mut st = self.lock();
        if st.failed.is_some() {
            return Ok(());
        }
        assert!(
            st.sealed.is_empty()
                && st
                    .current
                    .as_ref()
                    .is_none_or(|c| st.durable >= c.seq << 32 | c.pos() as u64),
            "a clean shutdown's snapshot covers only durable images (RS-CLEAN)"
        );
        if let (Some(path), Some(index)) = (&self.snapshot_path, index) {
            let meta = SnapshotMeta {
                device_set_id: self.device_set_id,
                instance_id: st.headers[0].instance_id,
                seq_high: st.next_seq - 1,
                block_size: self.block_size as u32,
                block_seqs: st.blocks.iter().map(|(_, b)| b.seq).collect(),
            };
            snapshot::write_file(path, &snapshot::encode(&meta, index))?;
            self.write_headers(&mut st, true)?;
        }
        Ok(())
    }
}
