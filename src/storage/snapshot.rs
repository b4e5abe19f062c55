//! Index snapshot file (storage-format.md §"Index snapshot"; the bytes are
//! `crate::format::snapshot`): written at clean shutdown, read at the next open for a fast
//! restart (RS-CLEAN, SN-REQ-SNAPSHOT).
//!
//! Invariants: the file is written to a temporary name, synced, renamed and the directory synced,
//! so it is either absent or complete; reading it never panics (`format::snapshot::parse`).

use crate::error::{Error, Result, ResultCode};
pub use crate::format::snapshot::{encode, parse, IndexImage, SnapshotMeta};
use std::io::Write;
use std::path::Path;

fn bad(why: &str) -> Error {
    Error::new(ResultCode::ServerError, format!("index snapshot: {why}"))
}

/// Write `bytes` to `path` atomically: temporary file, sync, rename, directory sync.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |what: &str, e: std::io::Error| {
        let words = format!("index snapshot {what} {}: {e}", path.display());
        Error::io(ResultCode::ServerError, words, e)
    };
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| io("create", e))?;
    let written = f
        .write_all(bytes)
        .map_err(|e| io("write", e))
        .and_then(|()| f.sync_all().map_err(|e| io("sync", e)));
    drop(f);
    if let Err(e) = written {
        // Best effort: a partial temporary file (e.g. on a full filesystem) is never loaded,
        // but it holds space; the write error is the one to report.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| io("rename", e))?;
    sync_dir(path)
}

/// Remove the snapshot (if present) and sync the directory, so it can never be reused.
pub fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => sync_dir(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => {
            let words = format!("cannot remove index snapshot {}: {e}", path.display());
            Err(Error::io(ResultCode::ServerError, words, e))
        }
    }
}

fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| {
            let words = format!("cannot sync directory {}: {e}", dir.display());
            Error::io(ResultCode::ServerError, words, e)
        })
}

/// Read a snapshot file through a memory map; `None` when absent.
pub fn read_file(path: &Path) -> Result<Option<(SnapshotMeta, IndexImage)>> {
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(bad(&format!("open: {e}"))),
    };
    // SAFETY: the snapshot is written once under a temporary name and renamed into place; nothing
    // modifies it while it is mapped (the store deletes it only after loading).
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| bad(&format!("map: {e}")))?;
    parse(&map).map(Some)
}
