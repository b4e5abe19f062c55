//! Record image: one version of one record as stored (storage-format.md §"Record image"). The
//! layout constants below are the document's byte table; `tests::pinned_layout` pins them.
//!
//! Invariants:
//! - an image is `padded_len(image_len)` bytes, a multiple of 16, zero-padded;
//! - the CRC32 covers every byte of `[0, image_len)` except the CRC field itself, so a sealed
//!   image's block sequence, metadata and bins are all checked;
//! - `decode` never panics, verifies magic, version, lengths, CRC and every particle, and
//!   rejects trailing bytes inside `image_len`.

use crate::format::checksum::crc32_skipping;
use crate::format::image_view::ImageView;
use crate::format::le::{self, DecodeError, Writer};
use crate::format::particle;
use crate::record::bin::{Bin, BinList, BIN_NAME_MAX};
use crate::record::value::Value;
use crate::record::key::{Digest, UserKeyBytes};

/// Image magic, little-endian u16 at offset 0 (bytes `0x01 0xAE`).
pub const MAGIC: u16 = 0xAE01;
/// Image format version.
pub const VERSION: u8 = 1;
/// Alignment of images.
pub const ALIGN: usize = 16;

/// Byte offsets (storage-format.md table "Record image header").
#[cfg_attr(not(feature = "testing"), allow(dead_code))] // used by the white-box tests
pub mod off {
    /// u16 magic.
    pub const MAGIC: usize = 0;
    /// u8 version.
    pub const VERSION: usize = 2;
    /// u8 flags.
    pub const FLAGS: usize = 3;
    /// u32 unpadded length.
    pub const IMAGE_LEN: usize = 4;
    /// u32 CRC32.
    pub const CRC: usize = 8;
    /// u32 void-time.
    pub const VOID_TIME: usize = 12;
    /// u64 block sequence.
    pub const BLOCK_SEQ: usize = 16;
    /// 20-byte digest.
    pub const DIGEST: usize = 24;
    /// u16 generation.
    pub const GENERATION: usize = 44;
    /// u16 bin count.
    pub const BIN_COUNT: usize = 46;
    /// u64 LUT (40 bits used).
    pub const LUT: usize = 48;
    /// u8 set-name length.
    pub const SET_LEN: usize = 56;
    /// First variable byte.
    pub const VARIABLE: usize = 57;
}

/// Image flag: tombstone.
pub const FLAG_TOMBSTONE: u8 = 1;
/// Image flag: a stored key follows the set name.
pub const FLAG_KEY: u8 = 2;

/// Everything about an image except its bins.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageMeta {
    /// Digest.
    pub digest: Digest,
    /// Generation, 1 … 65535.
    pub generation: u16,
    /// Last-update-time, ms since 2010 (40 bits).
    pub lut: u64,
    /// Void-time, s since 2010 (0 = never).
    pub void_time: u32,
    /// Tombstone flag.
    pub tombstone: bool,
    /// Set name ("" = none), ≤ 63 bytes.
    pub set_name: String,
    /// Stored user key.
    pub key: Option<UserKeyBytes>,
    /// Block sequence the image was sealed with (0 until sealed).
    pub block_seq: u64,
}

/// An [`ImageMeta`] borrowed for encoding: a write encodes its image from the request's set name
/// and stored key without copying them. Same fields, same meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageHeader<'a> {
    /// Digest.
    pub digest: Digest,
    /// Generation, 1 … 65535.
    pub generation: u16,
    /// Last-update-time, ms since 2010 (40 bits).
    pub lut: u64,
    /// Void-time, s since 2010 (0 = never).
    pub void_time: u32,
    /// Tombstone flag.
    pub tombstone: bool,
    /// Set name ("" = none), ≤ 63 bytes.
    pub set_name: &'a str,
    /// Stored user key.
    pub key: Option<&'a UserKeyBytes>,
    /// Block sequence the image was sealed with (0 until sealed).
    pub block_seq: u64,
}

impl ImageMeta {
    /// This metadata as an encoding header.
    pub fn header(&self) -> ImageHeader<'_> {
        ImageHeader {
            digest: self.digest,
            generation: self.generation,
            lut: self.lut,
            void_time: self.void_time,
            tombstone: self.tombstone,
            set_name: &self.set_name,
            key: self.key.as_ref(),
            block_seq: self.block_seq,
        }
    }
}

/// The bins an image is encoded from, in order: a record's working copy, or a put's bins taken
/// as they are (distinct names, none Nil, every value canonical: the working copy they would
/// make holds exactly them, in their order).
#[derive(Debug, Clone, Copy)]
pub enum ImageBins<'a> {
    /// A working copy.
    List(&'a BinList),
    /// A put's bins, stored as they are.
    Put(&'a [Bin]),
}

impl<'a> ImageBins<'a> {
    /// Number of bins.
    pub fn len(self) -> usize {
        match self {
            ImageBins::List(b) => b.len(),
            ImageBins::Put(b) => b.len(),
        }
    }

    /// No bins.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// (name, value) of each bin, in order.
    pub fn iter(self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        let (list, put) = match self {
            ImageBins::List(b) => (Some(b.iter()), None),
            ImageBins::Put(b) => (None, Some(b.iter().map(|b| (b.name.as_str(), &b.value)))),
        };
        list.into_iter().flatten().chain(put.into_iter().flatten())
    }
}

/// A decoded image.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Metadata.
    pub meta: ImageMeta,
    /// Bins, in stored order.
    pub bins: BinList,
}

/// Round up to the image alignment.
pub fn padded_len(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// Exact padded size the image of `meta` + `bins` would have (for RecordTooBig before encoding).
pub fn encoded_size(meta: &ImageMeta, bins: &BinList) -> usize {
    encoded_size_with(&meta.header(), ImageBins::List(bins), None)
}

/// A bin whose particle is already encoded (an in-place CDT result), stored at position `pos`
/// among the bins: the others keep their order around it.
#[derive(Debug, Clone, Copy)]
pub struct RawBin<'a> {
    /// Position among the record's bins.
    pub pos: usize,
    /// Bin name.
    pub name: &'a str,
    /// The particle bytes, tag byte included, exactly as `particle::encode` writes them.
    pub particle: &'a [u8],
}

/// [`encoded_size`] with an optional pre-encoded bin.
pub fn encoded_size_with(meta: &ImageHeader<'_>, bins: ImageBins<'_>, raw: Option<RawBin<'_>>) -> usize {
    let mut n = off::VARIABLE + meta.set_name.len();
    if let Some(k) = meta.key {
        n += 5 + k.bytes.len();
    }
    for (name, v) in bins.iter() {
        n += 1 + name.len() + particle::encoded_len(v);
    }
    if let Some(r) = raw {
        n += 1 + r.name.len() + r.particle.len();
    }
    padded_len(n)
}

fn push_name(b: &mut Vec<u8>, name: &str) {
    assert!(
        name.len() <= BIN_NAME_MAX,
        "bin names are validated before encoding"
    );
    b.push(name.len() as u8);
    b.extend_from_slice(name.as_bytes());
}

/// Encode and seal with `meta.block_seq`.
#[cfg_attr(not(any(feature = "testing", test)), allow(dead_code))] // tests and tools
pub fn encode(meta: &ImageMeta, bins: &BinList) -> Vec<u8> {
    let mut b = encode_unsealed(&meta.header(), ImageBins::List(bins), None);
    seal(&mut b, meta.block_seq);
    debug_assert_eq!(verify(&b), Some(b.len()), "an encoded image verifies");
    b
}

/// [`encode`] with an optional pre-encoded bin placed at its position, not sealed: the CRC field
/// is zero and the block sequence `meta.block_seq`, for a storage `append`, which seals the image
/// with its block's sequence (one CRC per image written, not two).
pub fn encode_unsealed(meta: &ImageHeader<'_>, bins: ImageBins<'_>, raw: Option<RawBin<'_>>) -> Vec<u8> {
    let bin_count = bins.len() + usize::from(raw.is_some());
    assert!(
        raw.is_none_or(|r| r.pos <= bins.len() && bins.iter().all(|(n, _)| n != r.name)),
        "a raw bin has a position among the bins and a name of its own"
    );
    assert!(
        meta.set_name.len() <= 63,
        "set names are validated before encoding (K-SET-NAME)"
    );
    assert!(meta.generation != 0, "stored generations are 1 … 65535");
    assert!(
        bin_count <= usize::from(u16::MAX),
        "bin count bounded by B-MAX"
    );
    let mut b = Vec::with_capacity(encoded_size_with(meta, bins, raw));
    let flags = (if meta.tombstone { FLAG_TOMBSTONE } else { 0 })
        | (if meta.key.is_some() { FLAG_KEY } else { 0 });
    Writer::append(&mut b)
        .u16(MAGIC)
        .u8(VERSION)
        .u8(flags)
        .zeros(4) // image_len, patched below
        .zeros(4) // crc, patched by seal
        .u32(meta.void_time)
        .u64(meta.block_seq)
        .bytes(&meta.digest.0)
        .u16(meta.generation)
        .u16(bin_count as u16)
        .u64(meta.lut)
        .u8(meta.set_name.len() as u8);
    debug_assert_eq!(b.len(), off::VARIABLE);
    b.extend_from_slice(meta.set_name.as_bytes());
    if let Some(k) = meta.key {
        Writer::append(&mut b)
            .u8(k.type_byte)
            .u32(k.bytes.len() as u32)
            .bytes(&k.bytes);
    }
    for (i, (name, v)) in bins.iter().enumerate() {
        if let Some(r) = raw.filter(|r| r.pos == i) {
            push_name(&mut b, r.name);
            b.extend_from_slice(r.particle);
        }
        push_name(&mut b, name);
        particle::encode(v, &mut b);
    }
    if let Some(r) = raw.filter(|r| r.pos == bins.len()) {
        push_name(&mut b, r.name);
        b.extend_from_slice(r.particle);
    }
    let image_len = b.len() as u32;
    le::put_u32_at(&mut b, off::IMAGE_LEN, image_len);
    b.resize(padded_len(b.len()), 0);
    debug_assert_eq!(
        b.len(),
        encoded_size_with(meta, bins, raw),
        "encoded_size is exact"
    );
    debug_assert!(b.len().is_multiple_of(ALIGN), "a whole image, ready to seal");
    b
}

/// CRC of an image's first `image_len` bytes, skipping the CRC field.
fn crc_of(buf: &[u8], image_len: usize) -> u32 {
    crc32_skipping(&buf[..image_len], off::CRC)
}

/// The block sequence an image was sealed with (no verification).
pub fn block_seq_of(buf: &[u8]) -> Option<u64> {
    le::u64_at(buf, off::BLOCK_SEQ).ok()
}

/// Whether the image at the start of `buf` has a plausible header and a matching CRC; returns its
/// padded length. Bins are not parsed (the CRC covers them).
pub fn verify(buf: &[u8]) -> Option<usize> {
    let n = peek_len(buf)?;
    let image_len = le::u32_at(buf, off::IMAGE_LEN).ok()? as usize;
    (le::u32_at(buf, off::CRC).ok()? == crc_of(buf, image_len)).then_some(n)
}

/// Verify the CRC and decode everything but the bins (cold-start scans need only metadata).
pub fn decode_meta(buf: &[u8]) -> Result<ImageMeta, DecodeError> {
    ImageView::parse(buf).map(|v| v.meta())
}

/// Set the block sequence and recompute the CRC (the storage does this when it places the image).
pub fn seal(buf: &mut [u8], block_seq: u64) {
    assert!(
        buf.len() >= off::VARIABLE && buf.len().is_multiple_of(ALIGN),
        "a whole encoded image"
    );
    le::put_u64_at(buf, off::BLOCK_SEQ, block_seq);
    let image_len = le::u32_at(buf, off::IMAGE_LEN).map_or(usize::MAX, |n| n as usize);
    assert!(image_len <= buf.len(), "image_len within the buffer");
    assert_eq!(
        padded_len(image_len),
        buf.len(),
        "an image is padded_len(image_len) bytes"
    );
    debug_assert!(buf[image_len..].iter().all(|&x| x == 0), "padding is zero");
    let crc = crc_of(buf, image_len);
    le::put_u32_at(buf, off::CRC, crc);
    debug_assert_eq!(verify(buf), Some(buf.len()), "a sealed image verifies");
}

/// Whether `b` starts with an image's magic and version (nothing else checked).
pub fn has_magic(b: &[u8]) -> bool {
    le::u16_at(b, off::MAGIC) == Ok(MAGIC) && b.get(off::VERSION) == Some(&VERSION)
}

/// The padded length an image starting at `buf[0]` claims, if its header is plausible (magic,
/// version, length within `buf`). Used by scans to step from image to image.
pub fn peek_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < off::VARIABLE {
        return None;
    }
    if le::u16_at(buf, off::MAGIC).ok()? != MAGIC || buf[off::VERSION] != VERSION {
        return None;
    }
    let n = le::u32_at(buf, off::IMAGE_LEN).ok()? as usize;
    (n >= off::VARIABLE && padded_len(n) <= buf.len()).then(|| padded_len(n))
}

/// Decode and verify an image occupying the start of `buf` (header and every bin; the checks
/// live in [`ImageView`]).
#[cfg_attr(not(any(feature = "testing", feature = "cli")), allow(dead_code))] // inspect and tests
pub fn decode(buf: &[u8]) -> Result<Image, DecodeError> {
    let v = ImageView::parse(buf)?;
    Ok(Image {
        meta: v.meta(),
        bins: v.bins()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_u32(b: &[u8], at: usize) -> u32 {
        le::u32_at(b, at).expect("field inside the image")
    }
    use crate::record::value::Value;

    fn sample() -> (ImageMeta, BinList) {
        let meta = ImageMeta {
            digest: Digest([9; 20]),
            generation: 7,
            lut: 123_456_789,
            void_time: 99,
            tombstone: false,
            set_name: "demo".into(),
            key: Some(UserKeyBytes {
                type_byte: 3,
                bytes: b"k".to_vec(),
            }),
            block_seq: 0,
        };
        let mut bins = BinList::new();
        bins.push("a", Value::Int(1));
        bins.push("b", Value::from("x"));
        (meta, bins)
    }

    /// Pins the header table of storage-format.md "Record image".
    #[test]
    fn pinned_layout() {
        let (meta, bins) = sample();
        let b = encode(&meta, &bins);
        assert_eq!(b.len() % 16, 0);
        assert_eq!(b.len(), encoded_size(&meta, &bins));
        assert_eq!(&b[0..2], &[0x01, 0xAE]);
        assert_eq!(b[off::VERSION], 1);
        assert_eq!(b[off::FLAGS], FLAG_KEY);
        assert_eq!(read_u32(&b, off::VOID_TIME), 99);
        assert_eq!(&b[off::DIGEST..off::DIGEST + 20], &[9; 20]);
        assert_eq!(u16::from_le_bytes([b[44], b[45]]), 7);
        assert_eq!(u16::from_le_bytes([b[46], b[47]]), 2);
        assert_eq!(b[off::SET_LEN], 4);
        assert_eq!(&b[57..61], b"demo");
        assert_eq!(b[61], 3, "key type byte");
        assert_eq!(off::VARIABLE, 57);
    }

    #[test]
    fn round_trip_and_seal() {
        let (meta, bins) = sample();
        let mut b = encode(&meta, &bins);
        let img = decode(&b).expect("decodes");
        assert_eq!(img.meta, meta);
        assert_eq!(img.bins, bins);
        seal(&mut b, 42);
        assert_eq!(decode(&b).expect("decodes").meta.block_seq, 42);
    }

    #[test]
    fn decode_meta_agrees_with_decode() {
        let (meta, bins) = sample();
        let mut b = encode(&meta, &bins);
        seal(&mut b, 7);
        assert_eq!(decode_meta(&b), Ok(decode(&b).expect("decodes").meta));
        assert_eq!(block_seq_of(&b), Some(7));
        assert_eq!(verify(&b), Some(b.len()));
        b[60] ^= 1;
        assert!(decode_meta(&b).is_err());
    }

    #[test]
    fn every_single_byte_flip_is_rejected() {
        let (meta, bins) = sample();
        let b = encode(&meta, &bins);
        let image_len = read_u32(&b, off::IMAGE_LEN) as usize;
        for i in 0..image_len {
            for bit in 0..8 {
                let mut c = b.clone();
                c[i] ^= 1 << bit;
                assert!(decode(&c).is_err(), "flip at byte {i} bit {bit} accepted");
            }
        }
    }
}
