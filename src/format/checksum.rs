//! The one checksum of the on-disk format: CRC-32 (IEEE, the `crc32fast` polynomial), stored
//! little-endian. Every durable structure — device header, write-block header, record image,
//! index snapshot, secondary-index definitions — seals and verifies through these two functions
//! (storage-format.md; tests/tidy_layers.rs keeps the CRC crate out of every other file).
//!
//! Invariant: `crc32_skipping(b, at)` equals `crc32` of `b` with its 4 bytes at `at` removed, for
//! any `at` (a field past the end is simply not there), so a structure may hold its own CRC.

/// CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// CRC-32 of `buf` without the 4 bytes at `crc_at` (the field that holds the CRC).
pub fn crc32_skipping(buf: &[u8], crc_at: usize) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&buf[..crc_at.min(buf.len())]);
    if crc_at.saturating_add(4) < buf.len() {
        h.update(&buf[crc_at + 4..]);
    }
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_equals_the_crc_of_the_rest() {
        let b: Vec<u8> = (0u8..40).collect();
        for at in [0, 7, 36, 40, 90] {
            let mut rest = b.clone();
            let end = (at + 4).min(b.len());
            if at < b.len() {
                rest.drain(at..end);
            }
            assert_eq!(crc32_skipping(&b, at), crc32(&rest), "field at {at}");
        }
        // The CRC-32 check value of "123456789" (IEEE), so the stored format is the standard one.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
