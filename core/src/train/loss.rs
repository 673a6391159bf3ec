//! The training losses, on tensors (no tokenizers, no files), each a scalar `[1]` in f32 with
//! gradients through every input that has them. Positions that are padding never count.
//!
//! Definitions (the PyTorch reference `scripts/fixtures/soo_step.py` computes the same):
//! - SOO MSE, `all`: position t of pair i counts when it is real on both sides
//!   (`t < len_self_i` and `t < len_other_i`); the mean of squared differences over counted
//!   positions and all features.
//! - SOO MSE, `last`: each side's last real token; the mean over pairs and features.
//! - SOO MSE, `mean`: each side's mean over its real tokens; the mean over pairs and features.
//! - logit KL: `KL(p_other ‖ p_self)` at the positions `all` counts, averaged over them.
//! - LM: next-token cross-entropy where both the position and the next one are real (and the
//!   next one is past the prompt, for supervised fine-tuning).
//! - KL to base: `KL(p_base ‖ p_model)` averaged over real positions.

use crate::model::Positions;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// A `[batch, width, 1]` tensor of per-position weights from a host function.
fn weights(
    lengths: &[usize],
    width: usize,
    weight: impl Fn(usize, usize) -> f32,
    device: &Device,
) -> Tensor<3> {
    let mut values = Vec::with_capacity(lengths.len() * width);
    for (row, _) in lengths.iter().enumerate() {
        for t in 0..width {
            values.push(weight(row, t));
        }
    }
    Tensor::from_data(TensorData::new(values, [lengths.len(), width, 1]), device)
}

/// Positions counted by `all`: `[batch, width, 1]` with 1 where both sides are real, and
/// their number. `width` is the shorter side's padded width.
fn aligned(
    self_lens: &[usize],
    other_lens: &[usize],
    width: usize,
    device: &Device,
) -> (Tensor<3>, usize) {
    let common: Vec<usize> = self_lens
        .iter()
        .zip(other_lens)
        .map(|(s, o)| (*s).min(*o).min(width))
        .collect();
    let count = common.iter().sum();
    (
        weights(
            &common,
            width,
            |row, t| (t < common[row]) as u8 as f32,
            device,
        ),
        count,
    )
}

/// Per-row pooling of `[batch, width, hidden]` → `[batch, 1, hidden]` by `positions`
/// (`last` or `mean`).
fn pool(x: Tensor<3>, lengths: &[usize], positions: Positions) -> Tensor<3> {
    let [_, width, _] = x.dims();
    let w = match positions {
        Positions::Last => weights(
            lengths,
            width,
            |row, t| (t + 1 == lengths[row]) as u8 as f32,
            &x.device(),
        ),
        _ => weights(
            lengths,
            width,
            |row, t| {
                if t < lengths[row] {
                    1.0 / lengths[row] as f32
                } else {
                    0.0
                }
            },
            &x.device(),
        ),
    };
    (x * w).sum_dim(1)
}

/// The SOO loss: MSE between self activations `[batch, self_width, hidden]` and other
/// activations `[batch, other_width, hidden]`, compared at `positions`.
pub fn soo_mse(
    a_self: Tensor<3>,
    self_lens: &[usize],
    a_other: Tensor<3>,
    other_lens: &[usize],
    positions: Positions,
) -> Tensor<1> {
    let [batch, self_width, hidden] = a_self.dims();
    let other_width = a_other.dims()[1];
    match positions {
        Positions::All => {
            let width = self_width.min(other_width);
            let (mask, count) = aligned(self_lens, other_lens, width, &a_self.device());
            let diff = a_self.narrow(1, 0, width) - a_other.narrow(1, 0, width);
            (diff.square() * mask).sum() / (count.max(1) * hidden) as f64
        }
        Positions::Last | Positions::Mean => {
            let diff = pool(a_self, self_lens, positions) - pool(a_other, other_lens, positions);
            diff.square().sum() / (batch * hidden) as f64
        }
    }
}

/// The authors' logit loss: `KL(p_other ‖ p_self)` from logits `[batch, width, vocab]` of
/// each side, averaged over the positions real on both sides.
pub fn logit_kl(
    logits_self: Tensor<3>,
    self_lens: &[usize],
    logits_other: Tensor<3>,
    other_lens: &[usize],
) -> Tensor<1> {
    let width = logits_self.dims()[1].min(logits_other.dims()[1]);
    let (mask, count) = aligned(self_lens, other_lens, width, &logits_self.device());
    let log_p_self = log_softmax(logits_self.narrow(1, 0, width), 2);
    let log_p_other = log_softmax(logits_other.narrow(1, 0, width), 2);
    let kl = (log_p_other.clone().exp() * (log_p_other - log_p_self)).sum_dim(2);
    (kl * mask).sum() / count.max(1) as f64
}

/// Next-token cross-entropy of logits `[batch, width, vocab]` on `ids` `[batch, width]`: the
/// prediction of token t + 1 counts when it is real and `t + 1 >= scored_from[row]` (a prompt
/// before it is context only, as in supervised fine-tuning; 0 scores the whole text).
pub fn lm(
    logits: Tensor<3>,
    ids: Tensor<2, Int>,
    lengths: &[usize],
    scored_from: &[usize],
) -> Tensor<1> {
    let [batch, width, _] = logits.dims();
    if width < 2 {
        return logits.sum() * 0.0;
    }
    let log_p = log_softmax(logits.narrow(1, 0, width - 1), 2);
    let next = ids.narrow(1, 1, width - 1).reshape([batch, width - 1, 1]);
    let picked = log_p.gather(2, next); // [batch, width - 1, 1]
    let counted = |row: usize, t: usize| t + 1 < lengths[row] && t + 1 >= scored_from[row].max(1);
    let count: usize = (0..batch)
        .map(|row| (0..width - 1).filter(|&t| counted(row, t)).count())
        .sum();
    let mask = weights(
        lengths,
        width - 1,
        |row, t| counted(row, t) as u8 as f32,
        &picked.device(),
    );
    -(picked * mask).sum() / count.max(1) as f64
}

/// `KL(p_base ‖ p_model)` from detached base logits and the model's, both
/// `[batch, width, vocab]`, averaged over real positions.
pub fn kl_to_base(base_logits: Tensor<3>, logits: Tensor<3>, lengths: &[usize]) -> Tensor<1> {
    let [_, width, _] = logits.dims();
    let log_p_base = log_softmax(base_logits, 2);
    let log_p = log_softmax(logits, 2);
    let kl = (log_p_base.clone().exp() * (log_p_base - log_p)).sum_dim(2);
    let count: usize = lengths.iter().sum();
    let mask = weights(
        lengths,
        width,
        |row, t| (t < lengths[row]) as u8 as f32,
        &kl.device(),
    );
    (kl * mask).sum() / count.max(1) as f64
}
