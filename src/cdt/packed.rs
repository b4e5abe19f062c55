//! The packed bytes of a map or list particle with an offset index over its elements, shared by
//! the in-place map and list ops (`map::inplace`, `list::inplace`; issue 16 point 4). An element
//! is a list item or a map entry (key and value).
//!
//! Invariants (asserted after every change; the decode check in debug builds by the owners):
//! - `offsets` has `n + 1` strictly ascending entries: `offsets[i]` is where element `i` starts,
//!   the last one is `bytes.len()`, which fits a `u32`;
//! - the msgpack count header right after the tag byte says `n + header.extra` (the order
//!   extension counts as one element) in its shortest form, as `format::pack` writes it;
//! - element bytes are only ever spliced in from `pack` output, so the bytes stay canonical.

use crate::format::pack::container_header;
use std::ops::Range;

/// The count header of a container kind: msgpack fix / 16-bit / 32-bit markers, and how many
/// header elements (the order extension) precede the elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    fix: u8,
    w16: u8,
    w32: u8,
    /// 1 when the order extension is present, else 0.
    pub extra: usize,
}

impl Header {
    /// A list's header (`ordered`: with the order extension).
    pub fn list(ordered: bool) -> Header {
        Header {
            fix: 0x90,
            w16: 0xdc,
            w32: 0xdd,
            extra: usize::from(ordered),
        }
    }

    /// A map's header (`flagged`: with the order extension).
    pub fn map(flagged: bool) -> Header {
        Header {
            fix: 0x80,
            w16: 0xde,
            w32: 0xdf,
            extra: usize::from(flagged),
        }
    }

    fn write(&self, n: usize, out: &mut Vec<u8>) {
        container_header(out, n + self.extra, self.fix, self.w16, self.w32);
    }

    /// Bytes of the count header for `n` elements.
    pub fn len(&self, n: usize) -> usize {
        let mut h = Vec::with_capacity(5);
        self.write(n, &mut h);
        h.len()
    }
}

/// A particle (tag byte included) and the offsets of its elements.
#[derive(Debug, Clone)]
pub struct Spans {
    bytes: Vec<u8>,
    offsets: Vec<u32>,
    header: Header,
}

impl Spans {
    /// Index `bytes` whose elements start at `first` and have the byte lengths `lens`.
    /// `None` when the particle is too large for `u32` offsets.
    pub fn new(
        bytes: Vec<u8>,
        header: Header,
        first: usize,
        lens: impl ExactSizeIterator<Item = usize>,
    ) -> Option<Spans> {
        u32::try_from(bytes.len()).ok()?;
        let mut offsets = Vec::with_capacity(lens.len() + 1);
        let mut at = first;
        for len in lens {
            offsets.push(at as u32);
            at += len;
        }
        offsets.push(at as u32);
        let s = Spans {
            bytes,
            offsets,
            header,
        };
        s.assert_valid();
        Some(s)
    }

    /// The particle bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Element count.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where element `i` starts (`i == len()`: the end).
    pub fn start(&self, i: usize) -> usize {
        self.offsets[i] as usize
    }

    /// The bytes of element `i`.
    pub fn span(&self, i: usize) -> &[u8] {
        &self.bytes[self.start(i)..self.start(i + 1)]
    }

    /// The bytes of elements `r`.
    pub fn spans(&self, r: Range<usize>) -> &[u8] {
        &self.bytes[self.start(r.start)..self.start(r.end)]
    }

    /// Check the offsets against the bytes and the header (cheap checks always, O(n) in debug).
    pub fn assert_valid(&self) {
        assert_eq!(
            self.offsets.last().map(|&o| o as usize),
            Some(self.bytes.len()),
            "the last offset is the particle's end"
        );
        assert_eq!(
            self.offsets.first().map(|&o| o as usize),
            Some(1 + self.header.len(self.len()) + 3 * self.header.extra + self.map_nil()),
            "the first element follows the tag, the count header and the order extension"
        );
        debug_assert!(
            self.offsets.windows(2).all(|w| w[0] < w[1]),
            "element offsets are strictly ascending"
        );
    }

    /// A map's order extension carries one more byte (its nil value) than a list's.
    fn map_nil(&self) -> usize {
        usize::from(self.header.fix == 0x80 && self.header.extra == 1)
    }

    /// Replace `bytes[from..to]` by `new`, shifting the offsets from `first_shifted` on.
    fn splice(&mut self, from: usize, to: usize, new: &[u8], first_shifted: usize) -> Option<()> {
        assert!(
            from <= to && to <= self.bytes.len() && first_shifted <= self.offsets.len(),
            "a splice {from}..{to} lies inside the particle of {} bytes",
            self.bytes.len()
        );
        let len = (self.bytes.len() - (to - from)).checked_add(new.len())?;
        u32::try_from(len).ok()?;
        self.bytes.splice(from..to, new.iter().copied());
        let (grow, shrink) = (new.len() as u32, (to - from) as u32);
        if grow != shrink {
            for o in &mut self.offsets[first_shifted..] {
                *o = *o + grow - shrink;
            }
        }
        Some(())
    }

    /// Rewrite the count header from `was` to `n` elements (its width may change).
    fn set_count(&mut self, was: usize, n: usize) -> Option<()> {
        let mut h = Vec::with_capacity(5);
        self.header.write(n, &mut h);
        self.splice(1, 1 + self.header.len(was), &h, 0)
    }

    /// Insert elements before element `i` (`i == len()`: at the end): `packed` holds them back
    /// to back, `lens` their byte lengths.
    pub fn insert(&mut self, i: usize, packed: &[u8], lens: &[usize]) -> Option<()> {
        assert_eq!(
            lens.iter().sum::<usize>(),
            packed.len(),
            "the inserted elements span the packed bytes"
        );
        let (at, was) = (self.start(i), self.len());
        let mut starts = Vec::with_capacity(lens.len());
        let mut o = at;
        for len in lens {
            starts.push(u32::try_from(o).ok()?);
            o += len;
        }
        self.offsets.splice(i..i, starts);
        self.splice(at, at, packed, i + lens.len())?;
        self.set_count(was, was + lens.len())?;
        self.assert_valid();
        Some(())
    }

    /// Remove elements `r`.
    pub fn remove(&mut self, r: Range<usize>) -> Option<()> {
        assert!(r.start <= r.end && r.end <= self.len(), "removed elements exist");
        if r.is_empty() {
            return Some(());
        }
        let (from, to, was) = (self.start(r.start), self.start(r.end), self.len());
        self.offsets.drain(r.start..r.end);
        self.splice(from, to, &[], r.start)?;
        self.set_count(was, was - r.len())?;
        self.assert_valid();
        Some(())
    }

    /// Replace the bytes of element `i` from `skip` bytes into it to its end by `new` (a map
    /// value after its key, or a whole list item with `skip` 0).
    pub fn replace(&mut self, i: usize, skip: usize, new: &[u8]) -> Option<()> {
        let (from, to) = (self.start(i) + skip, self.start(i + 1));
        assert!(from < to || skip == 0, "a replaced part lies inside its element");
        self.splice(from, to, new, i + 1)?;
        self.assert_valid();
        Some(())
    }
}
