//! The write buffer of the open block: images are appended back to back, 16-byte aligned, after
//! the write-block header (storage-format.md §"Write block").
//!
//! Invariants: `flushed ≤ pos ≤ len` and `HEADER_LEN ≤ pos` (`flushed` is 0 until the first
//! partial flush, which writes the header too); bytes below `pos` never change once placed
//! (flushed bytes are never rewritten with different content, SN-REQ-FRONTIER); bytes at and
//! above `pos` are zero.

use crate::format::write_block::{BlockHeader, HEADER_LEN};
use crate::storage::device::AlignedBuf;
use std::sync::Arc;

/// Bytes past the end of the last image whose lines are asked for ahead of the next image (a
/// couple of typical images; a hint only).
const WRITE_AHEAD: usize = 512;

/// The open block's buffer.
pub struct WriteBuffer {
    /// Block id.
    pub block: u32,
    /// Incarnation sequence.
    pub seq: u64,
    buf: AlignedBuf,
    pos: usize,
    /// Bytes known durable on the device (the durable frontier).
    pub flushed: usize,
}

impl WriteBuffer {
    /// A fresh buffer for `block`, incarnation `seq`, in `buf`: a zeroed buffer of the block
    /// size (never used before).
    pub fn new(block: u32, seq: u64, mut buf: AlignedBuf, device_set_id: u64) -> WriteBuffer {
        debug_assert!(
            buf.as_slice().iter().all(|&b| b == 0),
            "a write block starts zeroed"
        );
        BlockHeader {
            block_seq: seq,
            device_set_id,
            block_id: block,
        }
        .write(buf.as_mut_slice());
        WriteBuffer {
            block,
            seq,
            buf,
            pos: HEADER_LEN,
            flushed: 0,
        }
    }

    /// Fill position (bytes placed, header included).
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Whether `n` more bytes fit.
    pub fn fits(&self, n: usize) -> bool {
        self.pos + n <= self.buf.len()
    }

    /// Place a sealed image; returns its offset.
    pub fn place(&mut self, image: &[u8]) -> u32 {
        assert!(self.fits(image.len()), "callers check fits() first");
        assert_eq!(image.len() % 16, 0, "images are 16-byte aligned");
        debug_assert!(
            self.buf.as_slice()[self.pos..self.pos + image.len()]
                .iter()
                .all(|&x| x == 0),
            "bytes above pos are zero"
        );
        let at = self.pos;
        self.buf.as_mut_slice()[at..at + image.len()].copy_from_slice(image);
        self.pos += image.len();
        // The next image goes right here: have its lines owned by the time it is copied, so
        // that its stores do not wait for their loads inside the store lock (BENCHMARKS.md
        // "Session 15").
        let rest = &self.buf.as_slice()[self.pos..];
        crate::prefetch::bytes_for_write(rest.as_ptr(), WRITE_AHEAD.min(rest.len()));
        debug_assert!(
            self.flushed <= self.pos && HEADER_LEN <= at,
            "flushed ≤ pos"
        );
        at as u32
    }

    /// The buffer's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.buf.as_slice()
    }

    /// Give up the buffer (the block is sealed); it is immutable from now on.
    pub fn seal(self) -> Arc<AlignedBuf> {
        assert!(
            self.flushed <= self.pos,
            "flushed ≤ pos: nothing beyond the images was written"
        );
        Arc::new(self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::write_block::BlockState;

    #[test]
    fn places_after_the_header_and_keeps_zero_tail() {
        let mut w = WriteBuffer::new(2, 9, AlignedBuf::zeroed(8192), 1);
        assert!(matches!(BlockHeader::read(w.bytes()), BlockState::Valid(h) if h.block_seq == 9));
        assert_eq!(w.place(&[1; 64]), HEADER_LEN as u32);
        assert_eq!(w.place(&[2; 16]), HEADER_LEN as u32 + 64);
        assert_eq!(w.pos(), HEADER_LEN + 80);
        assert!(w.bytes()[w.pos()..].iter().all(|&x| x == 0));
        assert!(!w.fits(8192));
    }
}
