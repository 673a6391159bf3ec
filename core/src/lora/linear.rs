//! One LoRA branch: `x · A · B · scaling`, beside one frozen linear projection.

use burn::module::{Module, Param, ParamId};
use burn::tensor::{Device, Distribution, Tensor, TensorData};

/// `A: [d_in, r]`, `B: [r, d_out]` (burn's `[in, out]` layout; peft stores the transposes,
/// `lora_A.weight: [r, d_in]` and `lora_B.weight: [d_out, r]`).
#[derive(Module, Debug)]
pub struct LoraLinear {
    pub(crate) a: Param<Tensor<2>>,
    pub(crate) b: Param<Tensor<2>>,
}

impl LoraLinear {
    /// A branch from host values: `a` row-major `[d_in, rank]`, `b` row-major `[rank, d_out]`.
    /// Parameter ids are `id` (A) and `id + 1` (B).
    pub(crate) fn from_host(
        id: u64,
        (a, d_in): (Vec<f32>, usize),
        (b, d_out): (Vec<f32>, usize),
        rank: usize,
        device: &Device,
    ) -> Self {
        let param = |id: u64, data: Vec<f32>, shape: [usize; 2]| {
            let tensor = Tensor::<2>::from_data(TensorData::new(data, shape), device);
            Param::initialized(ParamId::from(id), tensor.set_require_grad(true))
        };
        LoraLinear {
            a: param(id, a, [d_in, rank]),
            b: param(id + 1, b, [rank, d_out]),
        }
    }

    /// `(d_in, d_out)` of the projection this branch sits beside.
    pub fn dims(&self) -> (usize, usize) {
        (self.a.val().dims()[0], self.b.val().dims()[1])
    }

    /// `A`, `[d_in, r]`.
    pub fn a(&self) -> Tensor<2> {
        self.a.val()
    }

    /// `B`, `[r, d_out]`.
    pub fn b(&self) -> Tensor<2> {
        self.b.val()
    }

    /// x: `[batch, seq, d_in]` → `dropout(x) · A · B · scaling`, `[batch, seq, d_out]`.
    /// `dropout` is the probability of zeroing an input element (0 while not training); the
    /// mask comes from the device's random generator, which the trainer seeds every step.
    pub(crate) fn delta(&self, x: Tensor<3>, scaling: f64, dropout: f64) -> Tensor<3> {
        let x = if dropout > 0.0 {
            let keep = x.random_like(Distribution::Bernoulli(1.0 - dropout));
            x * keep / (1.0 - dropout)
        } else {
            x
        };
        x.matmul(self.a.val().unsqueeze())
            .matmul(self.b.val().unsqueeze())
            * scaling
    }

    /// `A · B · scaling`, `[d_in, d_out]`: what merging adds to the base weight.
    pub(crate) fn merged_delta(&self, scaling: f64) -> Tensor<2> {
        self.a.val().matmul(self.b.val()) * scaling
    }
}
