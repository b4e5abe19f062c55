//! The index definitions file (storage-format.md "Index definitions file", SIDX-PERSIST-1):
//! `<first device path>.sindex`, rewritten whole (temp file, sync, rename) on every create and
//! drop. Entries are not stored: they are rebuilt from the records at open.
//!
//! Version 2 (SIDX-CTX-1) appends each definition's packed CDT context, version 3 (SIDX-EXP-1)
//! then its packed expression; version 1 (no context) and 2 (no expression) files are still
//! read, and rewritten as version 3 by the next create or drop.
//!
//! Invariants: `decode(encode(defs)) == defs`; a file with a bad magic, version, length or CRC
//! decodes to an error naming the path, never a panic.

use crate::error::{Error, Result, ResultCode};
use crate::format::checksum::crc32;
use crate::format::le::{self, Reader, Writer};
use crate::sindex::ctx::IndexCtx;
use crate::sindex::definition::{CollectionIndexType, IndexDef, IndexType};
use crate::sindex::exp::IndexExp;
use std::path::{Path, PathBuf};

/// File magic.
pub const MAGIC: &[u8; 4] = b"ALSX";
/// Format version written (1 and 2 are still read: definitions without a context, without an
/// expression).
pub const VERSION: u16 = 3;

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
        IndexType::Geo2DSphere => 4,
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
    let mut b = Vec::new();
    let mut w = Writer::append(&mut b);
    w.bytes(MAGIC).u16(VERSION).u16(defs.len() as u16);
    for d in defs {
        for s in [&d.name, &d.set_name, &d.bin_name] {
            assert!(s.len() <= 255, "validated names fit one length byte");
            w.u8(s.len() as u8).bytes(s.as_bytes());
        }
        w.u8(type_tag(d.index_type)).u8(coll_tag(d.collection));
        let ctx = d.ctx.packed();
        let ctx_len = u16::try_from(ctx.len()).expect("validated contexts fit a u16 length");
        w.u16(ctx_len).bytes(ctx);
        let exp = d.exp.as_ref().map_or(&[][..], |e| e.packed());
        let exp_len = u16::try_from(exp.len()).expect("validated expressions fit a u16 length");
        w.u16(exp_len).bytes(exp);
    }
    let crc = crc32(&b);
    Writer::append(&mut b).u32(crc);
    // The file is read back by `decode`: what is written must read back as written.
    debug_assert!(
        decode(&b).as_deref() == Some(defs),
        "sindex definitions round-trip"
    );
    b
}

fn string(r: &mut Reader<'_>) -> Option<String> {
    let n = usize::from(r.u8().ok()?);
    String::from_utf8(r.take(n).ok()?.to_vec()).ok()
}

fn decode_def(r: &mut Reader<'_>, version: u16) -> Option<IndexDef> {
    let (name, set_name, bin_name) = (string(r)?, string(r)?, string(r)?);
    let index_type = match r.u8().ok()? {
        1 => IndexType::Numeric,
        2 => IndexType::String,
        3 => IndexType::Blob,
        4 => IndexType::Geo2DSphere,
        _ => return None,
    };
    let collection = match r.u8().ok()? {
        0 => CollectionIndexType::Default,
        1 => CollectionIndexType::List,
        2 => CollectionIndexType::MapKeys,
        3 => CollectionIndexType::MapValues,
        _ => return None,
    };
    let ctx = if version >= 2 {
        let n = usize::from(r.u16().ok()?);
        IndexCtx::from_packed(r.take(n).ok()?)?
    } else {
        IndexCtx::default()
    };
    let exp = match version {
        3.. => match usize::from(r.u16().ok()?) {
            0 => None,
            n => Some(IndexExp::from_packed(r.take(n).ok()?).ok()?),
        },
        _ => None,
    };
    Some(IndexDef {
        name,
        set_name,
        bin_name,
        ctx,
        exp,
        index_type,
        collection,
    })
}

/// The definitions in `bytes`; `None` when they do not decode.
pub fn decode(bytes: &[u8]) -> Option<Vec<IndexDef>> {
    let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
    if le::u32_at(crc, 0).ok()? != crc32(body) {
        return None;
    }
    let mut r = Reader::new(body);
    if r.take(4).ok()? != MAGIC {
        return None;
    }
    let version = r.u16().ok()?;
    if !(1..=VERSION).contains(&version) {
        return None;
    }
    let n = r.u16().ok()?;
    let defs: Option<Vec<IndexDef>> = (0..n).map(|_| decode_def(&mut r, version)).collect();
    (r.remaining() == 0).then_some(defs?)
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
    use crate::cdt::context::CTX;

    fn def(ctx: &[CTX]) -> IndexDef {
        IndexDef {
            name: "ab".into(),
            set_name: String::new(),
            bin_name: "c".into(),
            ctx: IndexCtx::of(ctx),
            exp: None,
            index_type: IndexType::Blob,
            collection: CollectionIndexType::List,
        }
    }

    #[test]
    fn sidx_persist_1_round_trip_and_damage() {
        let defs = vec![
            IndexDef {
                name: "by_age".into(),
                set_name: "users".into(),
                bin_name: "age".into(),
                ctx: IndexCtx::default(),
                exp: None,
                index_type: IndexType::Numeric,
                collection: CollectionIndexType::MapValues,
            },
            def(&[CTX::map_key("a"), CTX::list_rank(-1)]),
            exp_def(),
        ];
        let mut b = encode(&defs);
        assert_eq!(decode(&b), Some(defs));
        for i in 0..b.len() {
            b[i] ^= 0x40;
            assert_eq!(decode(&b), None, "flip at {i}");
            b[i] ^= 0x40;
        }
        assert_eq!(decode(&b[..3]), None);
    }

    /// A numeric index on the expression `int_bin("b")`, of every set.
    fn exp_def() -> IndexDef {
        IndexDef {
            name: "e".into(),
            set_name: String::new(),
            bin_name: String::new(),
            ctx: IndexCtx::default(),
            exp: Some(IndexExp::of(&crate::expressions::int_bin("b"))),
            index_type: IndexType::Numeric,
            collection: CollectionIndexType::Default,
        }
    }

    /// The layout table of storage-format.md "Index definitions file" (version 3).
    #[test]
    fn layout_matches_storage_format() {
        let b = encode(&[def(&[])]);
        assert_eq!(&b[0..4], b"ALSX");
        assert_eq!(&b[4..8], &[3, 0, 1, 0]);
        assert_eq!(&b[8..20], &[2, b'a', b'b', 0, 1, b'c', 3, 1, 0, 0, 0, 0]);
        assert_eq!(b.len(), 24);
        assert_eq!(le::u32_at(&b, 20), Ok(crc32(&b[..20])));
        let b = encode(&[def(&[CTX::map_key("a")])]);
        // ctx_len 5, then the packed context [0x22, "a"], then exp_len 0.
        assert_eq!(&b[16..25], &[5, 0, 0x92, 0x22, 0xa2, 3, b'a', 0, 0]);
        assert_eq!(b.len(), 29);
        let b = encode(&[exp_def()]);
        // Name "e", no set, no bin, numeric, default, ctx_len 0; exp_len 5, then the
        // expression [81, 2, "b"] as the clients pack it (the bin name a plain msgpack str).
        assert_eq!(&b[8..16], &[1, b'e', 0, 0, 1, 0, 0, 0]);
        assert_eq!(&b[16..23], &[5, 0, 0x93, 0x51, 2, 0xa1, b'b']);
        assert_eq!(b.len(), 27);
    }

    /// SIDX-GEO-1: a GEO2DSPHERE definition is type tag 4; the layout is otherwise that of version 3.
    #[test]
    fn geo_type_tag_is_4() {
        let geo = IndexDef {
            index_type: IndexType::Geo2DSphere,
            collection: CollectionIndexType::Default,
            ..def(&[])
        };
        let b = encode(std::slice::from_ref(&geo));
        assert_eq!(&b[8..20], &[2, b'a', b'b', 0, 1, b'c', 4, 0, 0, 0, 0, 0]);
        assert_eq!(decode(&b), Some(vec![geo]));
    }


    /// Version-1 (no context field) and version-2 (no expression field) files are still read
    /// (SIDX-CTX-1, SIDX-EXP-1).
    #[test]
    fn versions_1_and_2_are_still_read() {
        for (version, ctx_len) in [(1u8, &[][..]), (2, &[0, 0][..])] {
            let mut b = b"ALSX".to_vec();
            b.extend_from_slice(&[version, 0, 1, 0, 2, b'a', b'b', 0, 1, b'c', 3, 1]);
            b.extend_from_slice(ctx_len);
            let crc = crc32(&b);
            Writer::append(&mut b).u32(crc);
            assert_eq!(decode(&b), Some(vec![def(&[])]), "version {version}");
        }
    }
}
