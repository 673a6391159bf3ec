//! SOO fine-tuning of blue's actor (docs/method.md §7): whenever red is out of sight,
//! `A_self` = blue's two hidden layers (2 × 64) on its real observation and `A_other` = the
//! same layers on the observation with red placed inside the sight radius; the loss
//! `MSE(A_self, A_other) + MSE(v, v_baseline)` takes one Adam step before every MADDPG update
//! round, with the deceptive reward kept.
//!
//! What the paper leaves open, and what soo chooses:
//! - where red is placed: uniformly in the sight disc around blue (a fresh draw per row);
//! - gradient through both sides (no detach), as soo's language-model SOO loss does;
//! - `v` is blue's action (the actor's output) and `v_baseline` the frozen deceptive
//!   baseline's action on the same observation, over every row of the batch (not only the
//!   out-of-sight ones);
//! - weights 1 and 1; the step has its own Adam (lr 0.01, the MADDPG rate) and the same
//!   gradient-norm clip (0.5) as the MADDPG updates;
//! - the batch is a fresh uniform draw of 1,024 transitions from the replay buffer.

use serde::{Deserialize, Serialize};

use super::config::{SooConfig, SooVariant};
use super::mlp::{Adam, Mlp, clip_grad_norm};
use super::observe::{self, BLUE_OBS};
use super::world::uniform_in_disc;
use crate::base::rng::SplitMix64;
use crate::{Error, Result};

/// The fine-tuning loss's two terms (unweighted).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SooTerms {
    /// `MSE(A_self, A_other)` over the rows with red out of sight (0 when there are none).
    pub overlap: f32,
    /// `MSE(v, v_baseline)` over every row.
    pub capability: f32,
    /// Rows with red out of sight.
    pub rows_out_of_sight: usize,
}

/// The self and other observations of the overlap term, `[k × BLUE_OBS]` each, for the rows
/// of `obs` `[rows × BLUE_OBS]` with red out of sight.
pub fn self_other_pairs(
    obs: &[f32],
    rows: usize,
    variant: SooVariant,
    sight_radius: f32,
    rng: &mut SplitMix64,
) -> (Vec<f32>, Vec<f32>, usize) {
    let (mut a_self, mut a_other, mut k) = (Vec::new(), Vec::new(), 0);
    for r in 0..rows {
        let row = &obs[r * BLUE_OBS..(r + 1) * BLUE_OBS];
        if observe::blue_sees_red(row) {
            continue;
        }
        let other = match variant {
            SooVariant::RandomOther => {
                let j = (rng.next_u64() % rows as u64) as usize;
                obs[j * BLUE_OBS..(j + 1) * BLUE_OBS].to_vec()
            }
            _ => observe::with_red_at(row, uniform_in_disc(rng, sight_radius * 0.999)).to_vec(),
        };
        a_self.extend_from_slice(row);
        a_other.extend_from_slice(&other);
        k += 1;
    }
    (a_self, a_other, k)
}

/// The weighted loss (summed in f64) and its gradient with respect to `actor.params`, on blue's observations
/// `obs` `[rows × BLUE_OBS]`.
pub fn loss_and_gradient(
    actor: &Mlp,
    baseline: &Mlp,
    obs: &[f32],
    rows: usize,
    config: &SooConfig,
    sight_radius: f32,
    rng: &mut SplitMix64,
) -> (f64, SooTerms, Vec<f32>) {
    let mut grads = vec![0.0; actor.params.len()];
    let mut terms = SooTerms::default();
    let mut overlap = 0.0f64;
    if config.variant != SooVariant::CapabilityOnly {
        let (s, o, k) = self_other_pairs(obs, rows, config.variant, sight_radius, rng);
        terms.rows_out_of_sight = k;
        if k > 0 {
            let (ts, to) = (actor.forward(&s, k), actor.forward(&o, k));
            let count = (ts.acts[1].len() + ts.acts[2].len()) as f32;
            let mut sum = 0.0f64;
            let d_self: Vec<Vec<f32>> = (1..=2)
                .map(|l| {
                    ts.acts[l]
                        .iter()
                        .zip(&to.acts[l])
                        .map(|(a, b)| {
                            sum += ((a - b) * (a - b)) as f64;
                            config.overlap_weight * 2.0 * (a - b) / count
                        })
                        .collect()
                })
                .collect();
            overlap = sum / count as f64;
            terms.overlap = overlap as f32;
            let d_other: Vec<Vec<f32>> = d_self
                .iter()
                .map(|d| d.iter().map(|v| -v).collect())
                .collect();
            actor.backward(
                &ts,
                &[None, Some(&d_self[0]), Some(&d_self[1]), None],
                &mut grads,
            );
            actor.backward(
                &to,
                &[None, Some(&d_other[0]), Some(&d_other[1]), None],
                &mut grads,
            );
        }
    }
    let trace = actor.forward(obs, rows);
    let reference = baseline.forward(obs, rows);
    let (v, v0) = (trace.output(), reference.output());
    let n = v.len() as f32;
    let capability = v
        .iter()
        .zip(v0)
        .map(|(a, b)| ((a - b) * (a - b)) as f64)
        .sum::<f64>()
        / n as f64;
    terms.capability = capability as f32;
    let d_v: Vec<f32> = v
        .iter()
        .zip(v0)
        .map(|(a, b)| config.capability_weight * 2.0 * (a - b) / n)
        .collect();
    actor.backward(&trace, &[None, None, None, Some(&d_v)], &mut grads);
    let loss =
        config.overlap_weight as f64 * overlap + config.capability_weight as f64 * capability;
    (loss, terms, grads)
}

/// The fine-tuning step's state: the frozen baseline and its own optimizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SooStep {
    /// The settings.
    pub config: SooConfig,
    /// Blue's actor at the start of fine-tuning (the capability term's reference).
    pub baseline: Mlp,
    /// The step's Adam.
    pub opt: Adam,
}

impl SooStep {
    /// A step that keeps `baseline` as the reference.
    pub fn new(baseline: Mlp, config: &SooConfig) -> SooStep {
        SooStep {
            opt: Adam::new(baseline.params.len(), config.lr),
            config: config.clone(),
            baseline,
        }
    }

    /// One Adam step of `actor` on the loss over `obs` `[rows × BLUE_OBS]`.
    pub fn apply(
        &mut self,
        actor: &mut Mlp,
        obs: &[f32],
        rows: usize,
        grad_clip: f32,
        sight_radius: f32,
        rng: &mut SplitMix64,
    ) -> Result<SooTerms> {
        let (loss, terms, mut grads) = loss_and_gradient(
            actor,
            &self.baseline,
            obs,
            rows,
            &self.config,
            sight_radius,
            rng,
        );
        if !loss.is_finite() {
            return Err(Error::Unsupported(format!(
                "rl SOO fine-tuning diverged (overlap {}, capability {})",
                terms.overlap, terms.capability
            )));
        }
        clip_grad_norm(&mut grads, grad_clip);
        self.opt.step(&mut actor.params, &grads);
        Ok(terms)
    }
}
