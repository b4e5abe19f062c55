//! A verified, borrowed view of a record image (storage-format.md "Record image"): the header is
//! checked and decoded without allocating, and bins are decoded only as a request needs them —
//! all of them, the named ones, or none (header-only reads, cold-start scans).
//!
//! Invariants:
//! - `parse` succeeds only for an image whose magic, version, length, CRC (over every byte of
//!   `[0, image_len)` but the CRC field), flags, generation, LUT, set name, stored key and
//!   tombstone shape are valid — the same checks as [`record_image::decode_meta`], which is built
//!   on it; bins are covered by the CRC, so a header-only read of a parsed view is verified;
//! - `parse_sealed` makes every check of `parse` but the CRC, for bytes whose CRC their source
//!   already answers for (a store's reads: `crate::storage::Storage::read`); on any input it
//!   returns a view or an error, never panics, and bins still decode only when well formed;
//! - `bins` decodes and validates every particle (no nil, no duplicate names, no trailing
//!   bytes), exactly as [`record_image::decode`], which is built on it;
//! - `named_bins` walks every bin (so structure errors and trailing bytes are still found) but
//!   builds values only for the requested names; it never panics on any input.

use crate::format::le::{self, DecodeError, Reader};
use crate::format::particle::{self, tag};
use crate::format::record_image::{self, off, ImageMeta, FLAG_KEY, FLAG_TOMBSTONE};
use crate::record::bin::{BinList, BIN_NAME_MAX};
use crate::record::key::{Digest, UserKeyBytes, UserKeyRef};
use crate::record::value::Value;

/// A stored user key inside an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRef<'a> {
    /// Key type byte (UserKeyBytes::type_byte).
    pub type_byte: u8,
    /// Key bytes.
    pub bytes: &'a [u8],
}

impl KeyRef<'_> {
    /// Whether this is the key `k`.
    pub fn is(&self, k: &UserKeyBytes) -> bool {
        self.type_byte == k.type_byte && self.bytes == k.bytes.as_slice()
    }

    /// Whether this is the key `k` (borrowed form).
    pub fn is_key(&self, k: &UserKeyRef<'_>) -> bool {
        self.type_byte == k.type_byte && self.bytes == k.bytes()
    }

    /// An owned copy.
    pub fn to_owned(self) -> UserKeyBytes {
        UserKeyBytes {
            type_byte: self.type_byte,
            bytes: self.bytes.to_vec(),
        }
    }
}

/// A bin found by [`ImageView::bins_split`]: its position among the bins and its particle.
pub type SplitBin<'a> = (usize, &'a [u8]);

/// The verified header of an image and its undecoded bins.
#[derive(Debug, Clone, Copy)]
pub struct ImageView<'a> {
    /// Digest.
    pub digest: Digest,
    /// Generation, 1 … 65535.
    pub generation: u16,
    /// Last-update-time (40 bits).
    pub lut: u64,
    /// Void-time.
    pub void_time: u32,
    /// Tombstone flag.
    pub tombstone: bool,
    /// Set name ("" = none).
    pub set_name: &'a str,
    /// Stored user key.
    pub key: Option<KeyRef<'a>>,
    /// Block sequence the image was sealed with.
    pub block_seq: u64,
    /// Number of bins.
    pub bin_count: u16,
    /// The bin bytes, up to `image_len`.
    bins: &'a [u8],
}

impl<'a> ImageView<'a> {
    /// Verify and decode the header of the image at the start of `buf`.
    pub fn parse(buf: &'a [u8]) -> Result<ImageView<'a>, DecodeError> {
        if record_image::verify(buf).is_none() {
            return Err(DecodeError(
                "bad image header (magic, version, length) or CRC mismatch",
            ));
        }
        ImageView::decode_header(buf)
    }

    /// `parse` without the CRC: for the bytes of a store's read, whose CRC the store checked
    /// when it read them from a device (SN-REQ-VERIFY) and which are otherwise the image as the
    /// store sealed it in memory.
    pub fn parse_sealed(buf: &'a [u8]) -> Result<ImageView<'a>, DecodeError> {
        if record_image::peek_len(buf).is_none() {
            return Err(DecodeError("bad image header (magic, version, length)"));
        }
        ImageView::decode_header(buf)
    }

    /// The header fields of an image whose magic, version and length `record_image::peek_len`
    /// (alone or inside `verify`) accepted.
    fn decode_header(buf: &'a [u8]) -> Result<ImageView<'a>, DecodeError> {
        let image_len = le::u32_at(buf, off::IMAGE_LEN)? as usize;
        let img = buf
            .get(..image_len)
            .ok_or(DecodeError("image length past the buffer"))?;
        // The fixed part at constant offsets: one length check for all its fields.
        let h: &[u8; off::VARIABLE] = img
            .first_chunk()
            .ok_or(DecodeError("image shorter than its fixed header"))?;
        let flags = h[off::FLAGS];
        if flags & !(FLAG_TOMBSTONE | FLAG_KEY) != 0 {
            return Err(DecodeError("unknown image flags"));
        }
        let void_time = u32::from_le_bytes(field(h, off::VOID_TIME));
        let block_seq = u64::from_le_bytes(field(h, off::BLOCK_SEQ));
        let digest = Digest(field(h, off::DIGEST));
        let generation = u16::from_le_bytes(field(h, off::GENERATION));
        let bin_count = u16::from_le_bytes(field(h, off::BIN_COUNT));
        let lut = u64::from_le_bytes(field(h, off::LUT));
        if generation == 0 || lut >> 40 != 0 {
            return Err(DecodeError("generation 0 or LUT beyond 40 bits"));
        }
        let mut r = Reader::at(img, off::SET_LEN);
        let set_len = usize::from(r.u8()?);
        if set_len > 63 {
            return Err(DecodeError("set name longer than 63 bytes"));
        }
        let set_name = text(r.take(set_len)?).ok_or(DecodeError("set name not UTF-8"))?;
        let key = if flags & FLAG_KEY != 0 {
            let type_byte = r.u8()?;
            let n = r.u32()? as usize;
            Some(KeyRef {
                type_byte,
                bytes: r.take(n)?,
            })
        } else {
            None
        };
        let tombstone = flags & FLAG_TOMBSTONE != 0;
        if tombstone && (bin_count != 0 || void_time != 0) {
            return Err(DecodeError("tombstone with bins or a void-time"));
        }
        let at = r.position();
        Ok(ImageView {
            digest,
            generation,
            lut,
            void_time,
            tombstone,
            set_name,
            key,
            block_seq,
            bin_count,
            bins: &img[at..],
        })
    }

    /// The owned metadata.
    pub fn meta(&self) -> ImageMeta {
        ImageMeta {
            digest: self.digest,
            generation: self.generation,
            lut: self.lut,
            void_time: self.void_time,
            tombstone: self.tombstone,
            set_name: self.set_name.to_string(),
            key: self.key.map(KeyRef::to_owned),
            block_seq: self.block_seq,
        }
    }

    /// Every bin, decoded and validated.
    pub fn bins(&self) -> Result<BinList, DecodeError> {
        let mut bins = BinList::new();
        // Duplicate check: linear for small records, hashed for large ones (B-MAX is 32767).
        let mut seen = std::collections::HashSet::new();
        let mut r = Reader::new(self.bins);
        for _ in 0..self.bin_count {
            let name = bin_name(&mut r)?;
            let v = particle::decode(&mut r, 0)?;
            let duplicate = if self.bin_count > 16 {
                !seen.insert(name)
            } else {
                bins.get(name).is_some()
            };
            if v.is_nil() || duplicate {
                return Err(DecodeError("nil or duplicate bin"));
            }
            bins.push(name, v);
        }
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes in image"));
        }
        Ok(bins)
    }

    /// Every bin but `name`, decoded and validated as [`ImageView::bins`] does, and where bin
    /// `name` sits: its position among the bins and its particle bytes, stepped over undecoded
    /// when `known_len` (the particle's length, from an offset index of this very image) says
    /// how long it is.
    pub fn bins_split(
        &self,
        name: &str,
        known_len: Option<usize>,
    ) -> Result<(BinList, Option<SplitBin<'a>>), DecodeError> {
        let mut bins = BinList::new();
        let mut split = None;
        let mut seen = std::collections::HashSet::new();
        let mut r = Reader::new(self.bins);
        for i in 0..self.bin_count {
            let n = bin_name(&mut r)?;
            if !seen.insert(n) {
                return Err(DecodeError("nil or duplicate bin"));
            }
            if n == name {
                let start = r.position();
                match known_len {
                    Some(len) => {
                        r.take(len)?;
                    }
                    None => skip_particle(&mut r)?,
                }
                split = Some((usize::from(i), &self.bins[start..r.position()]));
                continue;
            }
            let v = particle::decode(&mut r, 0)?;
            if v.is_nil() {
                return Err(DecodeError("nil or duplicate bin"));
            }
            bins.push(n, v);
        }
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes in image"));
        }
        Ok((bins, split))
    }

    /// The bins among `names` that the record has, in the order of `names` (a name asked twice
    /// is returned once per ask, as `BinList::get` per name would). Other bins are stepped over:
    /// scalar particles by their length, lists and maps by decoding them.
    pub fn named_bins<S: AsRef<str>>(&self, names: &[S]) -> Result<BinList, DecodeError> {
        let mut found: Vec<Option<Value>> = vec![None; names.len()];
        let mut r = Reader::new(self.bins);
        for _ in 0..self.bin_count {
            let name = bin_name(&mut r)?;
            let wanted: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.as_ref() == name)
                .map(|(i, _)| i)
                .collect();
            if wanted.is_empty() {
                skip_particle(&mut r)?;
                continue;
            }
            let v = particle::decode(&mut r, 0)?;
            if v.is_nil() {
                return Err(DecodeError("nil or duplicate bin"));
            }
            for i in wanted {
                if found[i].is_some() {
                    return Err(DecodeError("nil or duplicate bin"));
                }
                found[i] = Some(v.clone());
            }
        }
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes in image"));
        }
        let mut out = BinList::new();
        for (n, v) in names.iter().zip(found) {
            if let Some(v) = v {
                out.push(n.as_ref(), v);
            }
        }
        Ok(out)
    }

    /// Every bin's name and undecoded particle bytes, in stored order, after the checks of
    /// [`ImageView::bins`]: every particle valid, no nil, no duplicate name, no trailing bytes.
    /// Allocates nothing for up to [`BinSlices::INLINE`] bins.
    pub fn bin_slices(&self) -> Result<BinSlices<'a>, DecodeError> {
        let mut out = BinSlices {
            bins: self.bins,
            ..BinSlices::default()
        };
        // Only images of more bins than `BinSlices::INLINE` need the set (and its hasher's seed).
        let mut seen = (usize::from(self.bin_count) > BinSlices::INLINE)
            .then(std::collections::HashSet::new);
        let mut r = Reader::new(self.bins);
        for _ in 0..self.bin_count {
            let at = r.position();
            let name = bin_name(&mut r)?;
            skip_particle(&mut r)?;
            let duplicate = match seen.as_mut() {
                Some(seen) => !seen.insert(name),
                None => out.get(name).is_some(),
            };
            if duplicate {
                return Err(DecodeError("nil or duplicate bin"));
            }
            // An image is shorter than 4 GiB (its length field is a u32).
            out.push(at as u32);
        }
        if r.remaining() != 0 {
            return Err(DecodeError("trailing bytes in image"));
        }
        Ok(out)
    }
}

/// The bins of an image as `(name, particle bytes)`, from [`ImageView::bin_slices`]: where each
/// bin starts in the image's bin bytes (its name's length byte; its particle ends where the next
/// bin starts), the first [`BinSlices::INLINE`] held inline, the rest in a vector.
#[derive(Debug, Clone, Default)]
pub struct BinSlices<'a> {
    bins: &'a [u8],
    inline: [u32; BinSlices::INLINE],
    len: usize,
    more: Vec<u32>,
}

impl<'a> BinSlices<'a> {
    /// Bins held without allocating.
    pub const INLINE: usize = 8;

    fn push(&mut self, at: u32) {
        if self.len < Self::INLINE {
            self.inline[self.len] = at;
            self.len += 1;
        } else {
            self.more.push(at);
        }
    }

    fn start(&self, i: usize) -> usize {
        match i.checked_sub(Self::INLINE) {
            None if i < self.len => self.inline[i] as usize,
            Some(j) if j < self.more.len() => self.more[j] as usize,
            _ => self.bins.len(),
        }
    }

    /// Bin `i`'s name and particle; the offsets were checked by `bin_slices`.
    fn bin(&self, i: usize) -> (&'a str, &'a [u8]) {
        let (name, particle) = self.raw_bin(i);
        (text(name).unwrap_or_default(), particle)
    }

    /// Bin `i`'s name bytes and particle bytes, the name not decoded.
    fn raw_bin(&self, i: usize) -> (&'a [u8], &'a [u8]) {
        let (at, end) = (self.start(i), self.start(i + 1));
        let bins: &'a [u8] = self.bins;
        let n = usize::from(bins[at]);
        (&bins[at + 1..at + 1 + n], &bins[at + 1 + n..end])
    }

    /// Every bin, in stored order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a [u8])> + '_ {
        (0..self.len()).map(|i| self.bin(i))
    }

    /// The particle bytes of bin `name` (names compared as bytes, none decoded).
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        (0..self.len())
            .map(|i| self.raw_bin(i))
            .find_map(|(n, particle)| (n == name.as_bytes()).then_some(particle))
    }

    /// Number of bins.
    pub fn len(&self) -> usize {
        self.len + self.more.len()
    }

    /// Whether there are no bins.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `N` bytes of the fixed header at `at` (a constant offset: the bounds are known).
fn field<const N: usize>(h: &[u8; off::VARIABLE], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&h[at..at + N]);
    out
}

fn bin_name<'a>(r: &mut Reader<'a>) -> Result<&'a str, DecodeError> {
    let n = usize::from(r.u8()?);
    if n > BIN_NAME_MAX {
        return Err(DecodeError("bin name too long"));
    }
    text(r.take(n)?).ok_or(DecodeError("bin name not UTF-8"))
}

/// `bytes` as text when they are UTF-8. Set and bin names are nearly always ASCII, which
/// `is_ascii` checks a word at a time; `str::from_utf8`'s general path cost ~120 instructions
/// per read for a 9-byte set name (callgrind, BENCHMARKS.md "Session 12"). Any other bytes go
/// through `str::from_utf8`, so the answer is the same for every input.
fn text(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: every byte is below 0x80, and ASCII bytes are valid UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// Step over one particle without building it when its length is in its header.
fn skip_particle(r: &mut Reader<'_>) -> Result<(), DecodeError> {
    match r.peek() {
        Some(tag::INT | tag::FLOAT) => {
            r.take(9)?;
        }
        Some(tag::BOOL) => {
            r.take(1)?;
            if r.u8()? > 1 {
                return Err(DecodeError("bad bool byte"));
            }
        }
        Some(t @ (tag::STRING | tag::GEOJSON | tag::BLOB)) => {
            r.take(1)?;
            let n = r.u32()? as usize;
            let s = r.take(n)?;
            if t != tag::BLOB && text(s).is_none() {
                return Err(DecodeError("string not UTF-8"));
            }
        }
        Some(tag::NIL) => return Err(DecodeError("nil or duplicate bin")),
        _ => {
            particle::decode(r, 0)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::value::Value;

    #[test]
    fn text_agrees_with_from_utf8_on_every_kind_of_input() {
        let mut inputs: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"usertable".to_vec(),
            "héllo wörld".as_bytes().to_vec(),
            vec![0xff],
            vec![b'a', 0xc3],
            vec![0xed, 0xa0, 0x80], // a surrogate: not UTF-8
            vec![0x7f; 17],
        ];
        for b in 0..=255u8 {
            inputs.push(vec![b'x', b, b'y', b'z', b'x', b'x', b'x', b'x', b]);
        }
        for bytes in &inputs {
            assert_eq!(text(bytes), std::str::from_utf8(bytes).ok(), "{bytes:?}");
        }
    }

    fn image() -> Vec<u8> {
        let meta = ImageMeta {
            digest: Digest([3; 20]),
            generation: 4,
            lut: 77,
            void_time: 5,
            tombstone: false,
            set_name: "s".into(),
            key: Some(UserKeyBytes {
                type_byte: 3,
                bytes: b"key".to_vec(),
            }),
            block_seq: 9,
        };
        let mut bins = BinList::new();
        bins.push("i", Value::Int(-1));
        bins.push("f", Value::Float(0.5));
        bins.push("s", Value::from("text"));
        bins.push("b", Value::Blob(vec![1, 2, 3]));
        bins.push("t", Value::Bool(true));
        bins.push("l", Value::list(vec![Value::Int(1), Value::from("x")]));
        record_image::encode(&meta, &bins)
    }

    #[test]
    fn view_agrees_with_full_decode() {
        let b = image();
        let full = record_image::decode(&b).expect("decodes");
        let v = ImageView::parse(&b).expect("parses");
        assert_eq!(v.meta(), full.meta);
        assert_eq!(v.bins().expect("bins"), full.bins);
        for names in [
            vec!["i"],
            vec!["l", "t"],
            vec!["nope"],
            vec!["b", "b"],
            vec!["s", "f", "i", "l", "t", "b"],
        ] {
            let mut want = BinList::new();
            for n in &names {
                if let Some(x) = full.bins.get(n) {
                    want.push(n, x.clone());
                }
            }
            assert_eq!(v.named_bins(&names).expect("named"), want, "{names:?}");
        }
    }

    /// The bins `bin_slices` finds, each decoded borrowed and made owned.
    fn slices_as_bins(v: &ImageView<'_>) -> Result<BinList, DecodeError> {
        let mut out = BinList::new();
        for (name, p) in v.bin_slices()?.iter() {
            out.push(name, particle::decode_ref(&mut Reader::new(p))?.to_value());
        }
        Ok(out)
    }

    #[test]
    fn bin_slices_agree_with_bins_beyond_the_inline_ones() {
        let b = image();
        let v = ImageView::parse(&b).expect("parses");
        assert_eq!(slices_as_bins(&v), v.bins());
        let mut many = BinList::new();
        for i in 0..BinSlices::INLINE as i64 + 3 {
            many.push(&format!("b{i}"), Value::Int(i));
        }
        let meta = record_image::decode(&b).expect("decodes").meta;
        let c = record_image::encode(&meta, &many);
        let v = ImageView::parse(&c).expect("parses");
        assert_eq!(slices_as_bins(&v), Ok(many));
        assert_eq!(v.bin_slices().expect("slices").get("b10").map(<[u8]>::len), Some(9));
    }

    #[test]
    fn every_single_byte_flip_is_rejected_by_parse() {
        let b = image();
        let image_len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        for i in 0..image_len {
            for bit in 0..8 {
                let mut c = b.clone();
                c[i] ^= 1 << bit;
                assert!(ImageView::parse(&c).is_err(), "flip at {i}.{bit} accepted");
            }
        }
    }

    /// `parse_sealed` skips only the CRC: it reads an image whose bins were changed after
    /// sealing as `parse` reads the sealed one (same header), refuses what `parse` refuses for
    /// the header (bad magic, version, length), and on any damage returns, never panics.
    #[test]
    fn parse_sealed_checks_all_but_the_crc() {
        let b = image();
        let image_len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        let mut unsealed = b.clone();
        unsealed[image_len - 1] ^= 0x01;
        assert!(ImageView::parse(&unsealed).is_err(), "parse checks the CRC");
        let (a, z) = (
            ImageView::parse(&b).expect("sealed"),
            ImageView::parse_sealed(&unsealed).expect("CRC not checked"),
        );
        assert_eq!((a.meta(), a.bin_count), (z.meta(), z.bin_count));
        for at in [0, 1, 2, 4, 5, 6, 7] {
            let mut c = b.clone();
            c[at] ^= 0x40;
            assert!(ImageView::parse_sealed(&c).is_err(), "header byte {at}");
        }
        for i in 0..image_len {
            let mut c = b.clone();
            c[i] ^= 0xff;
            if let Ok(v) = ImageView::parse_sealed(&c) {
                let _ = (v.bins(), slices_as_bins(&v));
            }
        }
        assert!(ImageView::parse_sealed(&b[..off::VARIABLE - 1]).is_err());
    }

    /// Images whose CRC is recomputed after damage (a bug, not a device error; `i` makes a
    /// duplicate bin name) never panic, and
    /// where the whole image decodes, the named subset agrees with it.
    #[test]
    fn resealed_damage_never_panics() {
        let b = image();
        let image_len = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
        for i in off::VARIABLE..image_len {
            for x in [0u8, 0xff, 0x80, 1, b'i'] {
                let mut c = b.clone();
                c[i] = x;
                record_image::seal(&mut c, 9);
                let Ok(v) = ImageView::parse(&c) else {
                    continue;
                };
                assert_eq!(
                    slices_as_bins(&v).ok(),
                    v.bins().ok(),
                    "bin_slices and bins accept the same images (byte {i} = {x})"
                );
                if let Ok(all) = v.bins() {
                    let names = ["i", "l", "zz"];
                    let mut want = BinList::new();
                    for n in names {
                        if let Some(x) = all.get(n) {
                            want.push(n, x.clone());
                        }
                    }
                    assert_eq!(v.named_bins(&names), Ok(want), "byte {i} = {x}");
                }
            }
        }
    }
}
