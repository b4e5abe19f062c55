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
//! (tests/storage_read_page_cache.rs). The buffered descriptor is advised `POSIX_FADV_RANDOM`:
//! point reads should not trigger read-ahead of whole neighbouring ranges.
//!
//! A missing file is created with its full size allocated, and an existing file's holes are
//! allocated at open where the filesystem has room (`allocate`): a write never lands in a hole
//! of a file this version created. I/O errors name the path; a full filesystem reads "no space
//! on device".
//!
//! Invariant: the capacity is fixed at open (file length, or device size for block devices).

use crate::error::Result;
use crate::storage::device::{allocate, io_error, Device};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A file or raw device.
pub struct PortableDevice {
    /// The open file.
    pub file: File,
    /// Buffered read-only descriptor beside an `O_DIRECT` `file` (None when `file` is buffered).
    cached: Option<File>,
    capacity: u64,
    direct: bool,
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
        Ok(PortableDevice {
            file,
            cached,
            capacity,
            direct,
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

    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
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
}
