//! Device I/O: the small interface the log-structured store writes through, and its backends.
//!
//! - `portable`: positional reads and writes on a file or raw block device (`O_DIRECT` when the
//!   target accepts it, buffered + `fdatasync` otherwise);
//! - `uring`: the same target through io_uring, with batched submission (Linux only; falls back
//!   to `portable` automatically when a ring cannot be created);
//! - `memory`: a byte vector, for tests and simulation;
//! - `faulty`: a wrapper that injects faults (fail the k-th I/O, stop making writes durable after
//!   sync k, tear a write at a sector boundary at crash time, a full disk);
//! - `lock`: exclusive ownership of device paths and the snapshot while a store is open;
//! - `allocate`: device files are created with their full size allocated (never sparse);
//! - `mapped`: page-cache reads through a read-only mapping of the file, whose faults stay
//!   errors (`portable`'s `read_cached`).
//!
//! Contract every backend keeps: offsets, lengths and buffer addresses are multiples of
//! [`ALIGN`] (the store only issues such I/O), except that reads (`read_at`, `read_batch`) need
//! offsets and lengths only in multiples of the backend's [`Device::read_align`] (a power of two
//! from 512, `MIN_READ_ALIGN`, to [`ALIGN`]; buffers stay [`ALIGN`]-aligned); `write_at` may
//! return before the bytes are durable; when a `sync` call returns Ok, every write that returned
//! before that call *began* is durable (a write completing while the sync runs may or may not
//! be covered); `sync` may be called from several threads at once, and each call keeps that
//! promise for itself; an error is a value (`ServerError` 1), never a panic.
//! [`Device::write_batch_then_sync`] is the same promise with the hand-over point made explicit:
//! its `written` callback runs after every write of the batch returned and before the covering
//! sync began. Batched calls ([`Device::write_batch`], [`Device::read_batch`]) are all-or-error:
//! `Ok` means every extent was transferred in full.

pub mod allocate;
pub mod faulty;
pub mod huge;
pub mod lock;
pub mod mapped;
pub mod memory;
pub mod portable;
#[cfg(target_os = "linux")]
pub mod uring;

use crate::error::{Error, Result, ResultCode};

/// Direct-I/O alignment the store uses for every device I/O (buffer address, offset, length).
/// 4096 satisfies both 512-byte and 4 KiB logical-sector devices (SN-REQ-DIRECT).
pub const ALIGN: usize = 4096;

/// The smallest read granularity a backend may report (a 512-byte logical sector).
pub const MIN_READ_ALIGN: usize = 512;

/// A block device or file the store writes to.
pub trait Device: Send + Sync {
    /// Usable size in bytes.
    fn capacity(&self) -> u64;
    /// Read exactly `buf.len()` bytes at `offset`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Write all of `buf` at `offset` (not yet durable).
    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()>;
    /// Write several extents; backends that can submit them together do so.
    fn write_batch(&self, writes: &[(u64, &[u8])]) -> Result<()> {
        for (off, buf) in writes {
            self.write_at(*off, buf)?;
        }
        Ok(())
    }
    /// Make every write that returned before this call began durable.
    fn sync(&self) -> Result<()>;
    /// Write every extent, call `written` once all of them have returned (before the sync
    /// begins; the caller may then let later writes start, even of the same offsets), then make
    /// them — and every write that returned before — durable. On error `written` may not have
    /// run. The io_uring backend submits the writes in one submission, then calls `fdatasync`.
    fn write_batch_then_sync(
        &self,
        writes: &[(u64, &[u8])],
        written: &mut dyn FnMut(),
    ) -> Result<()> {
        self.write_batch(writes)?;
        written();
        self.sync()
    }
    /// Read exactly `buf.len()` bytes at `offset` through the OS page cache
    /// (`DeviceConfig::read_page_cache`): any offset, length and buffer address. Backends with a
    /// buffered descriptor beside their `O_DIRECT` one read through it; the default reads the
    /// aligned range around the request with `read_at` and copies.
    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        read_unaligned(self, offset, buf)
    }
    /// Advice: `len` bytes at `offset` will soon be read with `read_cached`. Backends with a
    /// buffered descriptor beside their `O_DIRECT` one ask the kernel to read them into the page
    /// cache in the background (their `O_DIRECT` writes never put them there). The default does
    /// nothing; failure is ignored (advice only).
    fn advise_will_read(&self, _offset: u64, _len: u64) {}
    /// Read several extents (offset, buffer) with `read_at` semantics (aligned); backends that
    /// can submit them together do so. The default reads them one after another.
    fn read_batch(&self, reads: &mut [(u64, &mut [u8])]) -> Result<()> {
        for (off, buf) in reads.iter_mut() {
            self.read_at(*off, buf)?;
        }
        Ok(())
    }
    /// The granularity of `read_at` offsets and lengths: the device's minimum direct-I/O size
    /// (SN-REQ-DIRECT; 512 on a 512-byte-sector disk, where a 1.5 KiB image then costs a 2 KiB
    /// read, not 4 or 8 KiB), a power of two from 512 (`MIN_READ_ALIGN`) to [`ALIGN`]. Writes stay
    /// in [`ALIGN`] units.
    fn read_align(&self) -> usize {
        ALIGN
    }
    /// Backend name for logs and benchmarks ("portable", "portable-direct", "io_uring", …).
    fn kind(&self) -> &'static str;
}

/// An I/O error as a result code (RC-1, SN-REQ-WRITE-ERROR). A full filesystem or device says
/// so first: "no space on device", what to do, and that reads keep working.
pub fn io_error(what: &str, e: std::io::Error) -> Error {
    if allocate::is_no_space(&e) {
        let words = format!(
            "no space on device: {what} failed: {e}; writes are refused (stop-writes) while \
             reads keep working — free space, then reopen the database"
        );
        return Error::io(ResultCode::ServerError, words, e);
    }
    let words = format!("device {what} failed: {e}");
    Error::io(ResultCode::ServerError, words, e)
}

/// Read `buf.len()` bytes at any `offset` with aligned `read_at` calls: the range around the
/// request, aligned to the device's [`Device::read_align`], into an [`AlignedBuf`], then a copy.
pub fn read_unaligned<D: Device + ?Sized>(d: &D, offset: u64, buf: &mut [u8]) -> Result<()> {
    let a = d.read_align() as u64;
    let end = offset
        .checked_add(buf.len() as u64)
        .ok_or_else(|| Error::new(ResultCode::ServerError, "read beyond 2^64"))?;
    let (lo, hi) = (align_down(offset, a), align_up(end, a));
    let mut tmp = AlignedBuf::zeroed((hi - lo) as usize);
    d.read_at(lo, tmp.as_mut_slice())?;
    let at = (offset - lo) as usize;
    buf.copy_from_slice(&tmp.as_slice()[at..at + buf.len()]);
    Ok(())
}

/// An [`ALIGN`]-aligned byte buffer, zeroed or a copy: a vector with slack, used from its first
/// aligned byte, or a piece of a huge-page slab ([`huge`]; write blocks,
/// [`AlignedBuf::huge_blocks`]).
pub struct AlignedBuf {
    backing: Backing,
    start: usize,
    len: usize,
}

enum Backing {
    Vec(Vec<u8>),
    Huge(huge::Piece),
}

impl AlignedBuf {
    /// `len` zero bytes at an aligned address.
    pub fn zeroed(len: usize) -> AlignedBuf {
        let raw = vec![0u8; len + ALIGN];
        let start = first_aligned(raw.as_ptr());
        AlignedBuf::in_vec(raw, start, len)
    }

    /// A copy of `src` at an aligned address, without zeroing it first: only the slack before
    /// it is written with zeros. The partial flush snapshots the open buffer's dirty tail with
    /// it under the store lock (a group commit's every batch), where zeroing the range before
    /// the copy doubled the bytes written.
    pub fn copy_of(src: &[u8]) -> AlignedBuf {
        let mut raw: Vec<u8> = Vec::with_capacity(src.len() + ALIGN);
        let start = first_aligned(raw.as_ptr());
        raw.resize(start, 0);
        raw.extend_from_slice(src);
        assert_eq!(
            first_aligned(raw.as_ptr()),
            start,
            "filled within its capacity: the vector did not move"
        );
        AlignedBuf::in_vec(raw, start, src.len())
    }

    /// The `len` bytes of `raw` from its aligned offset `start`.
    fn in_vec(raw: Vec<u8>, start: usize, len: usize) -> AlignedBuf {
        debug_assert!(start + len <= raw.len(), "the buffer lies inside the vector");
        AlignedBuf {
            backing: Backing::Vec(raw),
            start,
            len,
        }
    }

    /// Zeroed buffers of `len` bytes on one huge page: the pieces of a fresh slab (two at the
    /// default 1 MiB block size). `None` when `len` does not divide 2 MiB or the mapping fails.
    pub fn huge_blocks(len: usize) -> Option<Vec<AlignedBuf>> {
        let pieces = huge::pieces(len, ALIGN)?;
        Some(
            pieces
                .into_iter()
                .map(|p| AlignedBuf {
                    backing: Backing::Huge(p),
                    start: 0,
                    len,
                })
                .collect(),
        )
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.backing {
            Backing::Vec(raw) => &raw[self.start..self.start + self.len],
            Backing::Huge(p) => p.as_slice(),
        }
    }

    /// The bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match &mut self.backing {
            Backing::Vec(raw) => &mut raw[self.start..self.start + self.len],
            Backing::Huge(p) => p.as_mut_slice(),
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Bytes from `p` to the first [`ALIGN`]-aligned address (< `ALIGN`).
fn first_aligned(p: *const u8) -> usize {
    let start = p.align_offset(ALIGN);
    assert!(start < ALIGN, "align_offset on u8 is always computable");
    start
}

/// Round `n` down to a multiple of `a` (a power of two).
pub fn align_down(n: u64, a: u64) -> u64 {
    n & !(a - 1)
}

/// Round `n` up to a multiple of `a` (a power of two).
pub fn align_up(n: u64, a: u64) -> u64 {
    (n + a - 1) & !(a - 1)
}

/// Which I/O backend to open file targets with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IoBackend {
    /// io_uring when available, else portable.
    #[default]
    Auto,
    /// Always pread/pwrite.
    Portable,
    /// io_uring; fails to open when unavailable.
    Uring,
}

/// A device path opened for a store: created if missing, locked exclusively (see `lock`), then
/// opened with [`open_path`]. The lock lives as long as the returned [`lock::PathLock`].
pub fn open_locked(
    path: &std::path::Path,
    create_len: u64,
    direct: bool,
    backend: IoBackend,
) -> Result<(std::sync::Arc<dyn Device>, lock::PathLock)> {
    if !path.exists() {
        allocate::create_allocated(path, create_len)?;
    }
    let held = lock::lock_device(path)?;
    let device = open_path(path, create_len, direct, backend)?;
    Ok((device, held))
}

/// Open a file or raw block device as a device. A missing file is created with `create_len`
/// bytes, all allocated (`allocate`). `direct` asks for `O_DIRECT` (silently buffered where
/// refused). Takes no lock: stores open their paths with [`open_locked`].
pub fn open_path(
    path: &std::path::Path,
    create_len: u64,
    direct: bool,
    backend: IoBackend,
) -> Result<std::sync::Arc<dyn Device>> {
    let file = portable::PortableDevice::open(path, create_len, direct)?;
    match backend {
        IoBackend::Portable => Ok(std::sync::Arc::new(file)),
        #[cfg(target_os = "linux")]
        IoBackend::Auto => match uring::UringDevice::new(file) {
            Ok(u) => Ok(std::sync::Arc::new(u)),
            Err((file, _)) => Ok(std::sync::Arc::new(file)),
        },
        #[cfg(target_os = "linux")]
        IoBackend::Uring => match uring::UringDevice::new(file) {
            Ok(u) => Ok(std::sync::Arc::new(u)),
            Err((_, e)) => Err(e),
        },
        #[cfg(not(target_os = "linux"))]
        IoBackend::Auto => Ok(std::sync::Arc::new(file)),
        #[cfg(not(target_os = "linux"))]
        IoBackend::Uring => Err(Error::new(
            ResultCode::ParameterError,
            "io_uring is only available on Linux",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy holds exactly the source bytes, at an [`ALIGN`]-aligned address, for lengths
    /// around and across the alignment (the partial flush's snapshot of a buffer's dirty tail).
    #[test]
    fn copy_of_is_aligned_and_holds_the_bytes() {
        for len in [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, 5 * ALIGN + 17] {
            let src: Vec<u8> = (0..len).map(|i| (i % 253) as u8 + 1).collect();
            let c = AlignedBuf::copy_of(&src);
            assert_eq!(c.len(), len);
            assert_eq!(c.as_slice(), &src[..], "{len} bytes");
            assert_eq!(c.as_slice().as_ptr().align_offset(ALIGN), 0, "{len} bytes");
        }
    }

    /// The default `read_cached` (aligned `read_at` around the request, then a copy) returns
    /// exactly the requested bytes at any offset, including writes not yet synced.
    #[test]
    fn default_read_cached_reads_unaligned_ranges() {
        use crate::storage::device::faulty::{FaultPlan, FaultyDevice};
        use crate::storage::device::memory::MemoryDevice;
        let mem = std::sync::Arc::new(MemoryDevice::new(4 * ALIGN as u64));
        let d = FaultyDevice::new(mem, FaultPlan::default());
        let mut w = AlignedBuf::zeroed(2 * ALIGN);
        for (i, b) in w.as_mut_slice().iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        d.write_at(ALIGN as u64, w.as_slice()).expect("write");
        for (off, len) in [
            (ALIGN + 1, 10),
            (2 * ALIGN - 3, 7),
            (ALIGN, 2 * ALIGN),
            (0, 5),
        ] {
            let mut got = vec![0xaa; len];
            d.read_cached(off as u64, &mut got).expect("read");
            let want: Vec<u8> = (off..off + len)
                .map(|p| {
                    if p < ALIGN {
                        0
                    } else {
                        ((p - ALIGN) % 251) as u8
                    }
                })
                .collect();
            assert_eq!(got, want, "offset {off} length {len}");
        }
        let mut past = vec![0; 8];
        assert!(
            d.read_cached(4 * ALIGN as u64 - 4, &mut past).is_err(),
            "beyond the end"
        );
    }

    #[test]
    fn aligned_buf_is_aligned_and_zeroed() {
        for len in [0, 1, 4096, 10_000] {
            let b = AlignedBuf::zeroed(len);
            assert_eq!(b.as_slice().as_ptr() as usize % ALIGN, 0);
            assert_eq!(b.len(), len);
            assert!(b.as_slice().iter().all(|&x| x == 0));
        }
        assert_eq!(align_down(4097, 4096), 4096);
        assert_eq!(align_up(4097, 4096), 8192);
        assert_eq!(align_up(4096, 4096), 4096);
    }
}
