//! Counter-based draws keyed by (seed, purpose, client, index): a SHA-256 of the run's seed and the
//! purpose, taken once, then a 64-bit mixing function per draw, so drawing for a client needs no
//! stored state and costs a few nanoseconds (a SHA-256 per job would cap the engine near a million
//! jobs a second).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::seeds::{Purpose, Seeds};

/// The draws of one purpose for every client of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientDraws {
    k0: u64,
    k1: u64,
}

/// SplitMix64's finaliser: a bijection of u64 whose outputs pass BigCrush as a counter-based
/// generator.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl ClientDraws {
    pub fn new(seeds: &Seeds, purpose: Purpose) -> ClientDraws {
        let mut h = Sha256::new();
        h.update(b"abs-bench/client/v1");
        h.update(seeds.root().to_le_bytes());
        h.update((purpose as u32).to_le_bytes());
        let key: [u8; 32] = h.finalize().into();
        let word = |i: usize| u64::from_le_bytes(key[i..i + 8].try_into().unwrap_or_default());
        ClientDraws { k0: word(0), k1: word(8) }
    }

    /// The `index`-th 64-bit word of `client`.
    pub fn word(&self, client: u64, index: u64) -> u64 {
        mix64(mix64(client ^ self.k0) ^ index.wrapping_add(self.k1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// The `index`-th draw of `client`, uniform in [0, 1).
    pub fn unit(&self, client: u64, index: u64) -> f64 {
        (self.word(client, index) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A generator for draws that need several words (a gamma, a lognormal), seeded by the
    /// `index`-th word of `client`.
    pub fn rng(&self, client: u64, index: u64) -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(self.word(client, index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_pure_distinct_and_uniform() {
        let d = ClientDraws::new(&Seeds::new(7), Purpose::ClientAttributes);
        assert_eq!(d.word(3, 1), ClientDraws::new(&Seeds::new(7), Purpose::ClientAttributes).word(3, 1));
        assert_ne!(d.word(3, 1), d.word(3, 2));
        assert_ne!(d.word(3, 1), d.word(4, 1));
        assert_ne!(d.word(3, 1), ClientDraws::new(&Seeds::new(8), Purpose::ClientAttributes).word(3, 1));
        assert_ne!(d.word(3, 1), ClientDraws::new(&Seeds::new(7), Purpose::Selection).word(3, 1));
        // ten equal bins over consecutive clients: chi-square with 9 degrees of freedom, below
        // its 0.999 quantile (27.88) at this fixed seed
        let n = 100_000u64;
        let mut bins = [0u32; 10];
        for c in 0..n {
            let u = d.unit(c, 0);
            assert!((0.0..1.0).contains(&u));
            bins[(u * 10.0) as usize] += 1;
        }
        let e = n as f64 / 10.0;
        let chi2: f64 = bins.iter().map(|&b| (f64::from(b) - e).powi(2) / e).sum();
        assert!(chi2 < 27.88, "{chi2} {bins:?}");
    }
}
