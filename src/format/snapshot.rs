//! Index snapshot layout (storage-format.md §"Index snapshot"): the bytes of the file written at
//! clean shutdown and read at the next open for a fast restart (RS-CLEAN, SN-REQ-SNAPSHOT). The
//! file's own writing and reading live in `storage::snapshot`; the entries are this module's own
//! type, [`Entry`], which the index converts to and from at the boundary, so the index's
//! in-memory struct is not a file format.
//!
//! Invariants: the trailing CRC covers every byte before it; `parse` never panics and rejects
//! any length, magic, version or CRC mismatch, and any entry with generation 0 or a LUT beyond
//! 40 bits; `parse(encode(m, i)) == (m, i)`.

use crate::error::{Error, Result, ResultCode};
use crate::format::checksum::crc32;
use crate::format::le::{self, DecodeError, Reader, Writer};
use crate::record::key::Digest;

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

/// Entry flag: the record is a tombstone (S-TOMB).
pub const FLAG_TOMBSTONE: u8 = 1;
/// Entry flag: a user key is stored with the record (SK-STORE).
pub const FLAG_KEY_STORED: u8 = 2;
/// Largest LUT an entry holds (40 bits, MD-LUT-UNIT).
pub const LUT_MAX: u64 = (1 << 40) - 1;

/// One entry of the snapshot (table "Index snapshot entry"): a record's digest, where its image
/// lives and the metadata the index keeps for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Record digest.
    pub digest: Digest,
    /// Write block of the image.
    pub block: u32,
    /// Byte offset of the image in its block.
    pub offset: u32,
    /// Padded image size.
    pub size: u32,
    /// Void-time, seconds since 2010 (0 = never).
    pub void_time: u32,
    /// Last-update time, ms since 2010 (40 bits).
    pub lut: u64,
    /// Generation, 1 … 65535.
    pub generation: u16,
    /// Set id (0 = no set, else 1-based into the set table).
    pub set_id: u16,
    /// `FLAG_TOMBSTONE`, `FLAG_KEY_STORED`.
    pub flags: u8,
}

impl Entry {
    /// Whether the entry is a tombstone.
    pub fn is_tombstone(&self) -> bool {
        self.flags & FLAG_TOMBSTONE != 0
    }
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
    pub entries: Vec<Entry>,
}

/// Encode a snapshot.
pub fn encode(meta: &SnapshotMeta, index: &IndexImage) -> Vec<u8> {
    let mut b = Vec::with_capacity(
        HEADER_LEN + meta.block_seqs.len() * 8 + index.entries.len() * ENTRY_LEN + 4096,
    );
    Writer::append(&mut b)
        .bytes(&MAGIC)
        .u32(VERSION)
        .zeros(4)
        .u64(meta.device_set_id)
        .u64(meta.instance_id)
        .u64(meta.seq_high)
        .u32(meta.block_size)
        .u32(meta.block_seqs.len() as u32)
        .u32(index.sets.len() as u32)
        .zeros(4)
        .u64(index.entries.len() as u64);
    debug_assert_eq!(b.len(), HEADER_LEN);
    let mut w = Writer::append(&mut b);
    for s in &meta.block_seqs {
        w.u64(*s);
    }
    for s in &index.sets {
        assert!(s.len() <= 63, "set names are ≤ 63 bytes");
        w.u8(s.len() as u8).bytes(s.as_bytes());
    }
    for e in &index.entries {
        encode_entry(e, &mut w);
    }
    let set_bytes: usize = index.sets.iter().map(|s| 1 + s.len()).sum();
    debug_assert_eq!(
        b.len(),
        HEADER_LEN + meta.block_seqs.len() * 8 + set_bytes + index.entries.len() * ENTRY_LEN,
        "the snapshot layout of storage-format.md"
    );
    let crc = crc32(&b);
    Writer::append(&mut b).u32(crc);
    b
}

fn encode_entry(e: &Entry, w: &mut Writer<'_>) {
    assert!(
        e.generation != 0 && e.lut <= LUT_MAX,
        "index entries hold generations 1 … 65535 and 40-bit LUTs"
    );
    w.bytes(&e.digest.0)
        .u32(e.block)
        .u32(e.offset)
        .u32(e.size)
        .u32(e.void_time)
        .u64(e.lut)
        .u16(e.generation)
        .u16(e.set_id)
        .bytes(&[e.flags, 0, 0, 0]);
}

fn bad(why: &str) -> Error {
    Error::new(ResultCode::ServerError, format!("index snapshot: {why}"))
}

/// A short read inside bytes whose lengths were checked: reported, never a panic.
fn short(e: DecodeError) -> Error {
    bad(e.0)
}

/// Parse and verify a snapshot.
pub fn parse(b: &[u8]) -> Result<(SnapshotMeta, IndexImage)> {
    if b.len() < HEADER_LEN + 4 {
        return Err(bad("too short"));
    }
    let (body, crc) = b.split_at(b.len() - 4);
    if crc32(body) != le::u32_at(crc, 0).map_err(short)? {
        return Err(bad("CRC mismatch"));
    }
    if body[..8] != MAGIC || le::u32_at(body, off::VERSION).map_err(short)? != VERSION {
        return Err(bad("magic or version"));
    }
    let blocks = le::u32_at(body, off::BLOCK_COUNT).map_err(short)? as usize;
    let sets = le::u32_at(body, off::SET_COUNT).map_err(short)? as usize;
    let entries = usize::try_from(le::u64_at(body, off::ENTRY_COUNT).map_err(short)?)
        .map_err(|_| bad("entry count"))?;
    // Counts are checked against the bytes left before anything is allocated from them.
    let fits = |r: &Reader<'_>, n: Option<usize>| -> Result<()> {
        match n {
            Some(n) if n <= r.remaining() => Ok(()),
            _ => Err(bad("truncated")),
        }
    };
    let mut r = Reader::at(body, HEADER_LEN);
    fits(&r, blocks.checked_mul(8))?;
    let block_seqs = (0..blocks)
        .map(|_| r.u64())
        .collect::<std::result::Result<_, _>>()
        .map_err(short)?;
    let mut names = Vec::with_capacity(sets.min(4096));
    for _ in 0..sets {
        let n = usize::from(r.u8().map_err(short)?);
        let name = std::str::from_utf8(r.take(n).map_err(short)?).map_err(|_| bad("set name"))?;
        names.push(name.to_string());
    }
    fits(&r, entries.checked_mul(ENTRY_LEN))?;
    if r.remaining() != entries * ENTRY_LEN {
        return Err(bad("trailing bytes"));
    }
    let table = r.take(entries * ENTRY_LEN).map_err(short)?;
    let out = table
        .chunks_exact(ENTRY_LEN)
        .map(parse_entry)
        .collect::<Result<Vec<_>>>()?;
    let meta = SnapshotMeta {
        device_set_id: le::u64_at(body, off::DEVICE_SET_ID).map_err(short)?,
        instance_id: le::u64_at(body, off::INSTANCE_ID).map_err(short)?,
        seq_high: le::u64_at(body, off::SEQ_HIGH).map_err(short)?,
        block_size: le::u32_at(body, off::BLOCK_SIZE).map_err(short)?,
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
fn parse_entry(e: &[u8]) -> Result<Entry> {
    let entry = read_entry(&mut Reader::new(e)).map_err(short)?;
    if entry.generation == 0 || entry.lut > LUT_MAX {
        return Err(bad("entry with generation 0 or LUT beyond 40 bits"));
    }
    Ok(entry)
}

fn read_entry(r: &mut Reader<'_>) -> std::result::Result<Entry, DecodeError> {
    let entry = Entry {
        digest: Digest(r.array()?),
        block: r.u32()?,
        offset: r.u32()?,
        size: r.u32()?,
        void_time: r.u32()?,
        lut: r.u64()?,
        generation: r.u16()?,
        set_id: r.u16()?,
        flags: r.u8()?,
    };
    debug_assert_eq!(
        r.position(),
        entry_off::FLAGS + 1,
        "the entry table's offsets"
    );
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le32(b: &[u8], at: usize) -> u32 {
        le::u32_at(b, at).expect("field inside the snapshot")
    }

    fn le64(b: &[u8], at: usize) -> u64 {
        le::u64_at(b, at).expect("field inside the snapshot")
    }

    fn sample() -> (SnapshotMeta, IndexImage) {
        let e = Entry {
            digest: Digest([4; 20]),
            block: 3,
            offset: 32,
            size: 96,
            generation: 7,
            void_time: 1234,
            lut: 0xAB_CDEF_0123,
            set_id: 1,
            flags: 2,
        };
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
                entries: vec![e],
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
