//! Choosing the next token from one row of logits, on the host: greedy, or temperature +
//! top-p (nucleus) sampling with [`SplitMix64`], so that a seed gives the same tokens on every
//! backend (burn's device RNGs differ between flex and wgpu).

use crate::base::rng::SplitMix64;

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// The most likely token (the lowest id among ties, like `torch.argmax`).
    Greedy,
    /// Draw from `softmax(logits / temperature)`, restricted to the smallest set of most likely
    /// tokens whose probabilities add up to at least `top_p` (transformers' top-p rule).
    Sample {
        /// Above 0; 1 leaves the distribution as it is.
        temperature: f32,
        /// In `(0, 1]`; 1 keeps every token.
        top_p: f32,
        /// Each prompt draws from its own generator seeded with this, so a prompt's continuation
        /// does not depend on the other prompts in its batch.
        seed: u64,
    },
}

/// The index of the largest value (the first one among ties); NaN never wins.
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &v) in logits.iter().enumerate() {
        if v > logits[best] || logits[best].is_nan() {
            best = i;
        }
    }
    best as u32
}

/// Draws a token from `logits` with `temperature` and `top_p` (see [`Sampling::Sample`]).
pub fn sample_top_p(logits: &[f32], temperature: f32, top_p: f32, rng: &mut SplitMix64) -> u32 {
    if temperature <= 0.0 || logits.is_empty() {
        return argmax(logits);
    }
    // Probabilities in f64: 49k exponentials summed in f32 would lose the tail.
    let t = f64::from(temperature);
    let max = f64::from(logits[argmax(logits) as usize]);
    let mut probs: Vec<(u32, f64)> = logits
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as u32, ((f64::from(v) - max) / t).exp()))
        .collect();
    let total: f64 = probs.iter().map(|p| p.1).sum();
    // Most likely first; equal probabilities by id, so the order never depends on the sort.
    probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    // Keep tokens until the mass before them reaches top_p (at least one).
    let limit = f64::from(top_p.clamp(0.0, 1.0)) * total;
    let mut kept = 0;
    let mut mass = 0.0;
    for p in &probs {
        if kept > 0 && mass >= limit {
            break;
        }
        mass += p.1;
        kept += 1;
    }
    let target = f64::from(rng.next_unit_f32()) * mass;
    let mut acc = 0.0;
    for p in &probs[..kept] {
        acc += p.1;
        if target < acc {
            return p.0;
        }
    }
    probs[kept - 1].0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, -1.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.5, 0.2]), 1);
    }

    #[test]
    fn a_small_top_p_keeps_only_the_best_token() {
        let mut rng = SplitMix64::new(3);
        for _ in 0..100 {
            assert_eq!(sample_top_p(&[0.0, 2.0, 1.0], 1.0, 0.01, &mut rng), 1);
        }
    }

    #[test]
    fn sampling_follows_the_distribution() {
        // softmax([0, ln 3]) = [0.25, 0.75].
        let mut rng = SplitMix64::new(11);
        let n = 20_000;
        let ones = (0..n)
            .filter(|_| sample_top_p(&[0.0, 3f32.ln()], 1.0, 1.0, &mut rng) == 1)
            .count();
        let share = ones as f64 / n as f64;
        assert!((share - 0.75).abs() < 0.02, "share of token 1: {share}");
    }

    #[test]
    fn top_p_cuts_the_tail() {
        // probabilities 0.5, 0.3, 0.2: top_p 0.7 keeps the first two only.
        let logits = [0.5f32.ln(), 0.3f32.ln(), 0.2f32.ln()];
        let mut rng = SplitMix64::new(5);
        let mut seen = [0usize; 3];
        for _ in 0..5_000 {
            seen[sample_top_p(&logits, 1.0, 0.7, &mut rng) as usize] += 1;
        }
        assert_eq!(seen[2], 0);
        assert!(seen[0] > 0 && seen[1] > 0);
    }
}
