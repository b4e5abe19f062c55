//! `record_decode`: the decoders of stored bytes (storage-format.md "Record image" and "Particle
//! encoding"). For each input:
//! 1. the raw bytes go into `record_image::decode` and `particle::decode_all`: they must never
//!    panic; an accepted image must carry a CRC32 that matches its bytes (recomputed here, not with
//!    the decoder's code), and its re-encoding must decode to the same image and be a fixpoint
//!    (decoding normalizes unordered maps into key order, so it need not be the input bytes);
//!    likewise for an accepted particle;
//!    the same checks run on the input sealed as an image body (valid magic, version, length and
//!    CRC written over it), so the parser behind the CRC sees arbitrary bytes as well;
//! 2. the same bytes, read as an `arbitrary` structured record (metadata + bins of nested values),
//!    are encoded: `decode(encode(x)) == x` bit-exactly (doubles by bit pattern, order attributes
//!    included), and changing any one byte inside the image (position and XOR mask from the
//!    input) is rejected.
//!
//! 3. the bytes as a write block: header decode (CRC checked with the reference CRC, canonical
//!    re-encode) and the cold-start block scan (accepted images in place, non-overlapping,
//!    decodable, of the block's incarnation), also with a valid header written over the input.
//!
//! 4. an image the borrowed view parses (`ImageView`) is accepted by `RecordRef::of_image` (the
//!    view `Database::get_with` hands out) exactly when its bins decode, and then shows the same
//!    bins, values compared by their encoded bytes.
//!
//! Does not cover: images spanning block boundaries, the device header slots, the index
//! snapshot decoder (the `recovery` target corrupts snapshots end to end).
#![no_main]

use aerolite::record::key::{Digest, UserKeyBytes};
use aerolite::format::image_view::ImageView;
use aerolite::format::particle;
use aerolite::format::record_ref::RecordRef;
use aerolite::format::record_image::{self, ImageMeta};
use aerolite::{BinList, List, ListOrderType, Map, MapOrder, Value};
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;

/// A value as `arbitrary` builds it (bounded depth through `Unstructured`'s size).
#[derive(Arbitrary, Debug)]
enum V {
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
    Blob(Vec<u8>),
    Geo(String),
    List(bool, Vec<V>),
    Map(u8, Vec<(V, V)>),
}

fn value(v: V, depth: usize) -> Value {
    if depth > 8 {
        return Value::Int(0);
    }
    match v {
        V::Bool(b) => Value::Bool(b),
        V::Int(i) => Value::Int(i),
        V::Float(bits) => Value::Float(f64::from_bits(bits)),
        V::Str(s) => Value::String(s),
        V::Blob(b) => Value::Blob(b),
        V::Geo(s) => Value::GeoJSON(s),
        V::List(ordered, items) => {
            let mut items: Vec<Value> = items.into_iter().map(|x| value(x, depth + 1)).collect();
            let order = if ordered {
                items.sort();
                ListOrderType::Ordered
            } else {
                ListOrderType::Unordered
            };
            Value::List(List { order, items })
        }
        V::Map(o, pairs) => {
            let order = match o % 3 {
                0 => MapOrder::Unordered,
                1 => MapOrder::KeyOrdered,
                _ => MapOrder::KeyValueOrdered,
            };
            let mut entries: Vec<(Value, Value)> = Vec::new();
            for (k, v) in pairs {
                let (k, v) = (value(k, depth + 1), value(v, depth + 1));
                // M-KEY-VALID: map keys are integers, strings or bytes.
                let key_ok = matches!(k, Value::Int(_) | Value::String(_) | Value::Blob(_));
                if key_ok && !entries.iter().any(|(ek, _)| *ek == k) {
                    entries.push((k, v));
                }
            }
            // Stored maps are in key order whatever their order attribute (the engine
            // normalizes on write, M-ORDER-SEMANTICS).
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Map(Map { order, entries })
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Rec {
    digest: [u8; 20],
    generation: u16,
    lut: u64,
    void_time: u32,
    tombstone: bool,
    set: String,
    key: Option<(u8, Vec<u8>)>,
    block_seq: u64,
    bins: Vec<(String, V)>,
    flip_at: u32,
    flip_mask: u8,
}

/// CRC32 (IEEE) of the image bytes except the CRC field, computed bitwise from the polynomial so
/// that it does not share code with the decoder.
fn crc32_reference(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn encode_value(v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    particle::encode(v, &mut b);
    b
}

/// Point 4: the in-place view agrees with the owned decode.
fn in_place(data: &[u8]) {
    let Ok(v) = ImageView::parse(data) else {
        return;
    };
    let owned = v.bins();
    let view = RecordRef::of_image(&v);
    assert_eq!(view.is_ok(), owned.is_ok(), "the view and the decode disagree on acceptance");
    if let (Ok(view), Ok(owned)) = (view, owned) {
        let shown = view.to_record().expect("an accepted view's bins decode").bins;
        assert_eq!(shown.len(), owned.len());
        for ((n1, v1), (n2, v2)) in shown.iter().zip(owned.iter()) {
            assert_eq!(n1, n2);
            assert_eq!(encode_value(v1), encode_value(v2));
        }
    }
}

fn raw_bytes(data: &[u8]) {
    in_place(data);
    if let Ok(img) = record_image::decode(data) {
        let image_len = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
        let stored = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
        let covered = [&data[..8], &data[12..image_len]].concat();
        assert_eq!(
            crc32_reference(&covered),
            stored,
            "accepted an image whose CRC does not match"
        );
        // Decoding normalizes (unordered maps come back in key order, cdt.md
        // M-ORDER-SEMANTICS), so the re-encoding is a fixpoint rather than the input bytes.
        let again = record_image::encode(&img.meta, &img.bins);
        let img2 = record_image::decode(&again).expect("a re-encoded image decodes");
        assert_eq!(img2, img);
        assert_eq!(
            record_image::encode(&img2.meta, &img2.bins),
            again,
            "not a fixpoint"
        );
    }
    if let Ok(v) = particle::decode_all(data) {
        let again = encode_value(&v);
        let v2 = particle::decode_all(&again).expect("a re-encoded particle decodes");
        assert_eq!(v2, v);
        assert_eq!(encode_value(&v2), again, "not a fixpoint");
    }
}

/// The input as the body of an image with a valid header and CRC (sealed here with the reference
/// CRC), so that the decoder's parsing of metadata, key and bins sees arbitrary bytes too.
fn sealed(data: &[u8]) {
    if data.len() < record_image::off::VARIABLE {
        return;
    }
    let mut buf = data.to_vec();
    buf[0..2].copy_from_slice(&record_image::MAGIC.to_le_bytes());
    buf[2] = record_image::VERSION;
    buf[4..8].copy_from_slice(&(data.len() as u32).to_le_bytes());
    buf.resize(record_image::padded_len(data.len()), 0);
    let covered = [&buf[..8], &buf[12..data.len()]].concat();
    let crc = crc32_reference(&covered);
    buf[8..12].copy_from_slice(&crc.to_le_bytes());
    raw_bytes(&buf);
}

/// Write-block header and block scan (storage-format.md "Write block", "Scanning rules"): the
/// input as a block (and, sealed here with a valid header, as a block of this device set), scanned
/// as a cold start would: never panics; a header accepted has a matching CRC (reference CRC) and
/// re-encodes to the same bytes; every image the scan accepts lies inside the block after the
/// header, does not overlap the previous one, decodes, and carries the header's block sequence.
fn block(data: &[u8]) {
    use aerolite::storage::cold_start::scan_block;
    use aerolite::format::write_block::{BlockHeader, BlockState, HEADER_LEN};
    let check = |buf: &[u8], id: u32, set: u64| {
        let scan = scan_block(buf, id, set);
        let mut end = HEADER_LEN;
        for &(off, len) in &scan.images {
            let (off, len) = (off as usize, len as usize);
            assert!(
                off >= end && off + len <= buf.len(),
                "image {off}+{len} out of place"
            );
            end = off + len;
            let img = record_image::decode(&buf[off..off + len]).expect("accepted image decodes");
            let h = scan
                .header
                .expect("images only in a block with a valid header");
            assert_eq!(img.meta.block_seq, h.block_seq, "accepted a stale image");
        }
    };
    match BlockHeader::read(data) {
        BlockState::Valid(h) => {
            let covered = &data[..28];
            let stored = u32::from_le_bytes([data[28], data[29], data[30], data[31]]);
            assert_eq!(
                crc32_reference(covered),
                stored,
                "accepted a block header with a bad CRC"
            );
            let mut again = vec![0u8; HEADER_LEN];
            h.write(&mut again);
            assert_eq!(
                &again[..],
                &data[..HEADER_LEN],
                "non-canonical block header accepted"
            );
            check(data, h.block_id, h.device_set_id);
        }
        BlockState::Blank | BlockState::Invalid => check(data, 0, 0),
    }
    if data.len() > HEADER_LEN + 8 {
        let seq = u64::from(data[0]) + 1;
        let mut buf = data.to_vec();
        let h = BlockHeader {
            block_seq: seq,
            device_set_id: 7,
            block_id: 3,
        };
        h.write(&mut buf);
        check(&buf, 3, 7);
    }
}

fn structured(data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let r = Rec::arbitrary(&mut u)?;
    let mut set = r.set;
    while set.len() > 63 || set.contains('\0') {
        set.pop();
    }
    let mut bins = BinList::new();
    if !r.tombstone {
        for (name, v) in r.bins {
            let name: String = name.chars().filter(|c| *c != '\0').take(15).collect();
            if name.len() > 15 || bins.get(&name).is_some() {
                continue;
            }
            bins.push(&name, value(v, 0));
        }
    }
    let meta = ImageMeta {
        digest: Digest(r.digest),
        generation: r.generation.max(1),
        lut: r.lut & ((1 << 40) - 1),
        void_time: if r.tombstone { 0 } else { r.void_time },
        tombstone: r.tombstone,
        set_name: set,
        key: r
            .key
            .map(|(type_byte, bytes)| UserKeyBytes { type_byte, bytes }),
        block_seq: r.block_seq,
    };
    let buf = record_image::encode(&meta, &bins);
    assert_eq!(buf.len(), record_image::encoded_size(&meta, &bins));
    let img = record_image::decode(&buf).expect("a freshly encoded image decodes");
    assert_eq!(img.meta, meta);
    // Bit-exact: re-encoding the decoded bins gives the same bytes (Value's == treats -0.0 as 0.0).
    assert_eq!(record_image::encode(&img.meta, &img.bins), buf);
    for ((n1, v1), (n2, v2)) in img.bins.iter().zip(bins.iter()) {
        assert_eq!(n1, n2);
        assert_eq!(encode_value(v1), encode_value(v2));
    }
    assert_eq!(img.bins.len(), bins.len());
    let image_len = u32::from_le_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
    if r.flip_mask != 0 {
        let at = r.flip_at as usize % image_len;
        let mut bad = buf.clone();
        bad[at] ^= r.flip_mask;
        assert!(
            record_image::decode(&bad).is_err(),
            "a changed byte at {at} (mask {:#x}) was accepted",
            r.flip_mask
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    raw_bytes(data);
    sealed(data);
    block(data);
    let _ = structured(data);
});
