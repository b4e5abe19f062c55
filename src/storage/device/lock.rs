//! Exclusive ownership of the paths a device store uses while it is open: every device file or
//! raw device, and the index snapshot. Two stores writing one device lose each other's writes, so
//! a second open — in this process or another — is refused at once, before it reads or writes
//! anything.
//!
//! - A device path is locked with `flock(LOCK_EX | LOCK_NB)` on a descriptor of its own (flock
//!   locks belong to the open file description, so two opens in one process conflict too, and
//!   the kernel drops the lock when the owning process dies). A raw block device is in addition
//!   opened with `O_EXCL`, which Linux refuses while the device is mounted or held exclusively
//!   by another program.
//! - The snapshot is replaced by rename at every clean shutdown, so a lock on its inode would not
//!   last; it is locked through a sidecar file, the snapshot path + `.lock`, which is removed
//!   again (while still locked) when the lock is released.
//!
//! Invariants: a [`PathLock`] holds its flock for its whole life; a lock is handed out only when
//! the locked inode is still the one the path names (a sidecar removed by a releasing owner
//! between our open and our flock is detected and retried).

use crate::error::{err, Error, Result, ResultCode};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Attempts to lock a sidecar that keeps being removed by releasing owners before giving up.
const SIDECAR_ATTEMPTS: u32 = 8;

/// An exclusive lock on a path, released on drop.
#[derive(Debug)]
pub struct PathLock {
    /// The descriptor the flock (and any `O_EXCL` claim) belongs to; never read.
    _file: File,
    path: PathBuf,
    /// A sidecar lock file: removed (before the descriptor closes) on release.
    sidecar: bool,
}

impl PathLock {
    /// The locked path (the sidecar for a snapshot).
    #[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PathLock {
    fn drop(&mut self) {
        if self.sidecar {
            // Removed while still locked, so no one can lock this inode through the path after
            // us; a failure leaves an unlocked file that the next owner simply locks.
            let _ = std::fs::remove_file(&self.path);
        }
        // Dropping `_file` next closes it, which releases the flock (and an `O_EXCL` claim).
    }
}

fn in_use(what: &str, path: &Path, why: &str) -> Error {
    Error::new(
        ResultCode::ParameterError,
        format!(
            "{what} {} is in use: {why}; close the database that has it open, or configure \
             another path",
            path.display()
        ),
    )
}

/// Lock a device file or raw block device that exists (see the module notes).
pub fn lock_device(path: &Path) -> Result<PathLock> {
    let block = is_block_device(path);
    let file = open_for_lock(path, block, false).map_err(|e| match e.raw_os_error() {
        Some(libc::EBUSY) if block => in_use(
            "raw device",
            path,
            "it is mounted or opened exclusively by another program or database",
        ),
        _ => {
            let words = format!("cannot open device {}: {e}", path.display());
            Error::io(ResultCode::ServerError, words, e)
        }
    })?;
    flock_exclusive(&file, path, "device file")?;
    let lock = PathLock {
        _file: file,
        path: path.to_path_buf(),
        sidecar: false,
    };
    assert!(!lock.sidecar, "a device path is never removed on release");
    Ok(lock)
}

/// Lock the index snapshot at `snapshot` through its sidecar `snapshot` + `.lock`.
pub fn lock_snapshot(snapshot: &Path) -> Result<PathLock> {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    for _ in 0..SIDECAR_ATTEMPTS {
        let file = open_for_lock(&path, false, true).map_err(|e| {
            let words = format!(
                "cannot create the lock file {} of index snapshot {}: {e}",
                path.display(),
                snapshot.display()
            );
            Error::io(ResultCode::ServerError, words, e)
        })?;
        flock_exclusive(&file, snapshot, "index snapshot")?;
        if same_inode(&file, &path) {
            return Ok(PathLock {
                _file: file,
                path,
                sidecar: true,
            });
        }
        // The previous owner removed the sidecar after we opened it: lock the new one.
    }
    err(
        ResultCode::ServerError,
        format!(
            "cannot lock index snapshot {}: its lock file {} keeps being replaced",
            snapshot.display(),
            path.display()
        ),
    )
}

fn is_block_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

fn open_for_lock(path: &Path, block: bool, create: bool) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = OpenOptions::new();
    o.read(true);
    if create {
        o.write(true).create(true).truncate(false);
    }
    if block {
        o.custom_flags(libc::O_EXCL);
    }
    o.open(path)
}

fn flock_exclusive(file: &File, shown: &Path, what: &str) -> Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock only reads its integer arguments; the descriptor is open.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => {
                return Err(in_use(
                    what,
                    shown,
                    "another open database (in this process or another) holds its lock",
                ))
            }
            _ => {
                let words = format!("cannot lock {what} {}: {e}", shown.display());
                return Err(Error::io(ResultCode::ServerError, words, e));
            }
        }
    }
}

fn same_inode(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_locked_once_and_free_after_release() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dev = dir.path().join("d");
        std::fs::write(&dev, [0u8; 16]).expect("create");
        let a = lock_device(&dev).expect("first lock");
        let e = lock_device(&dev).expect_err("second lock");
        assert!(e.detail().contains("in use"), "{e}");
        drop(a);
        lock_device(&dev).expect("free after release");

        let snap = dir.path().join("s.snapshot");
        let s = lock_snapshot(&snap).expect("snapshot lock");
        assert!(s.path().exists(), "the sidecar exists while locked");
        assert!(lock_snapshot(&snap).is_err(), "second snapshot lock");
        let side = s.path().to_path_buf();
        drop(s);
        assert!(!side.exists(), "the sidecar is removed on release");
        assert!(!snap.exists(), "locking never creates the snapshot itself");
        lock_snapshot(&snap).expect("free after release");
    }
}
