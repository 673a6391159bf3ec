//! The self-check: one forward + backward + optimizer step of a tiny MLP on fixed inputs.
//!
//! It exercises exactly what SOO training needs from a backend (matrix products, a
//! non-linearity, autodiff, Adam) on numbers small enough to compare across backends and
//! against PyTorch (`scripts/fixtures/tiny_mlp_step.py` writes the reference). Weights and
//! inputs are drawn on the host by [`SplitMix64`], so every backend starts from the same bits.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::base::rng::SplitMix64;
use crate::base::tensor::read_f32;

/// Sizes and optimizer settings of the self-check. The defaults are what the fixtures use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TinyStepConfig {
    /// Seed of the host RNG that draws inputs, targets and weights.
    pub seed: u64,
    /// Rows in the batch.
    pub batch: usize,
    /// Input features.
    pub d_in: usize,
    /// Hidden units.
    pub d_hidden: usize,
    /// Output features.
    pub d_out: usize,
    /// Adam learning rate.
    pub lr: f64,
}

impl Default for TinyStepConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            batch: 4,
            d_in: 3,
            d_hidden: 8,
            d_out: 2,
            lr: 0.01,
        }
    }
}

/// What one step produced: enough to tell two backends apart at the 1e-6 level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TinyStepReport {
    /// MSE loss of the initial weights.
    pub loss_before: f32,
    /// MSE loss after one Adam step.
    pub loss_after: f32,
    /// All parameters after the step, flattened in the order
    /// `l1.weight [d_in, d_hidden]`, `l1.bias`, `l2.weight [d_hidden, d_out]`, `l2.bias`.
    pub weights_after: Vec<f32>,
}

/// `tanh(x W1 + b1) W2 + b2`.
#[derive(Module, Debug)]
struct TinyMlp {
    l1: Linear,
    l2: Linear,
}

impl TinyMlp {
    /// `input: [batch, d_in]` → `[batch, d_out]`.
    fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        self.l2.forward(self.l1.forward(input).tanh())
    }
}

/// A `Linear` whose weights come from the host RNG, uniform in ±1/sqrt(d_in) like PyTorch's.
fn host_linear(rng: &mut SplitMix64, d_in: usize, d_out: usize, device: &Device) -> Linear {
    let bound = 1.0 / (d_in as f32).sqrt();
    let weight = rng.uniform_vec(d_in * d_out, bound);
    let bias = rng.uniform_vec(d_out, bound);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(
            TensorData::new(weight, [d_in, d_out]),
            device,
        )),
        bias: Some(Param::from_tensor(Tensor::from_data(
            TensorData::new(bias, [d_out]),
            device,
        ))),
    }
}

fn mse(prediction: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    (prediction - target).square().mean()
}

/// Runs the self-check on `device` (which must have autodiff enabled).
pub async fn run_tiny_step(config: &TinyStepConfig, device: &Device) -> Result<TinyStepReport> {
    let TinyStepConfig {
        seed,
        batch,
        d_in,
        d_hidden,
        d_out,
        lr,
    } = *config;
    let mut rng = SplitMix64::new(seed);
    let input = Tensor::<2>::from_data(
        TensorData::new(rng.uniform_vec(batch * d_in, 1.0), [batch, d_in]),
        device,
    );
    let target = Tensor::<2>::from_data(
        TensorData::new(rng.uniform_vec(batch * d_out, 1.0), [batch, d_out]),
        device,
    );
    let model = TinyMlp {
        l1: host_linear(&mut rng, d_in, d_hidden, device),
        l2: host_linear(&mut rng, d_hidden, d_out, device),
    };

    let loss = mse(model.forward(input.clone()), target.clone());
    let loss_before = read_f32(loss.clone()).await?[0];
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    // PyTorch's Adam defaults, so that the fixture needs no translation.
    let mut optimizer = AdamConfig::new().with_epsilon(1e-8).init();
    let model = optimizer.step(lr, model, grads);

    let loss_after = read_f32(mse(model.forward(input), target)).await?[0];
    let mut weights_after = Vec::new();
    for linear in [&model.l1, &model.l2] {
        weights_after.extend(read_f32(linear.weight.val()).await?);
        if let Some(bias) = &linear.bias {
            weights_after.extend(read_f32(bias.val()).await?);
        }
    }
    Ok(TinyStepReport {
        loss_before,
        loss_after,
        weights_after,
    })
}
