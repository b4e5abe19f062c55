//! A small seedable PRNG (SplitMix64) for scenarios, simulations and fault injection: the same seed
//! always gives the same sequence, on every platform — and the one home of real entropy,
//! [`random_id`], for ids that must differ between runs (device set, instance, temporary files).

/// A random 64-bit id, never 0 (device set, instance, temporary file names): the per-process
/// random keys of std's `RandomState` mixed with the wall time and the process id, without a
/// random-number crate. Not deterministic by design: the engine's clock is not involved.
pub fn random_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    let id = h.finish() | 1;
    assert_ne!(id, 0, "ids are never 0");
    id
}

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p` (0.0 … 1.0).
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p && p > 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            let x = a.below(10);
            assert_eq!(x, b.below(10));
            assert!(x < 10);
        }
        let mut c = Rng::new(1);
        assert!(!c.chance(0.0));
        assert!(c.chance(1.0));
    }

    #[test]
    fn random_ids_differ_and_are_never_zero() {
        let (a, b) = (random_id(), random_id());
        assert_ne!(a, b);
        assert!(a != 0 && b != 0);
    }
}
