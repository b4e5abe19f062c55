//! The index definitions file (storage-format.md "Index definitions file", SIDX-PERSIST-1):
//! `<first device path>.sindex`, rewritten whole (temp file, sync, rename) on every create and
//! drop. Entries are not stored: they are rebuilt from the records at open.
//!
//! Invariants: `decode(encode(defs)) == defs`; a file with a bad magic, version, length or CRC
//! decodes to an error naming the path, never a panic.

use crate::error::{Error, Result, ResultCode};
use crate::sindex::definition::{CollectionIndexType, IndexDef, IndexType};
use std::path::{Path, PathBuf};

/// File magic.
pub const MAGIC: &[u8; 4] = b"ALSX";
/// Format version.
pub const VERSION: u16 = 1;

/// The definitions file of a namespace whose first device is `device`.
pub fn path_for(device: &Path) -> PathBuf {
    let mut s = device.as_os_str().to_owned();
    s.push(".sindex");
    PathBuf::from(s)
}

fn type_tag(t: IndexType) -> u8 {
    match t {
        IndexType::Numeric => 1,
        IndexType::String => 2,
        IndexType::Blob => 3,
    }
}

fn coll_tag(c: CollectionIndexType) -> u8 {
    match c {
        CollectionIndexType::Default => 0,
        CollectionIndexType::List => 1,
        CollectionIndexType::MapKeys => 2,
        CollectionIndexType::MapValues => 3,
    }
}

/// The file's bytes for `defs`.
pub fn encode(defs: &[IndexDef]) -> Vec<u8> {
    assert!(
        defs.len() <= crate::sindex::definition::MAX_INDEXES,
        "a namespace's definitions fit the u16 count"
    );
    let mut b = MAGIC.to_vec();
    b.extend_from_slice(&VERSION.to_le_bytes());
    b.extend_from_slice(&(defs.len() as u16).to_le_bytes());
    for d in defs {
        for s in [&d.name, &d.set_name, &d.bin_name] {
            assert!(s.len() <= 255, "validated names fit one length byte");
            b.push(s.len() as u8);
            b.extend_from_slice(s.as_bytes());
        }
        b.push(type_tag(d.index_type));
        b.push(coll_tag(d.collection));
    }
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    // The file is read back by `decode`: what is written must read back as written.
    debug_assert!(
        decode(&b).as_deref() == Some(defs),
        "sindex definitions round-trip"
    );
    b
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let (a, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn string(&mut self) -> Option<String> {
        let n = usize::from(self.u8()?);
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

fn decode_def(r: &mut Reader<'_>) -> Option<IndexDef> {
    let (name, set_name, bin_name) = (r.string()?, r.string()?, r.string()?);
    let index_type = match r.u8()? {
        1 => IndexType::Numeric,
        2 => IndexType::String,
        3 => IndexType::Blob,
        _ => return None,
    };
    let collection = match r.u8()? {
        0 => CollectionIndexType::Default,
        1 => CollectionIndexType::List,
        2 => CollectionIndexType::MapKeys,
        3 => CollectionIndexType::MapValues,
        _ => return None,
    };
    Some(IndexDef {
        name,
        set_name,
        bin_name,
        index_type,
        collection,
    })
}

/// The definitions in `bytes`; `None` when they do not decode.
pub fn decode(bytes: &[u8]) -> Option<Vec<IndexDef>> {
    let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
    if crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    let mut r = Reader(body);
    if r.take(4)? != MAGIC || r.take(2)? != VERSION.to_le_bytes() {
        return None;
    }
    let n = u16::from_le_bytes(r.take(2)?.try_into().ok()?);
    let defs: Option<Vec<IndexDef>> = (0..n).map(|_| decode_def(&mut r)).collect();
    r.0.is_empty().then_some(defs?)
}

/// Read the definitions at `path` (none when the file does not exist).
pub fn load(path: &Path) -> Result<Vec<IndexDef>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            let what = format!("cannot read index definitions {}", path.display());
            return Err(Error::io(ResultCode::ServerError, what, e));
        }
    };
    decode(&bytes).ok_or_else(|| {
        Error::new(
            ResultCode::ServerError,
            format!(
                "index definitions file {} is damaged (magic, version, length or CRC); \
                 remove it and recreate the indexes (SIDX-PERSIST-1)",
                path.display()
            ),
        )
    })
}

/// Replace the file at `path` with `defs` (temp file, sync, rename, directory sync).
pub fn store(path: &Path, defs: &[IndexDef]) -> Result<()> {
    let io = |e: std::io::Error| {
        let what = format!("cannot write index definitions {}", path.display());
        Error::io(ResultCode::ServerError, what, e)
    };
    let tmp = path.with_extension("sindex.tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&encode(defs)).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidx_persist_1_round_trip_and_damage() {
        let defs = vec![IndexDef {
            name: "by_age".into(),
            set_name: "users".into(),
            bin_name: "age".into(),
            index_type: IndexType::Numeric,
            collection: CollectionIndexType::MapValues,
        }];
        let mut b = encode(&defs);
        assert_eq!(decode(&b), Some(defs));
        for i in 0..b.len() {
            b[i] ^= 0x40;
            assert_eq!(decode(&b), None, "flip at {i}");
            b[i] ^= 0x40;
        }
        assert_eq!(decode(&b[..3]), None);
    }

    /// The layout table of storage-format.md "Index definitions file".
    #[test]
    fn layout_matches_storage_format() {
        let d = IndexDef {
            name: "ab".into(),
            set_name: String::new(),
            bin_name: "c".into(),
            index_type: IndexType::Blob,
            collection: CollectionIndexType::List,
        };
        let b = encode(&[d]);
        assert_eq!(&b[0..4], b"ALSX");
        assert_eq!(&b[4..8], &[1, 0, 1, 0]);
        assert_eq!(&b[8..16], &[2, b'a', b'b', 0, 1, b'c', 3, 1]);
        assert_eq!(b.len(), 20);
        assert_eq!(b[16..20], crc32fast::hash(&b[..16]).to_le_bytes());
    }
}
