//! Reads: from memory (the post-write cache, the open buffer, the flush queue) or one device
//! read, through the page cache or one aligned `O_DIRECT` read; batched reads per device.
//!
//! Invariants:
//! - a device image is returned only when it carries its block's current incarnation and its
//!   CRC verifies ([`device_image`]; the engine then checks digest, generation, LUT and
//!   void-time against the index entry); a memory image is the image as sealed, not re-checked;
//! - a post-write-cache hit takes only the cache's read lock (lock order `state`, `cache`);
//! - page-cache warm-up: blocks are written with `O_DIRECT`, so the page cache does not hold a
//!   block that leaves the post-write cache, and every later read of its records would wait for
//!   the device (the 50:50 p99 tail, BENCHMARKS.md "Read path, session 5"). With
//!   `read_page_cache`, each read that goes past memory afterwards asks the kernel to read up
//!   to [`WARM_PER_READ`] evicted blocks into the page cache in the background
//!   (`Device::advise_will_read`, advice only). Nothing is served from that advice: reads still
//!   check the block incarnation, CRC and the index entry.

use super::{DeviceStorage, State};
use crate::error::{err, Error, Result, ResultCode};
use crate::format::record_image;
use crate::format::write_block;
use crate::storage::blocks::BlockState;
use crate::storage::device::{align_down, align_up, AlignedBuf, ALIGN};
use crate::storage::read_cache::PostWriteCache;
use crate::storage::Location;
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Arc;
thread_local! {
    /// Per-thread buffer for page-cache reads visited by `read_with` (no allocation per read).
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Largest buffer a thread keeps between reads.
const READ_BUF_KEEP: usize = 256 << 10;

/// Blocks evicted from the post-write cache that one device read asks the kernel to warm.
const WARM_PER_READ: usize = 4;

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

/// The device part of SN-REQ-VERIFY for the bytes `img` read from `location`: they carry the
/// block's incarnation `seq` (a stale page or a reused block) and their image CRC verifies
/// (bits flipped or sectors zeroed on the device: [`Error::damaged`]); ServerError 1 naming the
/// cause otherwise.
fn device_image(location: Location, seq: u64, img: &[u8]) -> Result<()> {
    if record_image::block_seq_of(img) != Some(seq) {
        return err(
            ResultCode::ServerError,
            format!("image at {location:?} is not of the block's incarnation {seq}"),
        );
    }
    if record_image::verify(img) != Some(img.len()) {
        return Err(Error::damaged(format!(
            "image at {location:?} fails its CRC: damaged on the device"
        )));
    }
    Ok(())
}

/// Where a read found its image (decided under the state lock, completed outside it).
pub(super) enum MemRead {
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

/// Where a read is served from: the location read (the request's, or a defrag source), the
/// image's byte range in its block, and what memory holds of it.
pub(super) type Located = (Location, usize, usize, MemRead);

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
    pub(super) fn cache_ref(&self) -> std::sync::RwLockReadGuard<'_, PostWriteCache> {
        // A panic while holding the cache broke an invariant already.
        self.cache.read().expect("post-write cache poisoned")
    }

    pub(super) fn cache_mut(&self) -> std::sync::RwLockWriteGuard<'_, PostWriteCache> {
        self.cache.write().expect("post-write cache poisoned")
    }

    /// The state part of a read (SN-REQ-READ-BUFFER), under the state lock `st`, after the
    /// post-write cache missed: the open buffer, the flush queue, or the block incarnation to
    /// read from the device. No copy under the lock except from the open buffer. A block that
    /// moved from the flush queue to the cache since the probe is found on the device.
    fn read_memory_in(
        &self,
        st: &State,
        location: Location,
        start: usize,
        end: usize,
    ) -> Result<MemRead> {
        let check = |seq: u64| Self::not_durable(st, location, seq, end);
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

    /// A post-write-cache hit for `location`'s block (its own read lock only).
    fn cached(&self, location: Location) -> Option<MemRead> {
        let buf = self
            .cache_ref()
            .get(location.block)
            .map(|(_, b)| b.clone())?;
        self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(MemRead::Shared(buf))
    }

    /// The memory part of a read of the `size` bytes at `location`: where the bytes are read
    /// (`location`, or the durable source of a defrag copy on a failed store) and their range.
    pub(super) fn locate(&self, location: Location, size: u32) -> Result<Located> {
        let (start, end) = self.image_range(location, size)?;
        match self.cached(location) {
            Some(found) => Ok((location, start, end, found)),
            None => self.locate_locked(&self.lock(), location, size),
        }
    }

    /// `locate` for a batch: one cache read lock for every request, then one state lock for
    /// those not in the cache (not one of each per record). One answer per request, in order.
    fn locate_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Located>> {
        let mut out: Vec<Option<Result<Located>>> = {
            let cache = self.cache_ref();
            let hit = |(location, size): &(Location, u32)| {
                let (start, end) = match self.image_range(*location, *size) {
                    Ok(range) => range,
                    Err(e) => return Some(Err(e)),
                };
                let buf = cache.get(location.block).map(|(_, b)| b.clone())?;
                self.counters.cache_hits.fetch_add(1, Ordering::Relaxed);
                Some(Ok((*location, start, end, MemRead::Shared(buf))))
            };
            reqs.iter().map(hit).collect()
        };
        if out.iter().any(Option::is_none) {
            let st = self.lock();
            for (slot, (location, size)) in out.iter_mut().zip(reqs) {
                if slot.is_none() {
                    *slot = Some(self.locate_locked(&st, *location, *size));
                }
            }
        }
        let out: Vec<Result<Located>> = out.into_iter().flatten().collect();
        assert_eq!(out.len(), reqs.len(), "locate_many answers every request");
        out
    }

    /// `locate` past the cache probe of `location`, under the state lock `st`.
    fn locate_locked(&self, st: &State, location: Location, size: u32) -> Result<Located> {
        let (start, end) = self.image_range(location, size)?;
        let source = match self.read_memory_in(st, location, start, end)? {
            MemRead::Moved(source) => source,
            found => return Ok((location, start, end, found)),
        };
        let (start, end) = self.image_range(source, size)?;
        // Lock order `state`, `cache`.
        if let Some(found) = self.cached(source) {
            return Ok((source, start, end, found));
        }
        match self.read_memory_in(st, source, start, end)? {
            // A defrag source is in a durable block, so it is served as it is.
            MemRead::Moved(_) => err(
                ResultCode::ServerError,
                format!("defrag source {source:?} of {location:?} is not durable"),
            ),
            found => Ok((source, start, end, found)),
        }
    }

    /// Whether `image`, read from `location`, carries the incarnation its block is in now (so it
    /// is still the image stored there).
    pub(super) fn image_current(st: &State, location: Location, image: &[u8]) -> bool {
        match (
            st.blocks.get(location.block),
            record_image::block_seq_of(image),
        ) {
            (Some(b), Some(seq)) => b.state != BlockState::Free && b.seq == seq,
            _ => false,
        }
    }

    /// Byte range `[start, end)` of an image in its block (→ 1 when it cannot be one).
    pub(super) fn image_range(&self, location: Location, size: u32) -> Result<(usize, usize)> {
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
    pub(super) fn read_cached_into(
        &self,
        location: Location,
        seq: u64,
        start: usize,
        buf: &mut [u8],
    ) -> Result<()> {
        let (dev, block_off) = self.place_of(location.block);
        self.devices[dev].read_cached(block_off + start as u64, buf)?;
        device_image(location, seq, buf)
    }

    /// Where an `O_DIRECT` read of the image at `start..end` of `location`'s block goes: the
    /// device, the device byte range `lo..hi` around the image in the device's read granularity
    /// (`Device::read_align`: a 1.5 KiB image costs 2 KiB on a 512-byte-sector disk, as in
    /// Aerospike), and the image's offset `at` inside that range.
    fn direct_range(&self, location: Location, start: usize, end: usize) -> (usize, u64, u64, usize) {
        let (dev, block_off) = self.place_of(location.block);
        let a = self.devices[dev].read_align() as u64;
        debug_assert!(a.is_power_of_two() && a <= ALIGN as u64, "read granularity {a}");
        let lo = align_down(block_off + start as u64, a);
        let hi = align_up(block_off + end as u64, a);
        (dev, lo, hi, (block_off + start as u64 - lo) as usize)
    }

    /// The device part of a read: through the page cache (`read_page_cache`: exactly the image's
    /// bytes) or one aligned `O_DIRECT` read. The image must carry the block's incarnation `seq`
    /// (a stale page or a reused block is refused with 1) and pass its CRC ([`device_image`]);
    /// the engine then verifies digest, generation, LUT and void-time.
    pub(super) fn read_device(
        &self,
        location: Location,
        seq: u64,
        start: usize,
        end: usize,
    ) -> Result<Bytes> {
        if self.read_page_cache {
            let mut v = vec![0u8; end - start];
            self.read_cached_into(location, seq, start, &mut v)?;
            return Ok(Bytes::from(v));
        }
        let (dev, lo, hi, at) = self.direct_range(location, start, end);
        let mut buf = AlignedBuf::zeroed((hi - lo) as usize);
        self.devices[dev].read_at(lo, buf.as_mut_slice())?;
        device_image(location, seq, &buf.as_slice()[at..at + (end - start)])?;
        Ok(Bytes::from_owner(Slice::new(buf, at, at + (end - start))))
    }

    /// Advise the kernel to read blocks evicted from the post-write cache into the page cache
    /// (module doc), up to [`WARM_PER_READ`] per call, outside every lock.
    fn warm_evicted(&self) {
        if !self.read_page_cache || !self.cache_ref().has_evicted() {
            return;
        }
        let blocks = self.cache_mut().take_evicted(WARM_PER_READ);
        debug_assert!(blocks.len() <= WARM_PER_READ, "bounded warm-up");
        for b in blocks {
            let (dev, block_off) = self.place_of(b);
            self.devices[dev].advise_will_read(block_off, self.block_size as u64);
        }
    }

    /// `Storage::read`: memory first, else one device read.
    pub(super) fn read_image(&self, location: Location, size: u32) -> Result<Bytes> {
        let (location, start, end, found) = self.locate(location, size)?;
        let seq = match found {
            MemRead::Copied(b) => return Ok(b),
            MemRead::Shared(buf) => return Ok(Bytes::from_owner(Slice::new(buf, start, end))),
            MemRead::OnDevice(seq) => seq,
            MemRead::Moved(_) => unreachable!("locate resolves moves"),
        };
        self.counters.cache_misses.fetch_add(1, Ordering::Relaxed);
        let read = self.read_device(location, seq, start, end);
        self.warm_evicted();
        read
    }

    /// `Storage::read_with`: visit the image in place where it is in memory, else read it.
    pub(super) fn read_image_with(
        &self,
        location: Location,
        size: u32,
        visit: &mut dyn FnMut(&[u8]),
    ) -> Result<()> {
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
        let read = with_read_buf(end - start, |buf| {
            self.read_cached_into(location, seq, start, buf)?;
            visit(buf);
            Ok(())
        });
        self.warm_evicted();
        read
    }

    /// `Storage::read_many` (`page_cache`: the store's `read_page_cache`) and
    /// `Maintenance::defrag_read_many` (`page_cache` false). Memory hits are answered at once;
    /// device reads without `page_cache` go to each device in one `read_batch` (one io_uring
    /// submission, `O_DIRECT`); page-cache reads are copies, one after another (a hit costs a
    /// copy, a miss waits for the kernel's read of its page). A failed batch is retried read by
    /// read, so each request gets its own answer.
    pub(super) fn read_images(
        &self,
        reqs: &[(Location, u32)],
        page_cache: bool,
    ) -> Vec<Result<Bytes>> {
        let mut out: Vec<Option<Result<Bytes>>> = vec![None; reqs.len()];
        let mut pending: Vec<Vec<BatchRead>> =
            (0..self.devices.len()).map(|_| Vec::new()).collect();
        for (i, found) in self.locate_many(reqs).into_iter().enumerate() {
            let (location, start, end, seq) = match found {
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
            if page_cache {
                out[i] = Some(self.read_device(location, seq, start, end));
                continue;
            }
            let (dev, lo, hi, at) = self.direct_range(location, start, end);
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
                    Ok(()) => device_image(location, seq, &buf.as_slice()[at..at + len])
                        .map(|()| Bytes::from_owner(Slice::new(buf, at, at + len))),
                });
            }
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| err(ResultCode::ServerError, "read not answered")))
            .collect()
    }
}
