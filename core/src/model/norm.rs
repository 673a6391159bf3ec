//! RMSNorm as Hugging Face computes it: `x / sqrt(mean(x²) + eps) * (offset + w)`, with eps
//! inside the square root and offset 0 (Llama, Qwen 2, Mistral) or 1 (Gemma, whose weights are
//! stored as deviations from 1). burn-nn's RmsNorm has no offset, hence this one.

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use super::weights::Weights;
use crate::Result;

#[derive(Module, Debug)]
pub struct RmsNorm {
    /// `[hidden]`.
    weight: Param<Tensor<1>>,
    eps: f64,
    offset: f64,
}

impl RmsNorm {
    pub(crate) fn load(
        weights: &Weights<'_>,
        name: &str,
        hidden: usize,
        eps: f64,
        offset: f64,
    ) -> Result<Self> {
        Ok(RmsNorm {
            weight: weights.vector(&format!("{name}.weight"), hidden)?,
            eps,
            offset,
        })
    }

    /// x: `[batch, seq, hidden]` → same shape.
    pub(crate) fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let inv_rms = (x.clone().square().mean_dim(2) + self.eps).sqrt().recip();
        let scale = (self.weight.val() + self.offset).unsqueeze::<3>();
        x * inv_rms * scale
    }
}
