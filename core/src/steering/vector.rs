//! The difference-of-means steering vector: `v = mean(A_self) − mean(A_other)` over the SOO
//! training pairs, at the hook SOO trains, at the last token or each prompt's mean over its
//! tokens (docs/eval.md "Steering baseline").
//!
//! **The sign.** The deception suites ask about another person (a burglar, a competitor): the
//! prompts the model is steered on are other-referencing. SOO's premise is that a model is
//! honest with itself, so what should help is the model representing the other the way it
//! represents itself. Added to an other-referencing prompt, `v` moves the hook's output from the
//! other-prompts' mean towards the self-prompts' mean, by exactly that gap at strength 1 (on the
//! pairs it was computed from). A negative strength steers the other way, the natural check
//! that the sign matters.

use burn::module::Module;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::base::tensor::read_f32;
use crate::eval::measure::batch::{device_of, right_padded};
use crate::eval::measure::latent::{real_mean, rows_at};
use crate::lora::Lora;
use crate::model::{Model, ModulePath, Positions, Site, Steering};
use crate::{Error, Result};

/// How the vector was computed, in words, as the sidecar file states it.
pub const DIRECTION: &str = "mean(self) - mean(other)";

/// What a steering vector was computed from and the scale it lives on: the sidecar file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorInfo {
    /// The model it was computed on (`--model`, with any adapters), when known.
    pub model: Option<String>,
    /// Adapters applied to the model when it was computed, in order.
    #[serde(default)]
    pub adapters: Vec<String>,
    /// The module whose output it was computed from and is added to.
    pub hook: ModulePath,
    /// Which positions of each prompt were averaged: `last` or `mean`.
    pub positions: Positions,
    /// Self/other pairs averaged over.
    pub pairs: usize,
    /// Values in the vector: the hook's output width.
    pub width: usize,
    /// Always [`DIRECTION`].
    pub direction: String,
    /// `‖v‖₂`.
    pub norm: f64,
    /// The hook's typical output norm: `‖A‖₂` at the same positions (the last token, or the
    /// mean of each token's norm), averaged over every self and other prompt.
    pub activation_norm: f64,
    /// The residual stream's typical norm after the hook's layer, measured the same way.
    pub residual_norm: f64,
}

/// A steering vector `[width]` and what it was computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct SteeringVector {
    /// Where it comes from and its scale.
    pub info: VectorInfo,
    /// `[width]`: `mean(A_self) − mean(A_other)`.
    pub vector: Vec<f32>,
}

impl SteeringVector {
    /// The steering that adds `strength · v` at the hook.
    pub fn steering(&self, strength: f32) -> Result<Steering> {
        Steering::new(self.info.hook, self.vector.clone(), strength)
    }

    /// The norm added at strength `strength`, as a fraction of the hook's typical output norm.
    pub fn relative_to_activation(&self, strength: f32) -> f64 {
        ratio(
            f64::from(strength).abs() * self.info.norm,
            self.info.activation_norm,
        )
    }

    /// The norm added at strength `strength`, as a fraction of the residual stream's typical
    /// norm at that layer.
    pub fn relative_to_residual(&self, strength: f32) -> f64 {
        ratio(
            f64::from(strength).abs() * self.info.norm,
            self.info.residual_norm,
        )
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { f64::NAN }
}

/// The difference-of-means vector of `pairs` (token ids `(self, other)`) at `hook`, from the
/// model as it runs (with its adapter), `batch_pairs` pairs per forward pass; `pad` fills the
/// right padding (never read). The model must not be steered already.
pub async fn mean_difference(
    model: &Model<Lora>,
    pairs: &[(Vec<u32>, Vec<u32>)],
    hook: ModulePath,
    positions: Positions,
    batch_pairs: usize,
    pad: u32,
) -> Result<SteeringVector> {
    if positions == Positions::All {
        return Err(Error::Unsupported(
            "a steering vector averages each prompt to one vector: use positions last or mean \
             (`all` compares aligned positions pair by pair, which one added vector cannot \
             follow)"
                .into(),
        ));
    }
    if pairs.is_empty() {
        return Err(Error::Unsupported(
            "a steering vector needs at least one self/other pair".into(),
        ));
    }
    if model.steering().is_some() {
        return Err(Error::Unsupported(
            "a steering vector is computed from an unsteered model".into(),
        ));
    }
    hook.check(model.num_layers())?;
    let width = model.shape().dims(hook.site).1;
    // Per side: the sum of pooled activations `[width]`, then the summed norms of the hook's
    // output and of the residual stream.
    let mut sums = [vec![0.0f64; width + 2], vec![0.0f64; width + 2]];
    for chunk in pairs.chunks(batch_pairs.max(1)) {
        let selves: Vec<Vec<u32>> = chunk.iter().map(|(s, _)| s.clone()).collect();
        let others: Vec<Vec<u32>> = chunk.iter().map(|(_, o)| o.clone()).collect();
        for (sum, side) in sums.iter_mut().zip([selves, others]) {
            let values = side_sums(model, &side, hook, positions, pad).await?;
            for (total, value) in sum.iter_mut().zip(values) {
                *total += f64::from(value);
            }
        }
    }
    let n = pairs.len() as f64;
    let [self_sum, other_sum] = &sums;
    let vector: Vec<f32> = (0..width)
        .map(|i| ((self_sum[i] - other_sum[i]) / n) as f32)
        .collect();
    let norm = vector
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        .sqrt();
    let prompts = 2.0 * n;
    Ok(SteeringVector {
        info: VectorInfo {
            model: None,
            adapters: Vec::new(),
            hook,
            positions,
            pairs: pairs.len(),
            width,
            direction: DIRECTION.into(),
            norm,
            activation_norm: (self_sum[width] + other_sum[width]) / prompts,
            residual_norm: (self_sum[width + 1] + other_sum[width + 1]) / prompts,
        },
        vector,
    })
}

/// One side of a chunk (all its self prompts, or all its other prompts) in one pass up to the
/// hook's layer: `[width + 2]`, the pooled activations summed over the prompts, then the summed
/// norms of the hook's output and of the residual stream at the same positions.
async fn side_sums(
    model: &Model<Lora>,
    prompts: &[Vec<u32>],
    hook: ModulePath,
    positions: Positions,
    pad: u32,
) -> Result<Vec<f32>> {
    let model = model.valid();
    let device = device_of(&model)?;
    let (ids, lens) = right_padded(prompts, pad, &device)?;
    let residual = ModulePath::new(hook.layer, Site::Residual);
    let taken = model.activations(ids, None, &[hook, residual], false)?;
    let captured = |path: &ModulePath| {
        taken
            .get(path)
            .cloned()
            .ok_or_else(|| Error::Unsupported(format!("the model did not capture `{path}`")))
    };
    let (a, r) = (captured(&hook)?, captured(&residual)?);
    let pool = |x: Tensor<3>| match positions {
        Positions::Mean => real_mean(x, &lens),
        _ => rows_at(x, &lens.iter().map(|l| l - 1).collect::<Vec<_>>()),
    };
    // [batch, seq, 1]: each position's L2 norm, pooled like the activations.
    let norms = |x: Tensor<3>| pool(x.square().sum_dim(2).sqrt());
    let summed = Tensor::cat(
        vec![
            pool(a.clone()).sum_dim(0),
            norms(a).sum_dim(0),
            norms(r).sum_dim(0),
        ],
        1,
    );
    read_f32(summed).await
}
