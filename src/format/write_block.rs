//! Write-block header (storage-format.md §"Write block"): the first bytes of every data block,
//! binding the block to its current incarnation (`block_seq`), its device set and its own block
//! number (a misdirected write shows up as a wrong `block_id`).
//!
//! Invariants: a block's images are sealed with the block's `block_seq` (record_image::seal);
//! `decode` never panics; an all-zero header is "never written".

use crate::format::checksum::crc32_skipping;
use crate::format::le::{self, Writer};

/// Header bytes; the first image starts here.
pub const HEADER_LEN: usize = 32;
/// Magic, the ASCII bytes `ALWB`.
pub const MAGIC: [u8; 4] = *b"ALWB";
/// Block header version.
pub const VERSION: u16 = 1;

/// Byte offsets (storage-format.md table "Write-block header").
pub mod off {
    /// `[u8; 4]` magic.
    pub const MAGIC: usize = 0;
    /// u16 version.
    pub const VERSION: usize = 4;
    /// u16 reserved, 0.
    pub const RESERVED: usize = 6;
    /// u64 block sequence.
    pub const BLOCK_SEQ: usize = 8;
    /// u64 device-set id.
    pub const DEVICE_SET_ID: usize = 16;
    /// u32 global block id.
    pub const BLOCK_ID: usize = 24;
    /// u32 CRC32 of bytes `[0, 28)`.
    pub const CRC: usize = 28;
}

/// A decoded block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    /// Incarnation sequence (≥ 1), from the namespace-wide counter.
    pub block_seq: u64,
    /// Device-set id of the namespace.
    pub device_set_id: u64,
    /// Global block id.
    pub block_id: u32,
}

/// Result of decoding the first bytes of a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockState {
    /// A valid header.
    Valid(BlockHeader),
    /// All zero: never written.
    Blank,
    /// Anything else (torn, corrupt, foreign).
    Invalid,
}

impl BlockHeader {
    /// Encode into the first `HEADER_LEN` bytes of `b`.
    pub fn write(&self, b: &mut [u8]) {
        assert!(self.block_seq != 0, "block sequences start at 1");
        let h = &mut b[..HEADER_LEN];
        h.fill(0);
        Writer::place(h, off::MAGIC)
            .bytes(&MAGIC)
            .u16(VERSION)
            .u16(0)
            .u64(self.block_seq)
            .u64(self.device_set_id)
            .u32(self.block_id);
        let crc = crc32_skipping(&h[..off::CRC], off::CRC);
        le::put_u32_at(h, off::CRC, crc);
        debug_assert_eq!(
            BlockHeader::read(b),
            BlockState::Valid(*self),
            "header round-trips"
        );
    }

    /// Whether `b` starts with the header of incarnation `block_seq` of block `block_id` (checked
    /// just before a block is written, and by scans just after it is read).
    pub fn is_incarnation(b: &[u8], block_id: u32, block_seq: u64) -> bool {
        matches!(BlockHeader::read(b), BlockState::Valid(h) if h.block_id == block_id && h.block_seq == block_seq)
    }

    /// Decode the first bytes of a block.
    pub fn read(b: &[u8]) -> BlockState {
        if b.len() < HEADER_LEN {
            return BlockState::Invalid;
        }
        let h = &b[..HEADER_LEN];
        if h.iter().all(|&x| x == 0) {
            return BlockState::Blank;
        }
        match BlockHeader::fields(h) {
            Ok(Some(header)) => BlockState::Valid(header),
            Ok(None) | Err(_) => BlockState::Invalid,
        }
    }

    /// The fields of a non-blank header of `HEADER_LEN` bytes; `None` when the magic, version,
    /// reserved bytes, CRC or block sequence are wrong.
    fn fields(h: &[u8]) -> Result<Option<BlockHeader>, le::DecodeError> {
        let valid = le::Reader::at(h, off::MAGIC).take(MAGIC.len())? == MAGIC
            && le::u16_at(h, off::VERSION)? == VERSION
            && le::u16_at(h, off::RESERVED)? == 0
            && crc32_skipping(&h[..off::CRC], off::CRC) == le::u32_at(h, off::CRC)?;
        let header = BlockHeader {
            block_seq: le::u64_at(h, off::BLOCK_SEQ)?,
            device_set_id: le::u64_at(h, off::DEVICE_SET_ID)?,
            block_id: le::u32_at(h, off::BLOCK_ID)?,
        };
        Ok((valid && header.block_seq != 0).then_some(header))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins storage-format.md table "Write-block header".
    #[test]
    fn pinned_layout_and_round_trip() {
        let h = BlockHeader {
            block_seq: 0x0102_0304_0506_0708,
            device_set_id: 0xAABB,
            block_id: 9,
        };
        let mut b = vec![0u8; 64];
        h.write(&mut b);
        assert_eq!(&b[0..4], b"ALWB");
        assert_eq!(&b[4..6], &[1, 0]);
        assert_eq!(&b[6..8], &[0, 0]);
        assert_eq!(&b[8..16], &0x0102_0304_0506_0708u64.to_le_bytes());
        assert_eq!(&b[16..24], &0xAABBu64.to_le_bytes());
        assert_eq!(&b[24..28], &9u32.to_le_bytes());
        assert_eq!(HEADER_LEN, 32);
        assert_eq!(BlockHeader::read(&b), BlockState::Valid(h));
        assert_eq!(BlockHeader::read(&[0; 32]), BlockState::Blank);
        for i in 0..HEADER_LEN {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert_eq!(BlockHeader::read(&c), BlockState::Invalid, "flip at {i}");
        }
    }
}
