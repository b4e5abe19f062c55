//! Hashing by the digest's own bytes (SN-REQ-INDEX-SHARD): a digest is already a uniformly
//! distributed RIPEMD-160 output, so hash maps keyed by it take 8 of its bytes as the hash instead
//! of running SipHash over all 20.
//!
//! Invariant: equal digests hash equally (the hash is a pure function of the bytes written). Bytes
//! 0–1 pick the partition (K-PID), so the hash uses bytes 4–11, which are independent of it.

use std::hash::{BuildHasherDefault, Hasher};

/// A hasher for [`crate::record::key::Digest`] keys.
#[derive(Debug, Default, Clone, Copy)]
pub struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        match bytes.get(4..12) {
            Some(b) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                self.0 ^= u64::from_le_bytes(a);
            }
            // Not a digest (never for the maps that use this): fold the bytes in.
            None => {
                for &b in bytes {
                    self.0 =
                        (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                }
            }
        }
    }

    // The slice length prefix of `[u8; 20]` carries no information.
    fn write_usize(&mut self, _: usize) {}
}

/// `BuildHasher` for digest-keyed maps.
pub type DigestBuildHasher = BuildHasherDefault<DigestHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::key::Digest;
    use std::hash::BuildHasher;

    #[test]
    fn hash_is_digest_bytes_4_to_11() {
        let mut d = [0u8; 20];
        d[4] = 1;
        d[11] = 0x80;
        let h = DigestBuildHasher::default().hash_one(Digest(d));
        assert_eq!(h, 0x8000_0000_0000_0001);
        let mut e = d;
        e[0] = 7; // partition bytes do not change the in-partition hash
        assert_eq!(DigestBuildHasher::default().hash_one(Digest(e)), h);
        let mut m: std::collections::HashMap<Digest, u32, DigestBuildHasher> = Default::default();
        m.insert(Digest(d), 1);
        assert_eq!(m.get(&Digest(d)), Some(&1));
    }
}
