//! The one little-endian reader and writer of the on-disk format (storage-format.md: every
//! integer is little-endian and fixed-width). Decoders read through [`Reader`], encoders write
//! through [`Writer`]; storage, record, sindex and cdt code never slices bytes into integers
//! itself (tests/tidy_layers.rs; hashing and the wire protocol are not the on-disk format).
//!
//! Invariants: a `Reader` never reads past its slice and never panics — every read checks the
//! bytes left and answers `DecodeError("truncated")` otherwise; its position only moves forward.
//! A `Writer` that places bytes into a caller-sized slice asserts that they fit (the caller sized
//! the buffer from the same layout, so overflowing it is a bug, not input).

/// Why bytes did not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

/// A bounds-checked reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Read from the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Read from byte `pos` of `buf` (a position past the end reads nothing).
    pub fn at(buf: &'a [u8], pos: usize) -> Reader<'a> {
        Reader {
            buf,
            pos: pos.min(buf.len()),
        }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        debug_assert!(
            self.pos <= self.buf.len(),
            "the position stays in the slice"
        );
        self.buf.len() - self.pos
    }

    /// Current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Take `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError("truncated"));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// The next byte, not consumed.
    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// The next two bytes, not consumed.
    pub fn peek2(&self) -> Option<[u8; 2]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(2)?)?;
        Some([s[0], s[1]])
    }

    /// One byte.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    /// Little-endian u16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    /// Little-endian u32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// Little-endian u64.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Little-endian i64.
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}

/// Little-endian u16 at byte `at` of `b`.
pub fn u16_at(b: &[u8], at: usize) -> Result<u16, DecodeError> {
    Reader::at(b, at).u16()
}

/// Little-endian u32 at byte `at` of `b`.
pub fn u32_at(b: &[u8], at: usize) -> Result<u32, DecodeError> {
    Reader::at(b, at).u32()
}

/// Little-endian u64 at byte `at` of `b`.
pub fn u64_at(b: &[u8], at: usize) -> Result<u64, DecodeError> {
    Reader::at(b, at).u64()
}

enum Target<'a> {
    Append(&'a mut Vec<u8>),
    Place { buf: &'a mut [u8], pos: usize },
}

/// A little-endian writer: appends to a `Vec<u8>`, or overwrites a slice from an offset.
pub struct Writer<'a> {
    target: Target<'a>,
}

impl<'a> Writer<'a> {
    /// Append to the end of `out`.
    pub fn append(out: &'a mut Vec<u8>) -> Writer<'a> {
        Writer {
            target: Target::Append(out),
        }
    }

    /// Overwrite `buf` from byte `at` on.
    pub fn place(buf: &'a mut [u8], at: usize) -> Writer<'a> {
        Writer {
            target: Target::Place { buf, pos: at },
        }
    }

    /// Raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        match &mut self.target {
            Target::Append(out) => out.extend_from_slice(b),
            Target::Place { buf, pos } => {
                let end = *pos + b.len();
                assert!(
                    end <= buf.len(),
                    "a placed field fits its caller-sized buffer"
                );
                buf[*pos..end].copy_from_slice(b);
                *pos = end;
            }
        }
        self
    }

    /// `n` zero bytes (reserved or padding).
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        const ZEROS: [u8; 64] = [0; 64];
        let mut left = n;
        while left > 0 {
            let k = left.min(ZEROS.len());
            self.bytes(&ZEROS[..k]);
            left -= k;
        }
        self
    }

    /// One byte.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes(&[v])
    }

    /// Little-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Little-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Little-endian u64.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// Little-endian i64.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }
}

/// Write a little-endian u16 at byte `at` of `buf`.
pub fn put_u16_at(buf: &mut [u8], at: usize, v: u16) {
    Writer::place(buf, at).u16(v);
}

/// Write a little-endian u32 at byte `at` of `buf`.
pub fn put_u32_at(buf: &mut [u8], at: usize, v: u32) {
    Writer::place(buf, at).u32(v);
}

/// Write a little-endian u64 at byte `at` of `buf`.
pub fn put_u64_at(buf: &mut [u8], at: usize, v: u64) {
    Writer::place(buf, at).u64(v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_an_error_never_a_panic() {
        let b = [1u8, 2, 3];
        for at in 0..6 {
            assert!(u32_at(&b, at).is_err(), "u32 at {at} of 3 bytes");
            assert!(u64_at(&b, at).is_err(), "u64 at {at} of 3 bytes");
        }
        assert_eq!(u16_at(&b, 1), Ok(0x0302));
        assert!(u16_at(&b, 2).is_err() && u16_at(&b, usize::MAX).is_err());
        let mut r = Reader::new(&b);
        assert_eq!(r.take(4), Err(DecodeError("truncated")));
        assert_eq!(r.position(), 0, "a failed read does not move");
        assert_eq!(Reader::at(&b, 2).peek2(), None);
    }

    #[test]
    fn writer_and_reader_agree_on_every_width() {
        let mut v = Vec::new();
        Writer::append(&mut v)
            .u8(0xAB)
            .u16(0x0102)
            .u32(0x0304_0506)
            .u64(0x0708_090A_0B0C_0D0E)
            .i64(-2)
            .zeros(3);
        assert_eq!(&v[..3], &[0xAB, 0x02, 0x01]);
        let mut r = Reader::new(&v);
        assert_eq!(r.u8(), Ok(0xAB));
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.u32(), Ok(0x0304_0506));
        assert_eq!(r.u64(), Ok(0x0708_090A_0B0C_0D0E));
        assert_eq!(r.i64(), Ok(-2));
        assert_eq!(r.take(3), Ok(&[0u8, 0, 0][..]));
        assert_eq!(r.remaining(), 0);
        let mut fixed = [0u8; 8];
        put_u32_at(&mut fixed, 4, 7);
        put_u16_at(&mut fixed, 0, 9);
        assert_eq!(fixed, [9, 0, 0, 0, 7, 0, 0, 0]);
    }
}
