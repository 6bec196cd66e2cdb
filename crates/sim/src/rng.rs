//! A tiny deterministic random source (SplitMix64), so `--seed` fixes every choice without a
//! dependency. Choices are keyed by (seed, request number, purpose), never by thread timing.
//! The workspace's one such generator: `ossperf report --synthetic` draws from it too.

/// SplitMix64: one multiply-xorshift step per draw.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose state starts at `state` (one stream, no keying).
    pub fn from_state(state: u64) -> Self {
        Self(state)
    }

    /// A generator for one purpose of one request.
    pub fn keyed(seed: u64, request: u64, purpose: u64) -> Self {
        let mut r = Self(seed ^ 0x9E37_79B9_7F4A_7C15);
        let a = r.next_u64() ^ request.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Self(a ^ purpose.wrapping_mul(0x94D0_49BB_1331_11EB))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw from `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// A uniform draw from `lo..=hi`.
    pub fn between(&mut self, lo: u32, hi: u32) -> u32 {
        let span = u64::from(hi.saturating_sub(lo)) + 1;
        lo + (self.next_u64() % span) as u32
    }
}

/// A 64-bit FNV-1a-style hash of token ids, to find a prompt among the reference rows.
pub(crate) fn hash_ids(ids: &[u32]) -> u64 {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for &id in ids {
        h ^= u64::from(id);
        h = h.wrapping_mul(0x0100_0000_01B3);
    }
    h ^ ids.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_generators_are_reproducible_and_distinct() {
        let a = Rng::keyed(1, 2, 3).next_u64();
        assert_eq!(a, Rng::keyed(1, 2, 3).next_u64());
        assert_ne!(a, Rng::keyed(1, 3, 3).next_u64());
        assert_ne!(a, Rng::keyed(2, 2, 3).next_u64());
    }

    #[test]
    fn between_stays_in_bounds_and_unit_below_one() {
        let mut r = Rng::keyed(0, 0, 0);
        for _ in 0..1000 {
            let v = r.between(5, 9);
            assert!((5..=9).contains(&v));
            assert!(r.unit() < 1.0);
        }
    }

    #[test]
    fn hash_ids_depends_on_order_and_length() {
        assert_ne!(hash_ids(&[1, 2]), hash_ids(&[2, 1]));
        assert_ne!(hash_ids(&[0]), hash_ids(&[0, 0]));
    }
}
