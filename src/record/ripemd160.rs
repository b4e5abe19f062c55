//! RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996), written from the published specification for
//! the key digest (`key::compute_digest`) and the UDF module hash.
//!
//! Why it exists: every read and write hashes set name ‖ key type ‖ key bytes. With the `ripemd`
//! crate the compression function was ~16 % of a point read (~150–170 ns per 64-byte block on the
//! benchmark VM, a 2-vCPU AMD EPYC). The algorithm's two lines (left and right, 80 steps each) do
//! not depend on each other until the final combination; the crate computes one after the other,
//! so each line's step-to-step latency is paid in series. Here the steps are fully unrolled and
//! the two lines interleaved step by step, so the CPU runs both dependency chains at once
//! (criterion `digest/ripemd160_16B_key` against `digest/ripemd160_16B_key_crate` on the same
//! 26 bytes, same runs: 123–128 ns against 183–191 ns, about two thirds of the time;
//! BENCHMARKS.md "Key digest").
//!
//! Invariants: [`ripemd160`] returns RIPEMD-160 of the concatenation of its parts, however the
//! bytes are split (tested against the official vectors and against the `ripemd` crate for every
//! length up to 300 bytes and random splits); it allocates nothing; it never panics, whatever
//! the number of parts and their lengths, the empty input included (the bit length is counted in a `u64`
//! modulo 2^64, as the specification pads).

/// The chaining value before the first block.
const INITIAL: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// Bytes per block.
const BLOCK: usize = 64;

/// The last block's bytes before the 8-byte length.
const LENGTH_AT: usize = BLOCK - 8;

/// Message word used by each step of the left line (r).
const R_LEFT: [usize; 80] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, //
    7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8, //
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12, //
    1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2, //
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
];

/// Message word used by each step of the right line (r').
const R_RIGHT: [usize; 80] = [
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12, //
    6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2, //
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13, //
    8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14, //
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
];

/// Left rotation of each step of the left line (s).
const S_LEFT: [u32; 80] = [
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8, //
    7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12, //
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5, //
    11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12, //
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
];

/// Left rotation of each step of the right line (s').
const S_RIGHT: [u32; 80] = [
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6, //
    9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11, //
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5, //
    15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8, //
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
];

/// Additive constant of each round (16 steps) of the left line (K).
const K_LEFT: [u32; 5] = [
    0x0000_0000,
    0x5A82_7999,
    0x6ED9_EBA1,
    0x8F1B_BCDC,
    0xA953_FD4E,
];

/// Additive constant of each round of the right line (K').
const K_RIGHT: [u32; 5] = [
    0x50A2_8BE6,
    0x5C4D_D124,
    0x6D70_3EF3,
    0x7A6D_76E9,
    0x0000_0000,
];

/// RIPEMD-160 of the concatenation of `parts`, without allocating.
pub fn ripemd160(parts: &[&[u8]]) -> [u8; 20] {
    let mut hasher = Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finish()
}

/// A hash in progress: the chaining value, the bytes of the block not yet full, and the length.
struct Hasher {
    state: [u32; 5],
    pending: [u8; BLOCK],
    /// Bytes of `pending` in use; always below `BLOCK` between calls.
    pending_len: usize,
    /// Bytes hashed so far, modulo 2^64.
    total_len: u64,
}

impl Hasher {
    fn new() -> Hasher {
        Hasher {
            state: INITIAL,
            pending: [0; BLOCK],
            pending_len: 0,
            total_len: 0,
        }
    }

    /// Absorb `bytes`: top up the pending block, compress whole blocks straight from `bytes`,
    /// keep the rest pending.
    fn update(&mut self, bytes: &[u8]) {
        self.total_len = self.total_len.wrapping_add(bytes.len() as u64);
        let mut rest = bytes;
        if self.pending_len > 0 {
            let take = rest.len().min(BLOCK - self.pending_len);
            let (head, tail) = rest.split_at(take);
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(head);
            self.pending_len += take;
            rest = tail;
            if self.pending_len < BLOCK {
                return;
            }
            compress(&mut self.state, &self.pending);
            self.pending_len = 0;
        }
        let (blocks, tail) = rest.as_chunks::<BLOCK>();
        for block in blocks {
            compress(&mut self.state, block);
        }
        self.pending[..tail.len()].copy_from_slice(tail);
        self.pending_len = tail.len();
        debug_assert!(
            self.pending_len < BLOCK,
            "a full block is always compressed"
        );
    }

    /// Pad (0x80, zeros, the bit length little-endian in the last 8 bytes; a second block when
    /// the length does not fit after the pending bytes) and return the digest.
    fn finish(mut self) -> [u8; 20] {
        let bit_len = self.total_len.wrapping_mul(8);
        let (used, free) = self.pending.split_at_mut(self.pending_len);
        debug_assert!(
            used.len() < BLOCK && !free.is_empty(),
            "room for the 0x80 byte"
        );
        free.fill(0);
        if let Some(first) = free.first_mut() {
            *first = 0x80;
        }
        if self.pending_len >= LENGTH_AT {
            compress(&mut self.state, &self.pending);
            self.pending = [0; BLOCK];
        }
        let (_, length) = self.pending.split_at_mut(LENGTH_AT);
        for (at, byte) in length.iter_mut().enumerate() {
            *byte = (bit_len >> (8 * at)) as u8;
        }
        compress(&mut self.state, &self.pending);
        digest_bytes(&self.state)
    }
}

/// The chaining value as the 20 output bytes (each word little-endian).
fn digest_bytes(state: &[u32; 5]) -> [u8; 20] {
    let mut out = [0u8; 20];
    let (words, _) = out.as_chunks_mut::<4>();
    for (bytes, word) in words.iter_mut().zip(state) {
        *bytes = [
            *word as u8,
            (word >> 8) as u8,
            (word >> 16) as u8,
            (word >> 24) as u8,
        ];
    }
    out
}

/// A block's sixteen message words (little-endian).
#[inline(always)]
fn message_words(block: &[u8; BLOCK]) -> [u32; 16] {
    let (quads, _) = block.as_chunks::<4>();
    let mut words = [0u32; 16];
    for (word, &[b0, b1, b2, b3]) in words.iter_mut().zip(quads) {
        *word = u32::from(b0) | u32::from(b1) << 8 | u32::from(b2) << 16 | u32::from(b3) << 24;
    }
    words
}

/// The boolean function of round `round` (0..5: f1..f5). f2 and f4 are written in their
/// equivalent xor forms: (x ∧ y) ∨ (¬x ∧ z) = ((y ⊕ z) ∧ x) ⊕ z and
/// (x ∧ z) ∨ (y ∧ ¬z) = ((x ⊕ y) ∧ z) ⊕ y. Always called with a constant `round`, so the
/// match folds away.
#[inline(always)]
fn boolean(round: usize, x: u32, y: u32, z: u32) -> u32 {
    match round {
        0 => x ^ y ^ z,
        1 => ((y ^ z) & x) ^ z,
        2 => (x | !y) ^ z,
        3 => ((x ^ y) & z) ^ y,
        _ => x ^ (y | !z),
    }
}

/// One line's five working words (A, B, C, D, E).
type Line = (u32, u32, u32, u32, u32);

/// Step `J` (0..80) of the left line, or of the right line when `RIGHT` (whose rounds use the
/// functions in reverse order, f5..f1).
#[inline(always)]
fn step<const J: usize, const RIGHT: bool>((a, b, c, d, e): Line, x: &[u32; 16]) -> Line {
    let round = J / 16;
    let (f, word, k, s) = if RIGHT {
        let f = boolean(4 - round, b, c, d);
        (f, x[R_RIGHT[J]], K_RIGHT[round], S_RIGHT[J])
    } else {
        let f = boolean(round, b, c, d);
        (f, x[R_LEFT[J]], K_LEFT[round], S_LEFT[J])
    };
    let t = a
        .wrapping_add(f)
        .wrapping_add(word)
        .wrapping_add(k)
        .rotate_left(s)
        .wrapping_add(e);
    (e, t, b, c.rotate_left(10), d)
}

/// Both lines' steps, interleaved: step j of the left line, then step j of the right line.
macro_rules! steps {
    ($l:ident, $r:ident, $x:ident; $($j:literal)*) => {
        $(
            $l = step::<$j, false>($l, $x);
            $r = step::<$j, true>($r, $x);
        )*
    };
}

/// Compress one block into the chaining value.
fn compress(state: &mut [u32; 5], block: &[u8; BLOCK]) {
    let x = &message_words(block);
    let [h0, h1, h2, h3, h4] = *state;
    let mut l: Line = (h0, h1, h2, h3, h4);
    let mut r: Line = l;
    steps!(l, r, x;
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
        16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47
        48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
        64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
    let (al, bl, cl, dl, el) = l;
    let (ar, br, cr, dr, er) = r;
    *state = [
        h1.wrapping_add(cl).wrapping_add(dr),
        h2.wrapping_add(dl).wrapping_add(er),
        h3.wrapping_add(el).wrapping_add(ar),
        h4.wrapping_add(al).wrapping_add(br),
        h0.wrapping_add(bl).wrapping_add(cr),
    ];
}

#[cfg(test)]
mod tests {
    use super::ripemd160;
    use crate::rng::Rng;
    use ripemd::{Digest as _, Ripemd160};

    fn hex(digest: [u8; 20]) -> String {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The test vectors of the RIPEMD-160 publication.
    #[test]
    fn official_vectors() {
        let eight = "1234567890".repeat(8);
        let vectors: [(&str, &str); 8] = [
            ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
            ("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
            ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
            ("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "f71c27109c692c1b56bbdceb5b9d2865b3708dbc",
            ),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "b0e20b6e3116640286ed3a87a5713079b21f5189",
            ),
            (&eight, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
        ];
        for (input, expected) in vectors {
            assert_eq!(hex(ripemd160(&[input.as_bytes()])), expected, "{input:?}");
        }
    }

    #[test]
    fn one_million_a() {
        let input = vec![b'a'; 1_000_000];
        let expected = "52783243c1697bdbe16d37f97f68f08325dc1528";
        assert_eq!(hex(ripemd160(&[&input])), expected);
        let (front, back) = input.split_at(333_331);
        assert_eq!(hex(ripemd160(&[front, &[], back])), expected);
    }

    /// `count` cut points in `0..=len`, sorted: the bounds of `count + 1` parts (some empty).
    fn cuts(rng: &mut Rng, len: usize, count: usize) -> Vec<usize> {
        let mut at: Vec<usize> = (0..count)
            .map(|_| (rng.next_u64() % (len as u64 + 1)) as usize)
            .collect();
        at.sort_unstable();
        at
    }

    /// Every length 0..=300, whole and in random splits, agrees with the `ripemd` crate.
    #[test]
    fn agrees_with_the_crate() {
        let mut rng = Rng::new(0x5EED_0160);
        for len in 0..=300usize {
            let input: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            let expected: [u8; 20] = Ripemd160::digest(&input).into();
            assert_eq!(ripemd160(&[&input]), expected, "length {len}, one part");
            assert_eq!(
                ripemd160(&[]) == expected,
                len == 0,
                "no parts is the empty input"
            );
            for round in 0..8 {
                let count = (rng.next_u64() % 6) as usize;
                let at = cuts(&mut rng, len, count);
                let mut parts: Vec<&[u8]> = Vec::new();
                let mut from = 0;
                for &to in at.iter().chain([len].iter()) {
                    parts.push(&input[from..to]);
                    from = to;
                }
                assert_eq!(
                    ripemd160(&parts),
                    expected,
                    "length {len}, split {round}: {at:?}"
                );
            }
        }
    }
}
