//! `aerolite bench --prewrite`: the data file is written with zeros before the store opens it,
//! as fio's file is before a fio run, so the benchmark's first write into each 4 KiB block is an
//! overwrite. A file the store creates itself is `fallocate`d (`storage::device::allocate`):
//! its extents are *unwritten*, and on ext4 or XFS the first write into each must convert it, a
//! metadata change that the covering `fdatasync` then commits through the file system's journal
//! (measured on this machine's ext4: ≈ 57–66 µs per commit-to-device sync instead of ≈ 40 µs;
//! BENCHMARKS.md "Commit-to-device writes, session 8"). A store that has cycled through its file
//! once writes only over written blocks; `--prewrite` measures that state from the start.
//!
//! Invariants: only a regular file (or a missing path) is written; the file ends exactly `len`
//! bytes long, every byte zero, synced; its pages are dropped from the page cache afterwards
//! (the store's `O_DIRECT` writes do not use them and a read benchmark must not find them).

use crate::error::{Error, Result, ResultCode};
use crate::storage::device::allocate;
use std::fs::OpenOptions;
use std::path::Path;

/// Replace `path` by a file of `len` zero bytes, synced, its pages dropped from the page cache.
pub fn zero_file(path: &Path, len: u64) -> Result<()> {
    let fail = |what: &str, e: std::io::Error| {
        Error::io(
            ResultCode::ClientError,
            format!(
                "--prewrite: cannot {what} {} ({len} bytes of zeros): {e}",
                path.display()
            ),
            e,
        )
    };
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| fail("create", e))?;
    allocate::write_zeros(&f, len).map_err(|e| fail("write", e))?;
    f.sync_all().map_err(|e| fail("sync", e))?;
    drop_cached_pages(&f);
    Ok(())
}

/// Advice only: a failure leaves the pages cached (the next reads are then faster, no less
/// correct).
#[cfg(target_os = "linux")]
fn drop_cached_pages(f: &std::fs::File) {
    use std::os::unix::io::AsRawFd;
    // SAFETY: posix_fadvise only reads its integer arguments; the descriptor is open.
    unsafe {
        libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
fn drop_cached_pages(_f: &std::fs::File) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_prewritten_file_is_all_zeros_allocated_and_replaces_what_was_there() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("data");
        std::fs::write(&p, vec![7u8; (3 << 20) + 11]).expect("old content");
        let len = (2 << 20) + 4096 + 5;
        zero_file(&p, len).expect("prewrite");
        let m = std::fs::metadata(&p).expect("stat");
        assert_eq!(m.len(), len);
        assert!(m.blocks() * 512 >= len, "written, not sparse");
        let bytes = std::fs::read(&p).expect("read back");
        assert!(bytes.iter().all(|&b| b == 0), "every byte zero");
    }

    #[test]
    fn an_unwritable_path_names_the_option_and_the_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("missing-dir").join("data");
        let e = zero_file(&p, 4096).expect_err("no such directory");
        assert_eq!(e.code(), ResultCode::ClientError);
        let text = e.to_string();
        assert!(
            text.contains("--prewrite") && text.contains("missing-dir"),
            "{text}"
        );
    }
}
