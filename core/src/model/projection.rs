//! One linear projection of a transformer (q/k/v/o, gate/up/down, lm_head). A struct of its own,
//! rather than a bare `Linear`, so that a LoRA branch can be added here without touching the
//! layers that use it.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Tensor;

use super::weights::Weights;
use crate::Result;

#[derive(Module, Debug)]
pub struct Projection {
    /// weight `[d_in, d_out]`, optional bias `[d_out]`.
    pub(crate) base: Linear,
}

impl Projection {
    /// Loads `<prefix>.weight` (`[d_out, d_in]` in the file) and, if `bias`, `<prefix>.bias`.
    pub(crate) fn load(
        weights: &Weights<'_>,
        prefix: &str,
        d_in: usize,
        d_out: usize,
        bias: bool,
    ) -> Result<Self> {
        Ok(Projection {
            base: weights.linear(prefix, d_in, d_out, bias)?,
        })
    }

    /// x: `[batch, seq, d_in]` → `[batch, seq, d_out]`.
    pub(crate) fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.base.forward(x)
    }
}
