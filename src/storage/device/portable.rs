//! Portable backend: positional reads and writes (`pread`/`pwrite`) on a file or raw block device,
//! `fdatasync` for durability. Opens with `O_DIRECT` when asked and the target accepts it; falls
//! back to buffered I/O otherwise (SN-REQ-DIRECT) and says so in `kind()`.
//!
//! With `O_DIRECT` in effect a second, read-only descriptor without it is opened beside the first
//! (`cached`), so `read_cached` can read through the OS page cache (`read_page_cache`, as
//! Aerospike's second descriptor pool does); writes always go through the `O_DIRECT` one. On
//! Linux an `O_DIRECT` write invalidates the page-cache pages it covers (before and after the
//! write), so the buffered descriptor never serves bytes older than the last write of a range;
//! the store's incarnation and CRC checks would catch it if it did
//! (tests/storage_read_page_cache.rs). `read_cached` copies out of a read-only mapping of that
//! descriptor (`mapped`: the same page-cache pages without a system call; a page the kernel
//! cannot read in falls back to the positional read, which reports the error). The buffered
//! descriptor is advised `POSIX_FADV_RANDOM`: point reads should not trigger read-ahead of
//! whole neighbouring ranges.
//!
//! A missing file is created with its full size allocated, and an existing file's holes are
//! allocated at open where the filesystem has room (`allocate`): a write never lands in a hole
//! of a file this version created. I/O errors name the path; a full filesystem reads "no space
//! on device".
//!
//! The read granularity (`read_align`) is probed at open, as Aerospike finds its minimum
//! direct-I/O size: the smallest of 512, 1024, 2048 and 4096 bytes that an `O_DIRECT` read at
//! that offset and of that length accepts (512 on a 512-byte-sector disk, even under a file
//! system of 4 KiB blocks); 4096 when none does; 512 for a buffered descriptor, which takes any.
//!
//! Invariants: the capacity is fixed at open (file length, or device size for block devices);
//! `read_align` is a power of two from `MIN_READ_ALIGN` to `ALIGN`.

use crate::error::Result;
use crate::storage::device::mapped::FileMap;
use crate::storage::device::{allocate, io_error, AlignedBuf, Device, ALIGN, MIN_READ_ALIGN};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A file or raw device.
pub struct PortableDevice {
    /// The open file.
    pub file: File,
    /// The read-only mapping of `cached`, made by the first `read_cached` (`None` inside: it
    /// could not be made). Declared before `cached`, so it is unmapped before that closes.
    mapped: OnceLock<Option<Box<FileMap>>>,
    /// Buffered read-only descriptor beside an `O_DIRECT` `file` (None when `file` is buffered).
    cached: Option<File>,
    capacity: u64,
    direct: bool,
    read_align: usize,
    path: PathBuf,
}

impl PortableDevice {
    /// Open `path`; a missing file is created with `create_len` bytes.
    pub fn open(path: &Path, create_len: u64, direct: bool) -> Result<PortableDevice> {
        if !path.exists() {
            allocate::create_allocated(path, create_len)?;
        }
        let (mut file, direct) = match direct.then(|| open_direct(path)).flatten() {
            Some(f) => (f, true),
            None => (
                OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(|e| io_error(&format!("open {}", path.display()), e))?,
                false,
            ),
        };
        let capacity = file
            .seek(SeekFrom::End(0))
            .map_err(|e| io_error(&format!("size of {}", path.display()), e))?;
        if file.metadata().is_ok_and(|m| m.is_file()) {
            // Best effort (an older version's sparse file on a full filesystem stays sparse).
            allocate::fill_holes(&file, capacity);
        }
        let cached = if direct {
            let f = OpenOptions::new()
                .read(true)
                .open(path)
                .map_err(|e| io_error(&format!("open {} (buffered)", path.display()), e))?;
            advise_random(&f);
            Some(f)
        } else {
            None
        };
        let read_align = if direct {
            probe_read_align(&file, capacity)
        } else {
            MIN_READ_ALIGN
        };
        assert!(
            read_align.is_power_of_two() && (MIN_READ_ALIGN..=ALIGN).contains(&read_align),
            "read granularity {read_align}"
        );
        Ok(PortableDevice {
            file,
            mapped: OnceLock::new(),
            cached,
            capacity,
            direct,
            read_align,
            path: path.to_path_buf(),
        })
    }

    /// The path it was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `O_DIRECT` is in effect.
    pub fn is_direct(&self) -> bool {
        self.direct
    }
}

/// The smallest direct-I/O read that `file` accepts (module doc): a read of `n` bytes at offset
/// `n` for n = 512, 1024, 2048; [`ALIGN`] when none succeeds or the file is too small to try.
fn probe_read_align(file: &File, capacity: u64) -> usize {
    let mut buf = AlignedBuf::zeroed(ALIGN);
    let mut n = MIN_READ_ALIGN;
    while n < ALIGN && 2 * n as u64 <= capacity {
        if file.read_exact_at(&mut buf.as_mut_slice()[..n], n as u64).is_ok() {
            return n;
        }
        n *= 2;
    }
    ALIGN
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

/// Point reads: no read-ahead on the buffered descriptor (advice only; failure is harmless).
#[cfg(target_os = "linux")]
fn advise_random(f: &File) {
    use std::os::unix::io::AsRawFd;
    // SAFETY: posix_fadvise only reads its integer arguments; the descriptor is open.
    let _ = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_RANDOM) };
}

#[cfg(not(target_os = "linux"))]
fn advise_random(_f: &File) {}

/// Background read-ahead of `[offset, offset + len)` into the page cache (advice only; failure
/// and out-of-range values are harmless).
#[cfg(target_os = "linux")]
fn advise_will_need(f: &File, offset: u64, len: u64) {
    use std::os::unix::io::AsRawFd;
    let (Ok(offset), Ok(len)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len)) else {
        return;
    };
    // SAFETY: posix_fadvise only reads its integer arguments; the descriptor is open.
    let _ = unsafe { libc::posix_fadvise(f.as_raw_fd(), offset, len, libc::POSIX_FADV_WILLNEED) };
}

#[cfg(not(target_os = "linux"))]
fn advise_will_need(_f: &File, _offset: u64, _len: u64) {}

#[cfg(not(target_os = "linux"))]
fn open_direct(_path: &Path) -> Option<File> {
    None
}

impl Device for PortableDevice {
    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file
            .read_exact_at(buf, offset)
            .map_err(|e| io_error(&format!("read of {}", self.path.display()), e))
    }

    fn read_align(&self) -> usize {
        self.read_align
    }

    /// From the mapping of the buffered descriptor where it can be made (`mapped`: no system
    /// call), else, and whenever a mapped copy fails, a positional read.
    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let map = self.cached.as_ref().and_then(|f| {
            self.mapped
                .get_or_init(|| FileMap::new(f, self.capacity).map(Box::new))
                .as_ref()
        });
        if map.is_some_and(|m| m.copy(offset, buf)) {
            return Ok(());
        }
        self.cached
            .as_ref()
            .unwrap_or(&self.file)
            .read_exact_at(buf, offset)
            .map_err(|e| io_error(&format!("read of {} (page cache)", self.path.display()), e))
    }

    /// Only with a separate buffered descriptor: a buffered store's pages are cached already.
    fn advise_will_read(&self, offset: u64, len: u64) {
        if let Some(f) = &self.cached {
            advise_will_need(f, offset, len);
        }
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        self.file
            .write_all_at(buf, offset)
            .map_err(|e| io_error(&format!("write to {}", self.path.display()), e))
    }

    fn sync(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| io_error(&format!("sync of {}", self.path.display()), e))
    }

    fn kind(&self) -> &'static str {
        if self.direct {
            "portable-direct"
        } else {
            "portable-buffered"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::device::{AlignedBuf, ALIGN};

    #[test]
    fn direct_file_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("dev");
        let d = PortableDevice::open(&p, 1 << 20, true).expect("open");
        assert_eq!(d.capacity(), 1 << 20);
        let mut w = AlignedBuf::zeroed(ALIGN);
        w.as_mut_slice()[5] = 9;
        d.write_at(8192, w.as_slice()).expect("write");
        d.sync().expect("sync");
        let mut r = AlignedBuf::zeroed(ALIGN);
        d.read_at(8192, r.as_mut_slice()).expect("read");
        assert_eq!(r.as_slice()[5], 9);
        let again = PortableDevice::open(&p, 0, false).expect("reopen");
        assert_eq!(again.capacity(), 1 << 20, "an existing file keeps its size");
    }

    #[test]
    fn reads_in_the_probed_granularity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("dev");
        let d = PortableDevice::open(&p, 1 << 20, true).expect("open");
        let a = d.read_align();
        assert!(a.is_power_of_two() && (MIN_READ_ALIGN..=ALIGN).contains(&a), "{a}");
        if !d.is_direct() {
            assert_eq!(a, MIN_READ_ALIGN, "a buffered descriptor reads at any offset");
        }
        let mut w = AlignedBuf::zeroed(ALIGN);
        w.as_mut_slice().iter_mut().enumerate().for_each(|(i, b)| *b = (i % 251) as u8);
        d.write_at(ALIGN as u64, w.as_slice()).expect("write");
        d.sync().expect("sync");
        // One granule inside the written unit, at an offset that is a multiple of the granule
        // only (not of 4096 when the granule is smaller).
        let mut r = AlignedBuf::zeroed(ALIGN);
        let (at, len) = if a < ALIGN { (ALIGN + a, a) } else { (ALIGN, ALIGN) };
        d.read_at(at as u64, &mut r.as_mut_slice()[..len])
            .expect("a read in the probed granularity is accepted");
        for (i, b) in r.as_slice()[..len].iter().enumerate() {
            assert_eq!(*b, ((at - ALIGN + i) % 251) as u8, "byte {i}");
        }
    }

    /// Page-cache reads go through the mapping; a page the kernel cannot read in (the file cut
    /// short under the store) is an error naming the path, not a killed process, and the
    /// mapped reads of the rest go on.
    #[test]
    fn cached_reads_survive_a_page_that_cannot_be_read() {
        let _serial = crate::storage::device::mapped::fault_tests();
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("dev");
        let d = PortableDevice::open(&p, 1 << 20, true).expect("open");
        let mut w = AlignedBuf::zeroed(ALIGN);
        w.as_mut_slice().fill(7);
        d.write_at(0, w.as_slice()).expect("write");
        d.write_at(1 << 19, w.as_slice()).expect("write");
        d.sync().expect("sync");
        let mut r = [0u8; 100];
        d.read_cached(10, &mut r).expect("mapped read");
        assert_eq!(r, [7; 100]);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_len(1 << 18))
            .expect("cut the file short");
        let e = d
            .read_cached(1 << 19, &mut r)
            .expect_err("a page past the end of the file");
        assert!(e.to_string().contains("dev"), "names the path: {e}");
        let mut again = [0u8; 100];
        d.read_cached(20, &mut again).expect("the rest still reads");
        assert_eq!(again, [7; 100]);
    }

    #[test]
    fn a_file_too_small_to_probe_reads_in_4k_units() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = std::fs::File::create(dir.path().join("tiny")).expect("create");
        f.set_len(512).expect("size");
        assert_eq!(probe_read_align(&f, 512), ALIGN);
    }
}
