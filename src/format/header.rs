//! Device header (storage-format.md §"Device header"): two slots at the start of every device;
//! the valid slot with the greater `header_seq` is current. Rewrites alternate slots, so a torn
//! header write never destroys the previous header.
//!
//! Invariants: `encode` then `decode` is the identity; `decode` never panics and rejects a bad
//! magic, an unknown version or a CRC mismatch; a slot of all zeros is "never written".

use crate::format::checksum::crc32_skipping;
use crate::format::le::{self, put_u16_at, put_u32_at, put_u64_at, DecodeError, Reader};

/// Bytes per slot (one 4 KiB unit, so each slot write is one aligned I/O).
pub const SLOT_SIZE: usize = 4096;
/// Number of slots.
pub const SLOTS: usize = 2;
/// Bytes of the fixed fields (version 1: all the CRC covers; the rest of the slot is zero).
pub const HEADER_LEN: usize = 96;
/// Version 2: offset of the truncate table (u16 count, u16 bytes, then the entries).
pub const TRUNC_OFF: usize = 96;
/// Version 2: offset of the first truncate entry.
pub const TRUNC_ENTRIES: usize = 100;
/// Most bytes of truncate entries a slot holds.
pub const TRUNC_BYTES_MAX: usize = SLOT_SIZE - TRUNC_ENTRIES;
/// Magic, the ASCII bytes `AEROLITE`.
pub const MAGIC: [u8; 8] = *b"AEROLITE";
/// Format version written (2: with the truncate table); version 1 is still read.
pub const FORMAT_VERSION: u32 = 2;
/// Flag: the devices were shut down cleanly and an index snapshot matching `instance_id` exists.
pub const FLAG_CLEAN: u32 = 1;
/// Flag: the namespace ran with `commit_to_device`.
pub const FLAG_COMMIT_TO_DEVICE: u32 = 2;

/// Byte offsets (storage-format.md table "Device header slot").
pub mod off {
    /// `[u8; 8]` magic.
    pub const MAGIC: usize = 0;
    /// u32 format version.
    pub const VERSION: usize = 8;
    /// u32 CRC32.
    pub const CRC: usize = 12;
    /// u64 slot write counter.
    pub const HEADER_SEQ: usize = 16;
    /// u32 flags.
    pub const FLAGS: usize = 24;
    /// u32 write-block size.
    pub const BLOCK_SIZE: usize = 28;
    /// u64 device-set id.
    pub const DEVICE_SET_ID: usize = 32;
    /// u64 instance id.
    pub const INSTANCE_ID: usize = 40;
    /// u16 device index.
    pub const DEVICE_INDEX: usize = 48;
    /// u16 device count.
    pub const DEVICE_COUNT: usize = 50;
    /// u32 data blocks on this device.
    pub const BLOCK_COUNT: usize = 52;
    /// u64 block-sequence high-water mark.
    pub const SEQ_HIGH: usize = 56;
    /// u8 namespace name length.
    pub const NS_LEN: usize = 64;
    /// 31 bytes namespace name, zero padded.
    pub const NS_NAME: usize = 65;
}

/// A decoded header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceHeader {
    /// Slot write counter (greater is newer).
    pub header_seq: u64,
    /// `FLAG_*`.
    pub flags: u32,
    /// Write-block size in bytes.
    pub block_size: u32,
    /// Random id shared by the devices of one namespace, fixed at format time.
    pub device_set_id: u64,
    /// Random id of the session that last opened the devices (matches the snapshot when clean).
    pub instance_id: u64,
    /// This device's index in the set.
    pub device_index: u16,
    /// Devices in the set.
    pub device_count: u16,
    /// Data blocks on this device.
    pub block_count: u32,
    /// Highest block sequence assigned (exact when clean).
    pub seq_high: u64,
    /// Namespace name (≤ 31 bytes).
    pub namespace: String,
    /// Truncate cut-offs (TRUNC-PERSIST-1): set name ("" = namespace), LUT ms since 2010.
    pub truncations: Vec<(String, u64)>,
}

/// Bytes the truncate entries of `table` take (8-byte cut-off, 1-byte name length, name).
pub fn truncations_len(table: &[(String, u64)]) -> usize {
    table.iter().map(|(n, _)| 9 + n.len()).sum()
}

/// Why a slot did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotError {
    /// All zero: never written.
    Blank,
    /// Not an aerolite header (other magic).
    Foreign,
    /// aerolite header of a version this build does not know.
    UnknownVersion(u32),
    /// Magic right, checksum wrong (torn or corrupt).
    Corrupt,
}

impl From<DecodeError> for SlotError {
    fn from(_: DecodeError) -> SlotError {
        SlotError::Corrupt
    }
}

impl DeviceHeader {
    /// Whether `FLAG_CLEAN` is set.
    pub fn is_clean(&self) -> bool {
        self.flags & FLAG_CLEAN != 0
    }

    /// The slot this header is written to (alternating by `header_seq`).
    pub fn slot(&self) -> usize {
        (self.header_seq % SLOTS as u64) as usize
    }

    /// Encode one slot of `SLOT_SIZE` bytes.
    pub fn encode(&self) -> Vec<u8> {
        assert!(self.namespace.len() <= 31, "namespace names are ≤ 31 bytes");
        let mut b = vec![0u8; SLOT_SIZE];
        b[off::MAGIC..off::MAGIC + 8].copy_from_slice(&MAGIC);
        put_u32_at(&mut b, off::VERSION, FORMAT_VERSION);
        put_u64_at(&mut b, off::HEADER_SEQ, self.header_seq);
        put_u32_at(&mut b, off::FLAGS, self.flags);
        put_u32_at(&mut b, off::BLOCK_SIZE, self.block_size);
        put_u64_at(&mut b, off::DEVICE_SET_ID, self.device_set_id);
        put_u64_at(&mut b, off::INSTANCE_ID, self.instance_id);
        put_u16_at(&mut b, off::DEVICE_INDEX, self.device_index);
        put_u16_at(&mut b, off::DEVICE_COUNT, self.device_count);
        put_u32_at(&mut b, off::BLOCK_COUNT, self.block_count);
        put_u64_at(&mut b, off::SEQ_HIGH, self.seq_high);
        b[off::NS_LEN] = self.namespace.len() as u8;
        b[off::NS_NAME..off::NS_NAME + self.namespace.len()]
            .copy_from_slice(self.namespace.as_bytes());
        let len = truncations_len(&self.truncations);
        assert!(
            len <= TRUNC_BYTES_MAX,
            "truncate table checked by the caller"
        );
        put_u16_at(&mut b, TRUNC_OFF, self.truncations.len() as u16);
        put_u16_at(&mut b, TRUNC_OFF + 2, len as u16);
        let mut w = le::Writer::place(&mut b, TRUNC_ENTRIES);
        for (name, cut) in &self.truncations {
            assert!(name.len() <= 63, "set names are ≤ 63 bytes");
            w.u64(*cut).u8(name.len() as u8).bytes(name.as_bytes());
        }
        let crc = crc32_skipping(&b[..TRUNC_ENTRIES + len], off::CRC);
        put_u32_at(&mut b, off::CRC, crc);
        debug_assert!(
            DeviceHeader::decode(&b).as_ref() == Ok(self),
            "encode then decode is the identity"
        );
        b
    }

    /// Decode one slot.
    pub fn decode(b: &[u8]) -> Result<DeviceHeader, SlotError> {
        if b.len() < HEADER_LEN {
            return Err(SlotError::Corrupt);
        }
        if b[..HEADER_LEN].iter().all(|&x| x == 0) {
            return Err(SlotError::Blank);
        }
        if b[off::MAGIC..off::MAGIC + 8] != MAGIC {
            return Err(SlotError::Foreign);
        }
        let version = le::u32_at(b, off::VERSION)?;
        let covered = match version {
            1 => HEADER_LEN,
            2 if b.len() >= TRUNC_ENTRIES => {
                let len = usize::from(le::u16_at(b, TRUNC_OFF + 2)?);
                if len > TRUNC_BYTES_MAX || TRUNC_ENTRIES + len > b.len() {
                    return Err(SlotError::Corrupt);
                }
                TRUNC_ENTRIES + len
            }
            2 => return Err(SlotError::Corrupt),
            v => return Err(SlotError::UnknownVersion(v)),
        };
        if crc32_skipping(&b[..covered], off::CRC) != le::u32_at(b, off::CRC)? {
            return Err(SlotError::Corrupt);
        }
        let truncations = if version == 1 {
            Vec::new()
        } else {
            decode_truncations(&b[TRUNC_OFF..covered]).ok_or(SlotError::Corrupt)?
        };
        let ns_len = usize::from(b[off::NS_LEN]);
        if ns_len > 31 {
            return Err(SlotError::Corrupt);
        }
        let namespace = String::from_utf8(b[off::NS_NAME..off::NS_NAME + ns_len].to_vec())
            .map_err(|_| SlotError::Corrupt)?;
        Ok(DeviceHeader {
            header_seq: le::u64_at(b, off::HEADER_SEQ)?,
            flags: le::u32_at(b, off::FLAGS)?,
            block_size: le::u32_at(b, off::BLOCK_SIZE)?,
            device_set_id: le::u64_at(b, off::DEVICE_SET_ID)?,
            instance_id: le::u64_at(b, off::INSTANCE_ID)?,
            device_index: le::u16_at(b, off::DEVICE_INDEX)?,
            device_count: le::u16_at(b, off::DEVICE_COUNT)?,
            block_count: le::u32_at(b, off::BLOCK_COUNT)?,
            seq_high: le::u64_at(b, off::SEQ_HIGH)?,
            namespace,
            truncations,
        })
    }

    /// The current header of a device given both slots: the valid one with the greater
    /// `header_seq`; `Err` with the "worst" reason when neither is valid.
    pub fn pick(slots: [&[u8]; SLOTS]) -> Result<DeviceHeader, SlotError> {
        let a = DeviceHeader::decode(slots[0]);
        let b = DeviceHeader::decode(slots[1]);
        match (a, b) {
            (Ok(x), Ok(y)) => Ok(if y.header_seq > x.header_seq { y } else { x }),
            (Ok(x), Err(_)) | (Err(_), Ok(x)) => Ok(x),
            (Err(e @ SlotError::UnknownVersion(_)), _)
            | (_, Err(e @ SlotError::UnknownVersion(_))) => Err(e),
            (Err(SlotError::Foreign), _) | (_, Err(SlotError::Foreign)) => Err(SlotError::Foreign),
            (Err(SlotError::Corrupt), _) | (_, Err(SlotError::Corrupt)) => Err(SlotError::Corrupt),
            (Err(SlotError::Blank), Err(SlotError::Blank)) => Err(SlotError::Blank),
        }
    }
}

/// The truncate table of a version-2 slot (`area` starts at `TRUNC_OFF`); `None` when the
/// count and the entries disagree or a name is not UTF-8.
fn decode_truncations(area: &[u8]) -> Option<Vec<(String, u64)>> {
    let count = usize::from(le::u16_at(area, 0).ok()?);
    let mut r = Reader::new(area.get(TRUNC_ENTRIES - TRUNC_OFF..)?);
    let mut out = Vec::with_capacity(count);
    while r.remaining() > 0 {
        let cut = r.u64().ok()?;
        let n = usize::from(r.u8().ok()?);
        let name = std::str::from_utf8(r.take(n).ok()?).ok()?;
        if n > 63 {
            return None;
        }
        out.push((name.to_string(), cut));
    }
    (out.len() == count).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le32(b: &[u8], at: usize) -> u32 {
        le::u32_at(b, at).expect("field inside the slot")
    }

    fn le64(b: &[u8], at: usize) -> u64 {
        le::u64_at(b, at).expect("field inside the slot")
    }

    fn sample() -> DeviceHeader {
        DeviceHeader {
            header_seq: 5,
            flags: FLAG_CLEAN,
            block_size: 1 << 20,
            device_set_id: 0x1122_3344_5566_7788,
            instance_id: 0x99,
            device_index: 1,
            device_count: 2,
            block_count: 1023,
            seq_high: 77,
            namespace: "test".into(),
            truncations: Vec::new(),
        }
    }

    /// Pins storage-format.md table "Device header slot".
    #[test]
    fn pinned_layout() {
        let b = sample().encode();
        assert_eq!(b.len(), SLOT_SIZE);
        assert_eq!(&b[0..8], b"AEROLITE");
        assert_eq!(le32(&b, 8), 2);
        assert_eq!(le64(&b, 16), 5);
        assert_eq!(le32(&b, 24), 1);
        assert_eq!(le32(&b, 28), 1 << 20);
        assert_eq!(le64(&b, 32), 0x1122_3344_5566_7788);
        assert_eq!(le64(&b, 40), 0x99);
        assert_eq!(u16::from_le_bytes([b[48], b[49]]), 1);
        assert_eq!(u16::from_le_bytes([b[50], b[51]]), 2);
        assert_eq!(le32(&b, 52), 1023);
        assert_eq!(le64(&b, 56), 77);
        assert_eq!(b[64], 4);
        assert_eq!(&b[65..69], b"test");
        assert!(b[HEADER_LEN..].iter().all(|&x| x == 0));
        assert_eq!(HEADER_LEN, 96);
    }

    /// Pins storage-format.md table "Device header truncate table" (TRUNC-PERSIST-1).
    #[test]
    fn pinned_truncate_table() {
        let mut h = sample();
        h.truncations = vec![(String::new(), 0x01_0203_0405), ("users".into(), 7)];
        let b = h.encode();
        assert_eq!(u16::from_le_bytes([b[96], b[97]]), 2);
        assert_eq!(u16::from_le_bytes([b[98], b[99]]), 9 + 14);
        assert_eq!(le64(&b, 100), 0x01_0203_0405);
        assert_eq!(b[108], 0);
        assert_eq!(le64(&b, 109), 7);
        assert_eq!(b[117], 5);
        assert_eq!(&b[118..123], b"users");
        assert!(b[123..].iter().all(|&x| x == 0));
        let crc = crc32_skipping(&b[..123], off::CRC);
        assert_eq!(le32(&b, 12), crc);
        assert_eq!(DeviceHeader::decode(&b), Ok(h.clone()));
        let mut c = b.clone();
        c[120] ^= 1;
        assert_eq!(DeviceHeader::decode(&c), Err(SlotError::Corrupt));
        let mut over = b.clone();
        over[98..100].copy_from_slice(&(TRUNC_BYTES_MAX as u16 + 1).to_le_bytes());
        assert_eq!(DeviceHeader::decode(&over), Err(SlotError::Corrupt));
    }

    /// A version-1 slot (no truncate table, CRC over 96 bytes) still decodes.
    #[test]
    fn version_1_slot_decodes_without_truncations() {
        let h = sample();
        let mut b = h.encode();
        b[8..12].copy_from_slice(&1u32.to_le_bytes());
        b[96..100].fill(0);
        let crc = crc32_skipping(&b[..HEADER_LEN], off::CRC);
        b[12..16].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(DeviceHeader::decode(&b), Ok(h));
    }

    #[test]
    fn round_trip_and_rejections() {
        let h = sample();
        let b = h.encode();
        assert_eq!(DeviceHeader::decode(&b), Ok(h.clone()));
        assert_eq!(DeviceHeader::decode(&[0; SLOT_SIZE]), Err(SlotError::Blank));
        let mut c = b.clone();
        c[70] ^= 1;
        assert_eq!(DeviceHeader::decode(&c), Err(SlotError::Corrupt));
        let mut f = b.clone();
        f[0] = b'X';
        assert_eq!(DeviceHeader::decode(&f), Err(SlotError::Foreign));
        let mut v = h.clone();
        v.header_seq = 6;
        let newer = v.encode();
        assert_eq!(
            DeviceHeader::pick([&b, &newer]).map(|x| x.header_seq),
            Ok(6)
        );
        assert_eq!(DeviceHeader::pick([&b, &c]).map(|x| x.header_seq), Ok(5));
    }
}
