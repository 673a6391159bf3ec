//! The 64-64 Leaky-ReLU networks of the experiment, on the host: forward, backward and Adam
//! over one flat parameter vector.
//!
//! Why not burn tensors: the networks are tiny (about 5,000 weights) and the training loop
//! acts one observation at a time, 2 million times per baseline; per-operation dispatch would
//! dominate, and plain loops are fast, identical natively and in wasm, and easy to check (the
//! gradients are tested against finite differences in `core/tests/rl_learning.rs`).
//!
//! Layout of `params`: for each layer, the weight `[inputs × outputs]` (row `i` holds input
//! `i`'s weights to every output, so the forward pass is a sequence of contiguous axpys), then
//! the bias `[outputs]`.

use serde::{Deserialize, Serialize};

use crate::base::rng::SplitMix64;

/// PyTorch's default Leaky ReLU slope.
pub const LEAKY_SLOPE: f32 = 0.01;

/// What the last layer's output goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputFn {
    /// `tanh`: actions in `[-1, 1]` (the actors).
    Tanh,
    /// Nothing: values (the critics).
    Identity,
}

/// A multilayer perceptron with Leaky ReLU between layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    /// Widths: input, hidden..., output.
    pub sizes: Vec<usize>,
    /// Every weight and bias (see the module's layout).
    pub params: Vec<f32>,
    /// The output non-linearity.
    pub output: OutputFn,
}

/// The activations of one forward pass over `rows` inputs, kept for the backward pass.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Rows in the batch.
    pub rows: usize,
    /// `acts[0]` the input `[rows × sizes[0]]`, `acts[l]` layer l's output after its
    /// non-linearity `[rows × sizes[l]]`.
    pub acts: Vec<Vec<f32>>,
}

impl Trace {
    /// The network's output `[rows × outputs]`.
    pub fn output(&self) -> &[f32] {
        self.acts.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// The two hidden layers side by side, `[rows × 2·hidden]` (the SOO activations).
    pub fn hidden(&self) -> Vec<f32> {
        let (a, b) = (&self.acts[1], &self.acts[2]);
        let (wa, wb) = (a.len() / self.rows, b.len() / self.rows);
        let mut out = Vec::with_capacity(a.len() + b.len());
        for r in 0..self.rows {
            out.extend_from_slice(&a[r * wa..(r + 1) * wa]);
            out.extend_from_slice(&b[r * wb..(r + 1) * wb]);
        }
        out
    }
}

impl Mlp {
    /// PyTorch's `nn.Linear` initialisation (`U(±1/√fan_in)` for weights and biases); the last
    /// layer of a tanh network is drawn from `U(±3e-3)` as in maddpg-pytorch's `MLPNetwork`.
    pub fn new(sizes: &[usize], output: OutputFn, rng: &mut SplitMix64) -> Mlp {
        let mut params = Vec::new();
        let layers = sizes.len() - 1;
        for l in 0..layers {
            let (i, o) = (sizes[l], sizes[l + 1]);
            let bound = if l + 1 == layers && output == OutputFn::Tanh {
                3e-3
            } else {
                1.0 / (i as f32).sqrt()
            };
            params.extend(rng.uniform_vec(i * o + o, bound));
        }
        Mlp {
            sizes: sizes.to_vec(),
            params,
            output,
        }
    }

    /// Parameters a network of `sizes` has.
    pub fn param_count(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Whether the parameter count matches the sizes and every value is finite.
    pub fn is_well_formed(&self) -> bool {
        self.sizes.len() >= 2
            && self.sizes.iter().all(|&s| s > 0)
            && self.params.len() == Mlp::param_count(&self.sizes)
            && self.params.iter().all(|p| p.is_finite())
    }

    /// Inputs.
    pub fn inputs(&self) -> usize {
        self.sizes[0]
    }

    /// Outputs.
    pub fn outputs(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// Where layer `l`'s weight starts.
    fn offset(&self, l: usize) -> usize {
        Mlp::param_count(&self.sizes[..=l])
    }

    /// The forward pass over `x` `[rows × inputs]`.
    pub fn forward(&self, x: &[f32], rows: usize) -> Trace {
        let layers = self.sizes.len() - 1;
        let mut acts = vec![x.to_vec()];
        for l in 0..layers {
            let (ni, no) = (self.sizes[l], self.sizes[l + 1]);
            let off = self.offset(l);
            let (w, b) = (
                &self.params[off..off + ni * no],
                &self.params[off + ni * no..][..no],
            );
            let input = &acts[l];
            let mut out = vec![0.0f32; rows * no];
            for r in 0..rows {
                let y = &mut out[r * no..(r + 1) * no];
                y.copy_from_slice(b);
                for (i, &xi) in input[r * ni..(r + 1) * ni].iter().enumerate() {
                    for (yj, wij) in y.iter_mut().zip(&w[i * no..(i + 1) * no]) {
                        *yj += xi * wij;
                    }
                }
                let last = l + 1 == layers;
                for v in y.iter_mut() {
                    *v = match (last, self.output) {
                        (false, _) => leaky(*v),
                        (true, OutputFn::Tanh) => v.tanh(),
                        (true, OutputFn::Identity) => *v,
                    };
                }
            }
            acts.push(out);
        }
        Trace { rows, acts }
    }

    /// The output for one input.
    pub fn act(&self, x: &[f32]) -> Vec<f32> {
        let mut trace = self.forward(x, 1);
        trace.acts.pop().unwrap_or_default()
    }

    /// Backpropagates through `trace`. `d_acts[l]` (for `l` in `1..=layers`, index 0 unused)
    /// is an optional gradient of the loss with respect to layer `l`'s output (the last is the
    /// network's output); the parameter gradients are added to `grads` and the gradient with
    /// respect to the input `[rows × inputs]` is returned.
    pub fn backward(
        &self,
        trace: &Trace,
        d_acts: &[Option<&[f32]>],
        grads: &mut [f32],
    ) -> Vec<f32> {
        let layers = self.sizes.len() - 1;
        let rows = trace.rows;
        let mut d_out: Vec<f32> = vec![0.0; rows * self.sizes[layers]];
        for l in (0..layers).rev() {
            let (ni, no) = (self.sizes[l], self.sizes[l + 1]);
            if let Some(Some(extra)) = d_acts.get(l + 1) {
                for (d, e) in d_out.iter_mut().zip(extra.iter()) {
                    *d += e;
                }
            }
            // Through the non-linearity, from its output.
            let y = &trace.acts[l + 1];
            let last = l + 1 == layers;
            for (d, &v) in d_out.iter_mut().zip(y) {
                *d *= match (last, self.output) {
                    (false, _) => {
                        if v > 0.0 {
                            1.0
                        } else {
                            LEAKY_SLOPE
                        }
                    }
                    (true, OutputFn::Tanh) => 1.0 - v * v,
                    (true, OutputFn::Identity) => 1.0,
                };
            }
            let off = self.offset(l);
            let w = &self.params[off..off + ni * no];
            let input = &trace.acts[l];
            let (gw, rest) = grads[off..].split_at_mut(ni * no);
            let gb = &mut rest[..no];
            let mut d_in = vec![0.0f32; rows * ni];
            for r in 0..rows {
                let dz = &d_out[r * no..(r + 1) * no];
                for (g, d) in gb.iter_mut().zip(dz) {
                    *g += d;
                }
                let x = &input[r * ni..(r + 1) * ni];
                let dx = &mut d_in[r * ni..(r + 1) * ni];
                for i in 0..ni {
                    let wi = &w[i * no..(i + 1) * no];
                    for (g, d) in gw[i * no..(i + 1) * no].iter_mut().zip(dz) {
                        *g += x[i] * d;
                    }
                    dx[i] = dot(wi, dz);
                }
            }
            d_out = d_in;
        }
        d_out
    }

    /// `self ← τ·source + (1 - τ)·self` (soft target update).
    pub fn soft_update(&mut self, source: &Mlp, tau: f32) {
        for (t, s) in self.params.iter_mut().zip(&source.params) {
            *t += tau * (s - *t);
        }
    }
}

/// Leaky ReLU.
fn leaky(v: f32) -> f32 {
    if v > 0.0 { v } else { LEAKY_SLOPE * v }
}

/// A dot product with eight running sums (so that the compiler can vectorise it).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = a.len() / 8;
    for c in 0..chunks {
        for k in 0..8 {
            acc[k] += a[c * 8 + k] * b[c * 8 + k];
        }
    }
    let mut total: f32 = acc.iter().sum();
    for k in chunks * 8..a.len() {
        total += a[k] * b[k];
    }
    total
}

/// Scales `grads` so that their norm is at most `max_norm` (PyTorch's `clip_grad_norm_`).
pub fn clip_grad_norm(grads: &mut [f32], max_norm: f32) {
    let norm = grads.iter().map(|g| (g * g) as f64).sum::<f64>().sqrt() as f32;
    let scale = max_norm / (norm + 1e-6);
    if scale < 1.0 {
        for g in grads {
            *g *= scale;
        }
    }
}

/// PyTorch's Adam (no weight decay) over a flat parameter vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Learning rate.
    pub lr: f32,
    /// Steps taken.
    pub t: u32,
    /// First moments.
    pub m: Vec<f32>,
    /// Second moments.
    pub v: Vec<f32>,
}

impl Adam {
    /// A fresh optimizer for `len` parameters.
    pub fn new(len: usize, lr: f32) -> Adam {
        Adam {
            lr,
            t: 0,
            m: vec![0.0; len],
            v: vec![0.0; len],
        }
    }

    /// One step of `params` down `grads`.
    pub fn step(&mut self, params: &mut [f32], grads: &[f32]) {
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        self.t += 1;
        let c1 = 1.0 - b1.powi(self.t as i32);
        let c2 = 1.0 - b2.powi(self.t as i32);
        for ((p, g), (m, v)) in params
            .iter_mut()
            .zip(grads)
            .zip(self.m.iter_mut().zip(self.v.iter_mut()))
        {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= self.lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        }
    }
}
