//! Cold-start scanning of one write block (storage-format.md §"Write block", §"Scanning rules"):
//! which images of a block a restart may index.
//!
//! Rules, in order: a block whose header is blank, invalid, of another device set or of another
//! block id contributes nothing; inside a valid block the scan walks 16-byte units from the end of
//! the header; at a unit that starts a CRC-valid image it accepts the image when its `block_seq`
//! equals the header's (otherwise it is *stale*, left from an earlier incarnation) and jumps over
//! it; a unit with image magic that fails verification is *corrupt*; other non-zero units not
//! inside a verified image are *unparsed* (counted once per run). Nothing here panics on any input.

use crate::storage::record_image::{self, ALIGN};
use crate::storage::write_block::{BlockHeader, BlockState, HEADER_LEN};

/// What scanning one block found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockScan {
    /// The block's valid header, if it has one for this block and device set.
    pub header: Option<BlockHeader>,
    /// Accepted images: (offset in block, padded length).
    pub images: Vec<(u32, u32)>,
    /// Counters.
    pub counts: ScanCounts,
}

/// Counters of a scan (summed over blocks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanCounts {
    /// Blocks read.
    pub blocks: u64,
    /// Blocks never written.
    pub blank_blocks: u64,
    /// Blocks whose header is invalid or belongs elsewhere.
    pub invalid_blocks: u64,
    /// Images accepted.
    pub accepted: u64,
    /// CRC-valid images of an earlier incarnation (RS-STALE-REUSED).
    pub stale: u64,
    /// Positions with image magic that failed verification.
    pub corrupt: u64,
    /// Runs of non-zero bytes that belong to no verified image.
    pub unparsed: u64,
}

impl ScanCounts {
    /// Add another scan's counters.
    pub fn add(&mut self, o: &ScanCounts) {
        self.blocks += o.blocks;
        self.blank_blocks += o.blank_blocks;
        self.invalid_blocks += o.invalid_blocks;
        self.accepted += o.accepted;
        self.stale += o.stale;
        self.corrupt += o.corrupt;
        self.unparsed += o.unparsed;
    }
}

fn has_magic(b: &[u8]) -> bool {
    b.len() >= 3
        && u16::from_le_bytes([b[0], b[1]]) == record_image::MAGIC
        && b[2] == record_image::VERSION
}

/// Scan a whole block image (`buf` is the block, `buf.len()` its size).
pub fn scan_block(buf: &[u8], block_id: u32, device_set_id: u64) -> BlockScan {
    let mut out = BlockScan::default();
    out.counts.blocks = 1;
    let header = match BlockHeader::read(buf) {
        BlockState::Blank => {
            out.counts.blank_blocks = 1;
            return out;
        }
        BlockState::Invalid => {
            out.counts.invalid_blocks = 1;
            return out;
        }
        BlockState::Valid(h) if h.block_id != block_id || h.device_set_id != device_set_id => {
            out.counts.invalid_blocks = 1;
            return out;
        }
        BlockState::Valid(h) => h,
    };
    out.header = Some(header);
    let mut pos = HEADER_LEN;
    let mut in_garbage = false;
    while pos + ALIGN <= buf.len() {
        let rest = &buf[pos..];
        if has_magic(rest) {
            if let Some(n) = record_image::verify(rest) {
                if record_image::block_seq_of(rest) == Some(header.block_seq) {
                    out.images.push((pos as u32, n as u32));
                    out.counts.accepted += 1;
                } else {
                    out.counts.stale += 1;
                }
                in_garbage = false;
                pos += n;
                continue;
            }
            out.counts.corrupt += 1;
            in_garbage = true;
        } else if rest[..ALIGN].iter().any(|&x| x != 0) {
            if !in_garbage {
                out.counts.unparsed += 1;
            }
            in_garbage = true;
        } else {
            in_garbage = false;
        }
        pos += ALIGN;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::bin::BinList;
    use crate::record::key::Digest;
    use crate::record::value::Value;
    use crate::storage::record_image::ImageMeta;

    fn image(d: u8, seq: u64) -> Vec<u8> {
        let meta = ImageMeta {
            digest: Digest([d; 20]),
            generation: 1,
            lut: 5,
            void_time: 0,
            tombstone: false,
            set_name: String::new(),
            key: None,
            block_seq: seq,
        };
        let mut bins = BinList::new();
        bins.push("v", Value::Int(i64::from(d)));
        record_image::encode(&meta, &bins)
    }

    fn block(seq: u64, images: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        BlockHeader {
            block_seq: seq,
            device_set_id: 1,
            block_id: 3,
        }
        .write(&mut b);
        let mut pos = HEADER_LEN;
        for i in images {
            b[pos..pos + i.len()].copy_from_slice(i);
            pos += i.len();
        }
        b
    }

    #[test]
    fn accepts_current_skips_stale_and_counts_corrupt() {
        let (a, s, c) = (image(1, 9), image(2, 8), image(3, 9));
        let mut b = block(9, &[a.clone(), s.clone(), c.clone()]);
        let c_at = HEADER_LEN + a.len() + s.len();
        let scan = scan_block(&b, 3, 1);
        assert_eq!(scan.images.len(), 2);
        assert_eq!(scan.counts.stale, 1, "RS-STALE-REUSED: older block_seq");
        b[c_at + 60] ^= 0x40;
        let scan = scan_block(&b, 3, 1);
        assert_eq!(scan.images, vec![(HEADER_LEN as u32, a.len() as u32)]);
        assert_eq!(scan.counts.corrupt, 1);
        assert!(scan_block(&b, 4, 1).header.is_none(), "misdirected block");
        assert!(scan_block(&b, 3, 2).header.is_none(), "other device set");
        assert_eq!(scan_block(&vec![0; 4096], 3, 1).counts.blank_blocks, 1);
    }

    #[test]
    fn zeroed_start_of_an_image_leaves_an_unparsed_run() {
        let (a, c) = (image(1, 9), image(3, 9));
        let mut b = block(9, &[a.clone(), c]);
        b[HEADER_LEN..HEADER_LEN + 16].fill(0);
        let scan = scan_block(&b, 3, 1);
        assert_eq!(scan.images.len(), 1);
        assert_eq!(scan.counts.unparsed, 1);
    }
}
