//! One linear projection of a transformer (q/k/v/o, gate/up/down, lm_head). The LoRA branch
//! beside it is added by the forward pass's hooks (`hooks::Hooks::project`), so the frozen
//! weights stay as loaded unless an adapter is merged in.

use burn::module::{Module, Param};
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

impl Projection {
    /// `W += delta` (`[d_in, d_out]`), keeping the weight frozen: how a LoRA adapter is merged.
    pub(crate) fn add_to_weight(&mut self, delta: Tensor<2>) {
        let weight = &mut self.base.weight;
        let merged = (weight.val() + delta).detach();
        *weight = Param::initialized(weight.id, merged.set_require_grad(false));
    }
}
