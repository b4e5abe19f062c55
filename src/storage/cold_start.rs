//! Cold-start scanning of one write block (storage-format.md §"Write block", §"Scanning rules"):
//! which images of a block a restart may index.
//!
//! Rules, in order: a block whose header is blank, invalid, of another device set or of another
//! block id contributes nothing; inside a valid block the scan walks 16-byte units from the end of
//! the header; at a unit that starts a CRC-valid image it accepts the image when its `block_seq`
//! equals the header's (otherwise it is *stale*, left from an earlier incarnation) and jumps over
//! it; a unit with image magic that fails verification is *corrupt*; other non-zero units not
//! inside a verified image are *unparsed* (counted once per run). Nothing here panics on any input.
//!
//! Damage (what `aerolite inspect --verify` reports): the current incarnation writes its images
//! back to back from the header, and every device write covers whole flush units (4096 bytes)
//! that are zero past the last image; a freed block keeps its old contents beyond that, so stale
//! images, corrupt units and unparsed runs there are the earlier incarnation's tail, not damage.
//! Counted as *damaged* (one per run) is anything else that is not an accepted image: a gap before
//! an accepted image, a unit with image magic carrying this block's sequence or starting right
//! after the last accepted image (a damaged current image), and non-zero bytes between the last
//! accepted image and the end of its flush unit. A torn write of a power loss shows as damage too.

use crate::format::record_image::{self, ALIGN};
use crate::format::write_block::{BlockHeader, BlockState, HEADER_LEN};
use crate::storage::device::align_up;

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
    /// Runs of bytes the current incarnation wrote that are not accepted images (module docs):
    /// real damage, unlike stale, corrupt or unparsed bytes in the tail of a reused block.
    pub damaged: u64,
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
        self.damaged += o.damaged;
    }
}

/// Every device write of a block covers whole units of this size, zero past the last image
/// (storage-format.md §"Writing rules"; `device::ALIGN`).
const FLUSH_UNIT: usize = crate::storage::device::ALIGN;

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
    // End of the last unit known to be the current incarnation's although not accepted.
    let mut damaged_end = 0;
    while pos + ALIGN <= buf.len() {
        let rest = &buf[pos..];
        if record_image::has_magic(rest) {
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
            if record_image::block_seq_of(rest) == Some(header.block_seq)
                || pos == images_end(&out.images)
            {
                damaged_end = pos + ALIGN;
            }
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
    out.counts.damaged = damaged_runs(buf, &out.images, damaged_end);
    debug_assert!(
        out.images.windows(2).all(|w| w[0].0 + w[0].1 <= w[1].0),
        "accepted images ascend without overlapping"
    );
    assert!(
        images_end(&out.images) <= buf.len(),
        "accepted images lie inside the block"
    );
    out
}

/// End of the last accepted image (the header's end when there is none).
fn images_end(images: &[(u32, u32)]) -> usize {
    images
        .last()
        .map_or(HEADER_LEN, |&(off, len)| (off + len) as usize)
}

/// Damaged runs of a block (module docs): gaps before accepted images, damaged current units
/// beyond the last one, else non-zero bytes in the rest of the last image's flush unit.
fn damaged_runs(buf: &[u8], images: &[(u32, u32)], damaged_end: usize) -> u64 {
    let mut runs = 0;
    let mut cursor = HEADER_LEN;
    for &(off, len) in images {
        let (off, len) = (off as usize, len as usize);
        assert!(
            off >= cursor && off + len <= buf.len(),
            "images ascend inside the block"
        );
        runs += u64::from(off > cursor);
        cursor = off + len;
    }
    if damaged_end > cursor {
        return runs + 1;
    }
    let unit_end = (align_up(cursor as u64, FLUSH_UNIT as u64) as usize).min(buf.len());
    runs + u64::from(buf[cursor..unit_end].iter().any(|&b| b != 0))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::record_image::ImageMeta;
    use crate::record::bin::BinList;
    use crate::record::key::Digest;
    use crate::record::value::Value;

    /// A sealed image of one integer bin, digest `[d; 20]`, sealed with block sequence `seq`.
    pub(crate) fn image(d: u8, seq: u64) -> Vec<u8> {
        image_of(d, seq, Value::Int(i64::from(d)))
    }

    /// A sealed image of one bin `v` holding `value`, digest `[d; 20]`, block sequence `seq`.
    pub(crate) fn image_of(d: u8, seq: u64, value: Value) -> Vec<u8> {
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
        bins.push("v", value);
        record_image::encode(&meta, &bins)
    }

    fn block(seq: u64, images: &[Vec<u8>]) -> Vec<u8> {
        sized_block(4096, seq, images)
    }

    fn sized_block(size: usize, seq: u64, images: &[Vec<u8>]) -> Vec<u8> {
        let mut b = vec![0u8; size];
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

    /// A reused block: the current incarnation's images in the first flush unit, then an earlier
    /// incarnation's stale images, a remnant and a corrupt old unit — none of it damage.
    fn reused_block() -> (Vec<u8>, usize) {
        let current = [image(1, 9), image(2, 9)];
        let mut b = sized_block(3 * FLUSH_UNIT, 9, &current);
        // The remnant of an old image cut at the flush unit, old images, one of them damaged.
        b[FLUSH_UNIT..FLUSH_UNIT + 48].fill(0xEE);
        let old = image(7, 5);
        for i in 0..10 {
            let at = FLUSH_UNIT + 48 + i * old.len();
            b[at..at + old.len()].copy_from_slice(&old);
        }
        b[FLUSH_UNIT + 48 + 5 * old.len() + 30] ^= 1;
        (b, HEADER_LEN + current[0].len() + current[1].len())
    }

    #[test]
    fn the_tail_of_an_earlier_incarnation_is_not_damage() {
        let (b, _) = reused_block();
        let scan = scan_block(&b, 3, 1);
        assert_eq!(scan.images.len(), 2);
        assert_eq!(
            (scan.counts.stale, scan.counts.unparsed, scan.counts.corrupt),
            (9, 1, 1),
            "{scan:?}"
        );
        assert_eq!(scan.counts.damaged, 0, "{scan:?}");
    }

    #[test]
    fn damage_inside_the_current_incarnation_is_counted() {
        let (b, end) = reused_block();
        let first = HEADER_LEN;
        for (at, why) in [
            (first + 60, "flipped bit in the first image"),
            (end - 20, "flipped bit in the last image"),
            (end - image(2, 9).len(), "flipped magic of the last image"),
            (end + 100, "bytes after the last image in its flush unit"),
            (first, "flipped magic of the first image"),
        ] {
            let mut bad = b.clone();
            bad[at] ^= 0x04;
            let scan = scan_block(&bad, 3, 1);
            assert!(scan.counts.damaged >= 1, "{why}: {scan:?}");
        }
        let mut zeroed = b.clone();
        zeroed[first..first + 16].fill(0);
        assert_eq!(scan_block(&zeroed, 3, 1).counts.damaged, 1, "zeroed start");
    }
}
