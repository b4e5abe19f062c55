//! Key choosers for the benchmark: uniform and (scrambled) zipfian over record numbers `0..n`,
//! seeded through `crate::rng::Rng` so every run with the same seed draws the same keys.
//!
//! Invariants: `next_key()` always returns a value in `0..n`; the zipfian chooser follows YCSB's
//! `ZipfianGenerator` (Gray et al., "Quickly generating billion-record synthetic databases",
//! constant θ = 0.99) and, like YCSB's `ScrambledZipfianGenerator`, spreads the popular ranks over
//! the key space with an FNV-1a hash so hot keys are not neighbours in ordered engines.

use crate::rng::Rng;

/// YCSB's zipfian constant.
pub const ZIPFIAN_THETA: f64 = 0.99;

/// Record number `i` as the benchmark's key bytes: `user` and 12 decimal digits (16 bytes), the
/// same for every engine compared. Every request of every engine builds one, so it is measurement
/// overhead shared by every engine: the text is laid out in a stack buffer (digits from the
/// right, then `user` before them) and copied into one allocation of the final size. `format!`
/// grew its string through the formatting machinery (~560 instructions more per request); pushing
/// the digits as `char`s one by one cost ~250 more than this (callgrind, BENCHMARKS.md "Session
/// 12"). The text is exactly `format!("user{i:012}")`.
pub fn key_string(i: u64) -> String {
    const PREFIX: &[u8; 4] = b"user";
    let mut buf = [b'0'; 4 + 20]; // u64::MAX has 20 digits
    let (mut n, mut at) = (i, buf.len());
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let first = at.min(buf.len() - 12); // zero-padded to 12 digits
    debug_assert!(first >= PREFIX.len(), "room for the prefix");
    buf[first - PREFIX.len()..first].copy_from_slice(PREFIX);
    match std::str::from_utf8(&buf[first - PREFIX.len()..]) {
        Ok(text) => text.to_owned(),
        Err(_) => unreachable!("ASCII letters and digits"),
    }
}

/// Which distribution the keys follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Every record equally likely.
    Uniform,
    /// Zipfian with θ = 0.99 (YCSB's default request distribution), scrambled.
    Zipfian,
}

impl Distribution {
    /// Parse `uniform` or `zipfian`.
    pub fn parse(s: &str) -> Option<Distribution> {
        match s {
            "uniform" => Some(Distribution::Uniform),
            "zipfian" | "zipf" => Some(Distribution::Zipfian),
            _ => None,
        }
    }

    /// Report name.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Zipfian => "zipfian",
        }
    }
}

/// Zipfian constants for `n` items; computing `zeta(n)` is O(n), so build it once and clone it
/// into each thread's chooser.
#[derive(Debug, Clone)]
pub struct Zipfian {
    n: u64,
    alpha: f64,
    zetan: f64,
    eta: f64,
    half_pow_theta: f64,
}

fn zeta(n: u64, theta: f64) -> f64 {
    (1..=n).map(|i| 1.0 / (i as f64).powf(theta)).sum()
}

impl Zipfian {
    /// Constants for `n ≥ 1` items.
    pub fn new(n: u64) -> Zipfian {
        let n = n.max(1);
        let theta = ZIPFIAN_THETA;
        let zetan = zeta(n, theta);
        let zeta2 = zeta(2, theta);
        let eta = if n <= 2 {
            0.0
        } else {
            (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan)
        };
        Zipfian {
            n,
            alpha: 1.0 / (1.0 - theta),
            zetan,
            eta,
            half_pow_theta: 0.5f64.powf(theta),
        }
    }

    /// The rank drawn for a uniform `u` in `[0, 1)`: 0 is the most popular.
    pub fn rank(&self, u: f64) -> u64 {
        let uz = u * self.zetan;
        let r = if uz < 1.0 {
            0
        } else if uz < 1.0 + self.half_pow_theta {
            1
        } else {
            (self.n as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64
        };
        r.min(self.n - 1)
    }
}

/// FNV-1a over the 8 little-endian bytes of `x` (YCSB's scrambling hash).
pub fn fnv1a_64(x: u64) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in x.to_le_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// A seeded chooser of record numbers in `0..n`.
#[derive(Debug, Clone)]
pub struct KeyChooser {
    rng: Rng,
    n: u64,
    zipf: Option<Zipfian>,
}

impl KeyChooser {
    /// Uniform over `0..n` (`n ≥ 1`).
    pub fn uniform(n: u64, seed: u64) -> KeyChooser {
        KeyChooser {
            rng: Rng::new(seed),
            n: n.max(1),
            zipf: None,
        }
    }

    /// Scrambled zipfian over `0..n` with precomputed constants.
    pub fn zipfian(zipf: Zipfian, seed: u64) -> KeyChooser {
        KeyChooser {
            rng: Rng::new(seed),
            n: zipf.n,
            zipf: Some(zipf),
        }
    }

    /// A chooser for `dist`; `zipf` is used (not recomputed) when given.
    pub fn new(dist: Distribution, n: u64, seed: u64, zipf: Option<&Zipfian>) -> KeyChooser {
        match dist {
            Distribution::Uniform => KeyChooser::uniform(n, seed),
            Distribution::Zipfian => {
                let z = match zipf {
                    Some(z) if z.n == n.max(1) => z.clone(),
                    _ => Zipfian::new(n),
                };
                KeyChooser::zipfian(z, seed)
            }
        }
    }

    /// The next record number.
    pub fn next_key(&mut self) -> u64 {
        match &self.zipf {
            None => self.rng.below(self.n),
            Some(z) => {
                let u = (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                fnv1a_64(z.rank(u)) % self.n
            }
        }
    }

    /// The generator, for other random choices of the same thread (op mix, value bytes).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_in_range_and_deterministic() {
        let mut a = KeyChooser::uniform(1000, 3);
        let mut b = KeyChooser::uniform(1000, 3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let x = a.next_key();
            assert_eq!(x, b.next_key());
            assert!(x < 1000);
            seen.insert(x);
        }
        assert!(seen.len() > 990, "uniform covers the space: {}", seen.len());
    }

    #[test]
    fn zipfian_is_skewed_and_in_range() {
        let n = 10_000;
        let mut c = KeyChooser::new(Distribution::Zipfian, n, 9, None);
        let mut counts = std::collections::HashMap::new();
        let draws = 100_000;
        for _ in 0..draws {
            let x = c.next_key();
            assert!(x < n);
            *counts.entry(x).or_insert(0u64) += 1;
        }
        let mut v: Vec<u64> = counts.into_values().collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        // With θ = 0.99 over 10k items the top rank takes about 1/zeta(n) ≈ 10 % of draws and the
        // top 1 % of keys well over a third; uniform would give 0.01 % and 1 %.
        assert!(v[0] as f64 > 0.05 * draws as f64, "top key {}", v[0]);
        let top100: u64 = v.iter().take(100).sum();
        assert!(top100 as f64 > 0.3 * draws as f64, "top 100 keys {top100}");
    }

    #[test]
    fn zipfian_rank_bounds() {
        let z = Zipfian::new(5);
        assert_eq!(z.rank(0.0), 0);
        assert!(z.rank(0.999_999) < 5);
        let one = Zipfian::new(1);
        assert_eq!(one.rank(0.7), 0);
    }

    #[test]
    fn key_strings_have_fixed_width() {
        assert_eq!(key_string(7), "user000000000007");
        assert_eq!(key_string(7).len(), 16);
    }

    #[test]
    fn key_strings_are_the_formatted_text() {
        let mut probes: Vec<u64> = (0..2000).collect();
        for p in 0..20 {
            let ten = 10u64.pow(p);
            probes.extend([ten - 1, ten, ten + 1, ten.wrapping_mul(7) / 3]);
        }
        probes.extend([u64::MAX, u64::MAX - 1, 999_999_999_999, 1_000_000_000_000]);
        for i in probes {
            let s = key_string(i);
            assert_eq!(s, format!("user{i:012}"), "record {i}");
            assert_eq!(s.capacity(), s.len(), "one allocation of the final size");
        }
    }
}
