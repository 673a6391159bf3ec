//! A tiny deterministic random number generator that runs on the host.
//!
//! burn's backends draw their own random numbers, so the same seed gives different tensors on
//! `flex` and on `wgpu`. Whatever must be identical across backends (fixed test weights, LoRA
//! initialisation) is drawn here, on the host, and then uploaded. SplitMix64 is used because it
//! is a few lines long and trivially reproduced by the Python fixture scripts.

/// SplitMix64 (Steele, Lea & Flood 2014).
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole future is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float uniform in `[0, 1)`, with 24 random bits so that every value is exact in `f32`.
    pub fn next_unit_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A float uniform in `[-bound, bound)`.
    pub fn uniform_f32(&mut self, bound: f32) -> f32 {
        (self.next_unit_f32() * 2.0 - 1.0) * bound
    }

    /// `len` floats uniform in `[-bound, bound)`.
    pub fn uniform_vec(&mut self, len: usize, bound: f32) -> Vec<f32> {
        (0..len).map(|_| self.uniform_f32(bound)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_splitmix64_sequence() {
        // First outputs for seed 1234567 from the reference C implementation
        // (https://prng.di.unimi.it/splitmix64.c), as quoted in its test vectors.
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
        assert_eq!(rng.next_u64(), 9817491932198370423);
    }

    #[test]
    fn unit_floats_stay_in_range() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..10_000 {
            let x = rng.uniform_f32(0.5);
            assert!((-0.5..0.5).contains(&x));
        }
    }
}
