//! Index snapshot file (storage-format.md §"Index snapshot"): written at clean shutdown, read at
//! the next open for a fast restart (RS-CLEAN, SN-REQ-SNAPSHOT).
//!
//! Invariants: the file is written to a temporary name, synced, renamed and the directory synced,
//! so it is either absent or complete; the trailing CRC covers every byte before it; `parse`
//! never panics and rejects any length, magic, version or CRC mismatch.

use crate::error::{Error, Result, ResultCode};
use crate::index::IndexEntry;
use crate::record::key::Digest;
use crate::storage::Location;
use std::io::Write;
use std::path::Path;

/// Magic, the ASCII bytes `ALSNAPSH`.
pub const MAGIC: [u8; 8] = *b"ALSNAPSH";
/// Snapshot version.
pub const VERSION: u32 = 1;
/// Fixed header bytes.
pub const HEADER_LEN: usize = 64;
/// Bytes per index entry.
pub const ENTRY_LEN: usize = 52;

/// Byte offsets of the fixed header (storage-format.md table "Index snapshot header").
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
pub mod off {
    /// `[u8; 8]` magic.
    pub const MAGIC: usize = 0;
    /// u32 version.
    pub const VERSION: usize = 8;
    /// u64 device-set id.
    pub const DEVICE_SET_ID: usize = 16;
    /// u64 instance id.
    pub const INSTANCE_ID: usize = 24;
    /// u64 block-sequence high-water mark.
    pub const SEQ_HIGH: usize = 32;
    /// u32 block size.
    pub const BLOCK_SIZE: usize = 40;
    /// u32 block count.
    pub const BLOCK_COUNT: usize = 44;
    /// u32 set count.
    pub const SET_COUNT: usize = 48;
    /// u64 entry count.
    pub const ENTRY_COUNT: usize = 56;
}

/// Byte offsets inside one entry (table "Index snapshot entry").
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
pub mod entry_off {
    /// 20-byte digest.
    pub const DIGEST: usize = 0;
    /// u32 block.
    pub const BLOCK: usize = 20;
    /// u32 offset in block.
    pub const OFFSET: usize = 24;
    /// u32 padded image size.
    pub const SIZE: usize = 28;
    /// u32 void-time.
    pub const VOID_TIME: usize = 32;
    /// u64 LUT (40 bits).
    pub const LUT: usize = 36;
    /// u16 generation.
    pub const GENERATION: usize = 44;
    /// u16 set id.
    pub const SET_ID: usize = 46;
    /// u8 flags, then 3 zero bytes.
    pub const FLAGS: usize = 48;
}

/// Storage-side facts a snapshot records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// Device-set id.
    pub device_set_id: u64,
    /// Instance id of the session that wrote it (equals the clean header's).
    pub instance_id: u64,
    /// Block-sequence high-water mark.
    pub seq_high: u64,
    /// Block size.
    pub block_size: u32,
    /// Per block: the sequence of its incarnation on the device (0 = never written).
    pub block_seqs: Vec<u64>,
}

/// The engine side: set names by id (id 1 first) and every index entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexImage {
    /// Set names, id order starting at 1.
    pub sets: Vec<String>,
    /// Entries.
    pub entries: Vec<(Digest, IndexEntry)>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    let mut a = [0; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Encode a snapshot.
pub fn encode(meta: &SnapshotMeta, index: &IndexImage) -> Vec<u8> {
    let mut b = Vec::with_capacity(
        HEADER_LEN + meta.block_seqs.len() * 8 + index.entries.len() * ENTRY_LEN + 4096,
    );
    b.extend_from_slice(&MAGIC);
    b.extend_from_slice(&VERSION.to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&meta.device_set_id.to_le_bytes());
    b.extend_from_slice(&meta.instance_id.to_le_bytes());
    b.extend_from_slice(&meta.seq_high.to_le_bytes());
    b.extend_from_slice(&meta.block_size.to_le_bytes());
    b.extend_from_slice(&(meta.block_seqs.len() as u32).to_le_bytes());
    b.extend_from_slice(&(index.sets.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&(index.entries.len() as u64).to_le_bytes());
    debug_assert_eq!(b.len(), HEADER_LEN);
    for s in &meta.block_seqs {
        b.extend_from_slice(&s.to_le_bytes());
    }
    for s in &index.sets {
        assert!(s.len() <= 63, "set names are ≤ 63 bytes");
        b.push(s.len() as u8);
        b.extend_from_slice(s.as_bytes());
    }
    for (d, e) in &index.entries {
        b.extend_from_slice(&d.0);
        b.extend_from_slice(&e.location.block.to_le_bytes());
        b.extend_from_slice(&e.location.offset.to_le_bytes());
        b.extend_from_slice(&e.size.to_le_bytes());
        b.extend_from_slice(&e.void_time.to_le_bytes());
        b.extend_from_slice(&e.lut().to_le_bytes());
        b.extend_from_slice(&e.generation.to_le_bytes());
        b.extend_from_slice(&e.set_id.to_le_bytes());
        b.extend_from_slice(&[e.flags, 0, 0, 0]);
    }
    let set_bytes: usize = index.sets.iter().map(|s| 1 + s.len()).sum();
    debug_assert_eq!(
        b.len(),
        HEADER_LEN + meta.block_seqs.len() * 8 + set_bytes + index.entries.len() * ENTRY_LEN,
        "the snapshot layout of storage-format.md"
    );
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

fn bad(why: &str) -> Error {
    Error::new(ResultCode::ServerError, format!("index snapshot: {why}"))
}

/// Parse and verify a snapshot.
pub fn parse(b: &[u8]) -> Result<(SnapshotMeta, IndexImage)> {
    if b.len() < HEADER_LEN + 4 {
        return Err(bad("too short"));
    }
    let (body, crc) = b.split_at(b.len() - 4);
    if crc32fast::hash(body) != le32(crc, 0) {
        return Err(bad("CRC mismatch"));
    }
    if body[..8] != MAGIC || le32(body, off::VERSION) != VERSION {
        return Err(bad("magic or version"));
    }
    let blocks = le32(body, off::BLOCK_COUNT) as usize;
    let sets = le32(body, off::SET_COUNT) as usize;
    let entries = usize::try_from(le64(body, off::ENTRY_COUNT)).map_err(|_| bad("entry count"))?;
    let mut pos = HEADER_LEN;
    let need = |pos: usize, n: usize| -> Result<()> {
        if pos.checked_add(n).is_none_or(|e| e > body.len()) {
            Err(bad("truncated"))
        } else {
            Ok(())
        }
    };
    need(
        pos,
        blocks.checked_mul(8).ok_or_else(|| bad("block count"))?,
    )?;
    let block_seqs = (0..blocks).map(|i| le64(body, pos + 8 * i)).collect();
    pos += blocks * 8;
    let mut names = Vec::with_capacity(sets.min(4096));
    for _ in 0..sets {
        need(pos, 1)?;
        let n = usize::from(body[pos]);
        need(pos + 1, n)?;
        let s = std::str::from_utf8(&body[pos + 1..pos + 1 + n]).map_err(|_| bad("set name"))?;
        names.push(s.to_string());
        pos += 1 + n;
    }
    need(
        pos,
        entries
            .checked_mul(ENTRY_LEN)
            .ok_or_else(|| bad("entry count"))?,
    )?;
    if pos + entries * ENTRY_LEN != body.len() {
        return Err(bad("trailing bytes"));
    }
    let mut out = Vec::with_capacity(entries);
    for i in 0..entries {
        out.push(parse_entry(
            &body[pos + i * ENTRY_LEN..pos + (i + 1) * ENTRY_LEN],
        )?);
    }
    let meta = SnapshotMeta {
        device_set_id: le64(body, off::DEVICE_SET_ID),
        instance_id: le64(body, off::INSTANCE_ID),
        seq_high: le64(body, off::SEQ_HIGH),
        block_size: le32(body, off::BLOCK_SIZE),
        block_seqs,
    };
    Ok((
        meta,
        IndexImage {
            sets: names,
            entries: out,
        },
    ))
}

/// One index entry of `ENTRY_LEN` bytes (a generation of 0 or a LUT beyond 40 bits fails).
fn parse_entry(e: &[u8]) -> Result<(Digest, IndexEntry)> {
    let mut d = [0u8; 20];
    d.copy_from_slice(&e[..20]);
    let generation = u16::from_le_bytes([e[entry_off::GENERATION], e[entry_off::GENERATION + 1]]);
    let lut = le64(e, entry_off::LUT);
    if generation == 0 || lut >> 40 != 0 {
        return Err(bad("entry with generation 0 or LUT beyond 40 bits"));
    }
    let entry = IndexEntry::new(
        Location {
            block: le32(e, entry_off::BLOCK),
            offset: le32(e, entry_off::OFFSET),
        },
        le32(e, entry_off::SIZE),
        generation,
        le32(e, entry_off::VOID_TIME),
        lut,
        u16::from_le_bytes([e[entry_off::SET_ID], e[entry_off::SET_ID + 1]]),
        e[entry_off::FLAGS],
    );
    Ok((Digest(d), entry))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (SnapshotMeta, IndexImage) {
        let e = IndexEntry::new(
            Location {
                block: 3,
                offset: 32,
            },
            96,
            7,
            1234,
            0xAB_CDEF_0123,
            1,
            2,
        );
        (
            SnapshotMeta {
                device_set_id: 11,
                instance_id: 12,
                seq_high: 13,
                block_size: 65536,
                block_seqs: vec![0, 5],
            },
            IndexImage {
                sets: vec!["s".into()],
                entries: vec![(Digest([4; 20]), e)],
            },
        )
    }

    /// Pins storage-format.md tables "Index snapshot header" and "Index snapshot entry".
    #[test]
    fn pinned_layout_and_round_trip() {
        let (m, i) = sample();
        let b = encode(&m, &i);
        assert_eq!(&b[..8], b"ALSNAPSH");
        assert_eq!(le32(&b, 8), 1);
        assert_eq!(le64(&b, 16), 11);
        assert_eq!(le64(&b, 24), 12);
        assert_eq!(le64(&b, 32), 13);
        assert_eq!(le32(&b, 40), 65536);
        assert_eq!(le32(&b, 44), 2);
        assert_eq!(le32(&b, 48), 1);
        assert_eq!(le64(&b, 56), 1);
        assert_eq!(le64(&b, 64 + 8), 5);
        let e = 64 + 16 + 2;
        assert_eq!(&b[e..e + 20], &[4; 20]);
        assert_eq!(le32(&b, e + 20), 3);
        assert_eq!(le32(&b, e + 24), 32);
        assert_eq!(le32(&b, e + 28), 96);
        assert_eq!(le32(&b, e + 32), 1234);
        assert_eq!(le64(&b, e + 36), 0xAB_CDEF_0123);
        assert_eq!(u16::from_le_bytes([b[e + 44], b[e + 45]]), 7);
        assert_eq!(u16::from_le_bytes([b[e + 46], b[e + 47]]), 1);
        assert_eq!(b[e + 48], 2);
        assert_eq!(b.len(), e + ENTRY_LEN + 4);
        assert_eq!(parse(&b).expect("parses"), (m, i));
    }

    #[test]
    fn any_flip_or_truncation_is_refused() {
        let (m, i) = sample();
        let b = encode(&m, &i);
        for at in 0..b.len() {
            let mut c = b.clone();
            c[at] ^= 1;
            assert!(parse(&c).is_err(), "flip at {at}");
        }
        for n in 0..b.len() {
            assert!(parse(&b[..n]).is_err(), "truncated to {n}");
        }
    }
}
