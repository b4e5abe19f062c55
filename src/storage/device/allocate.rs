//! Space for device files. A sparse file lets the filesystem fill up underneath the store: its
//! stop-writes never sees it coming, the first write into a hole fails, and even an open (which
//! writes a header slot) can fail. So a new device file gets its full size allocated when it is
//! created — `fallocate`, or zeros written where the filesystem does not support it — under a
//! temporary name, and appears at its path only complete (a hard link, which never replaces a
//! file another opener created meanwhile). An existing file's holes (a file created sparse by an
//! older version) are allocated at open where the filesystem has room.
//!
//! Invariants: a file created here is never visible at its path with less than its full size
//! allocated; an existing file's bytes are never changed here (only `fallocate` mode 0, which
//! allocates holes as zeros and keeps every written byte).

use crate::error::{Error, Result, ResultCode};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Bytes of zeros written per call where `fallocate` is not supported.
const ZERO_CHUNK: usize = 1 << 20;

/// Whether `e` says the filesystem or device has no room (or the user's quota is exhausted).
pub fn is_no_space(e: &io::Error) -> bool {
    // By errno: `ErrorKind::StorageFull` is newer than the crate's minimum Rust version.
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// Create `path` (absent) with `len` bytes allocated. A racing creator's file wins; the caller's
/// lock then decides who may use it.
pub fn create_allocated(path: &Path, len: u64) -> Result<()> {
    let tmp = temp_name(path);
    let fail = |what: &str, e: io::Error| create_error(path, len, what, e);
    let f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| fail("create", e))?;
    if let Err(e) = allocate_new(&f, len).and_then(|()| f.sync_all()) {
        drop(f);
        // Best effort: the allocation error is the one to report.
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("allocate", e));
    }
    drop(f);
    let linked = std::fs::hard_link(&tmp, path);
    let placed = match linked {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        // A filesystem without hard links: a rename (which could replace a file created in the
        // last instant by another opener) only when nothing is there.
        Err(_) if !path.exists() => std::fs::rename(&tmp, path),
        Err(e) => Err(e),
    };
    // Best effort: a leftover temporary file is harmless (its name says what it is).
    let _ = std::fs::remove_file(&tmp);
    placed.map_err(|e| fail("place", e))?;
    sync_parent(path).map_err(|e| fail("sync the directory of", e))?;
    assert!(path.exists(), "a created device file is at its path");
    Ok(())
}

/// Allocate the holes of an existing regular file of `len` bytes (`fallocate` mode 0 only:
/// written bytes are kept). `false` when the filesystem cannot (no room, no support): the
/// store still opens and reads; a later write into a hole reports "no space on device".
pub fn fill_holes(f: &File, len: u64) -> bool {
    fallocate(f, len).is_ok()
}

fn temp_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".creating-{}-{:x}",
        std::process::id(),
        crate::rng::random_id()
    ));
    PathBuf::from(name)
}

fn create_error(path: &Path, len: u64, what: &str, e: io::Error) -> Error {
    let prefix = if is_no_space(&e) {
        "no space on device: "
    } else {
        ""
    };
    let words = format!(
        "{prefix}cannot {what} device file {} of {len} bytes (file_size_bytes): {e}; free space \
         on its filesystem or configure a smaller file_size_bytes",
        path.display()
    );
    Error::io(ResultCode::ServerError, words, e)
}

/// A new, empty file: `fallocate`, else zeros written.
fn allocate_new(f: &File, len: u64) -> io::Result<()> {
    match fallocate(f, len) {
        Err(e)
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS)
            ) =>
        {
            write_zeros(f, len)
        }
        r => r,
    }
}

#[cfg(target_os = "linux")]
fn fallocate(f: &File, len: u64) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let len = libc::off_t::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "size beyond off_t"))?;
    loop {
        // SAFETY: fallocate only reads its integer arguments; the descriptor is open.
        if unsafe { libc::fallocate(f.as_raw_fd(), 0, 0, len) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn fallocate(_f: &File, _len: u64) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP))
}

/// Write `len` zero bytes from the start of `f` (the allocation fallback; `aerolite bench
/// --prewrite`).
pub fn write_zeros(f: &File, len: u64) -> io::Result<()> {
    let zeros = vec![0u8; ZERO_CHUNK];
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(ZERO_CHUNK as u64) as usize;
        f.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    assert_eq!(at, len, "zeros cover the whole file");
    Ok(())
}

fn sync_parent(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn a_created_file_is_fully_allocated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("dev");
        create_allocated(&p, 8 << 20).expect("create");
        let m = std::fs::metadata(&p).expect("stat");
        assert_eq!(m.len(), 8 << 20);
        assert!(m.blocks() * 512 >= 8 << 20, "allocated, not sparse");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
        // An existing file is left alone.
        std::fs::write(&p, b"keep").expect("overwrite");
        create_allocated(&p, 8 << 20).expect("exists already");
        assert_eq!(std::fs::read(&p).expect("read"), b"keep");
    }

    #[test]
    fn zeros_fallback_allocates_and_no_space_is_recognised() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = File::create(dir.path().join("z")).expect("create");
        write_zeros(&f, 3 * ZERO_CHUNK as u64 + 5).expect("zeros");
        assert_eq!(f.metadata().expect("stat").len(), 3 * ZERO_CHUNK as u64 + 5);
        assert!(is_no_space(&io::Error::from_raw_os_error(libc::ENOSPC)));
        assert!(!is_no_space(&io::Error::from_raw_os_error(libc::EIO)));
    }
}
