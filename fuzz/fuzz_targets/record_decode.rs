//! `record_decode`: the decoders of stored bytes (storage-format.md "Record image" and "Particle
//! encoding"). For each input:
//! 1. the raw bytes go into `record_image::decode` and `particle::decode_all`: they must never
//!    panic; an accepted image must carry a CRC32 that matches its bytes (recomputed here, not with
//!    the decoder's code) and must re-encode to exactly the same bytes (the encoding is canonical,
//!    so no two byte strings decode to the same image); an accepted particle likewise re-encodes to
//!    the input;
//!    the same checks run on the input sealed as an image body (valid magic, version, length and
//!    CRC written over it), so the parser behind the CRC sees arbitrary bytes as well;
//! 2. the same bytes, read as an `arbitrary` structured record (metadata + bins of nested values),
//!    are encoded: `decode(encode(x)) == x` bit-exactly (doubles by bit pattern, order attributes
//!    included), and changing any one byte inside the image (position and XOR mask from the
//!    input) is rejected.
//!
//! Does not cover: the write-block decoder and block headers (added once the device backend's
//! block format lands), images spanning block boundaries, the index snapshot.
#![no_main]

use aerolite::record::key::{Digest, UserKeyBytes};
use aerolite::record::particle;
use aerolite::storage::record_image::{self, ImageMeta};
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
                if !entries.iter().any(|(ek, _)| *ek == k) {
                    entries.push((k, v));
                }
            }
            if order != MapOrder::Unordered {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
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

fn raw_bytes(data: &[u8]) {
    if let Ok(img) = record_image::decode(data) {
        let image_len = u32::from_le_bytes([data[4], data[5], data[6], data[7]]) as usize;
        let stored = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
        let covered = [&data[..8], &data[12..image_len]].concat();
        assert_eq!(
            crc32_reference(&covered),
            stored,
            "accepted an image whose CRC does not match"
        );
        let again = record_image::encode(&img.meta, &img.bins);
        assert_eq!(
            &again[..image_len],
            &data[..image_len],
            "non-canonical image accepted"
        );
        assert_eq!(record_image::decode(&again).as_ref().ok(), Some(&img));
    }
    if let Ok(v) = particle::decode_all(data) {
        assert_eq!(encode_value(&v), data, "non-canonical particle accepted");
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
    let _ = structured(data);
});
