//! The gated MLP shared by every supported family: `down(act(gate(x)) * up(x))`, with SiLU
//! (Llama, Qwen 2, Mistral) or tanh-approximated GELU (Gemma 2's GeGLU).

use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::activation::silu;

use super::hooks::Hooks;
use super::path::Site;
use super::projection::Projection;
use super::weights::Weights;
use crate::{Error, Result};

/// The MLP's non-linearity, by its config.json name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    /// `silu` / `swish`.
    Silu,
    /// `gelu_pytorch_tanh` (and `gelu_new`, the same formula).
    GeluTanh,
}

impl Activation {
    pub(crate) fn parse(name: &str) -> Result<Self> {
        match name {
            "silu" | "swish" => Ok(Activation::Silu),
            "gelu_pytorch_tanh" | "gelu_new" | "gelu_fast" => Ok(Activation::GeluTanh),
            other => Err(Error::Unsupported(format!(
                "MLP activation '{other}' (soo knows silu and gelu_pytorch_tanh)"
            ))),
        }
    }

    fn apply(self, x: Tensor<3>) -> Tensor<3> {
        match self {
            Activation::Silu => silu(x),
            // 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))), with x³ as products: a float
            // power of a negative base is NaN on some backends.
            Activation::GeluTanh => {
                let cube = x.clone() * x.clone() * x.clone();
                let inner = (x.clone() + cube * 0.044715) * (2.0 / std::f64::consts::PI).sqrt();
                x * (inner.tanh() + 1.0) * 0.5
            }
        }
    }
}

#[derive(Module, Debug)]
pub struct Mlp {
    gate_proj: Projection,
    up_proj: Projection,
    down_proj: Projection,
    #[module(skip)]
    act: Activation,
}

impl Mlp {
    /// gate/up/down by site.
    pub(crate) fn projection_mut(&mut self, site: Site) -> Option<&mut Projection> {
        match site {
            Site::GateProj => Some(&mut self.gate_proj),
            Site::UpProj => Some(&mut self.up_proj),
            Site::DownProj => Some(&mut self.down_proj),
            _ => None,
        }
    }

    /// Loads `<prefix>.{gate,up,down}_proj`.
    pub(crate) fn load(
        weights: &Weights<'_>,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        bias: bool,
        act: Activation,
    ) -> Result<Self> {
        let proj = |name: &str, d_in, d_out| {
            Projection::load(weights, &format!("{prefix}.{name}"), d_in, d_out, bias)
        };
        Ok(Mlp {
            gate_proj: proj("gate_proj", hidden, intermediate)?,
            up_proj: proj("up_proj", hidden, intermediate)?,
            down_proj: proj("down_proj", intermediate, hidden)?,
            act,
        })
    }

    /// x: `[batch, seq, hidden]` → `[batch, seq, hidden]`.
    pub(crate) fn forward(&self, x: Tensor<3>, hooks: &mut Hooks<'_>) -> Tensor<3> {
        let gate = hooks.project(Site::GateProj, &self.gate_proj, x.clone());
        let up = hooks.project(Site::UpProj, &self.up_proj, x);
        let out = hooks.project(Site::DownProj, &self.down_proj, self.act.apply(gate) * up);
        hooks.offer(Site::Mlp, out)
    }
}
