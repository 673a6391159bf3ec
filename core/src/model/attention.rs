//! Multi-head attention with grouped-query heads, RoPE, optional logit soft-capping (Gemma 2),
//! causal + sliding-window + padding masks and a KV cache. Plain tensor ops only, so that it
//! runs (and differentiates) on every burn backend, wgpu included.

use burn::module::Module;
use burn::tensor::activation::softmax;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use super::hooks::Hooks;
use super::path::Site;
use super::projection::Projection;
use super::rope;
use super::weights::Weights;
use crate::Result;

/// Sizes and switches of one attention block, as the family's config sets them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttentionSpec {
    pub(crate) hidden: usize,
    pub(crate) heads: usize,
    pub(crate) kv_heads: usize,
    pub(crate) head_dim: usize,
    /// Bias on q, k and v (Qwen 2; Llama's `attention_bias`).
    pub(crate) qkv_bias: bool,
    /// Bias on o (Llama's `attention_bias`; never for Qwen 2).
    pub(crate) o_bias: bool,
    /// Multiplies q·k: 1/sqrt(head_dim), or Gemma 2's 1/sqrt(query_pre_attn_scalar).
    pub(crate) scale: f64,
    /// Gemma 2: scores become `cap * tanh(scores / cap)` before masking.
    pub(crate) softcap: Option<f64>,
}

#[derive(Module, Debug)]
pub struct Attention {
    q_proj: Projection,
    k_proj: Projection,
    v_proj: Projection,
    o_proj: Projection,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    scale: f64,
    softcap: Option<f64>,
}

/// Keys and values seen so far by one layer, after RoPE and before the GQA repeat:
/// each `[batch, kv_heads, past, head_dim]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct LayerCache {
    kv: Option<(Tensor<4>, Tensor<4>)>,
}

impl Attention {
    /// q/k/v/o by site.
    pub(crate) fn projection_mut(&mut self, site: Site) -> Option<&mut Projection> {
        match site {
            Site::QProj => Some(&mut self.q_proj),
            Site::KProj => Some(&mut self.k_proj),
            Site::VProj => Some(&mut self.v_proj),
            Site::OProj => Some(&mut self.o_proj),
            _ => None,
        }
    }

    /// Loads `<prefix>.{q,k,v,o}_proj`.
    pub(crate) fn load(weights: &Weights<'_>, prefix: &str, spec: &AttentionSpec) -> Result<Self> {
        let q_dim = spec.heads * spec.head_dim;
        let kv_dim = spec.kv_heads * spec.head_dim;
        let proj = |name: &str, d_in, d_out, bias| {
            Projection::load(weights, &format!("{prefix}.{name}"), d_in, d_out, bias)
        };
        Ok(Attention {
            q_proj: proj("q_proj", spec.hidden, q_dim, spec.qkv_bias)?,
            k_proj: proj("k_proj", spec.hidden, kv_dim, spec.qkv_bias)?,
            v_proj: proj("v_proj", spec.hidden, kv_dim, spec.qkv_bias)?,
            o_proj: proj("o_proj", q_dim, spec.hidden, spec.o_bias)?,
            heads: spec.heads,
            kv_heads: spec.kv_heads,
            head_dim: spec.head_dim,
            scale: spec.scale,
            softcap: spec.softcap,
        })
    }

    /// `[batch, seq, n * head_dim]` → `[batch, n, seq, head_dim]`.
    fn split_heads(&self, x: Tensor<3>, n: usize) -> Tensor<4> {
        let [batch, seq, _] = x.dims();
        x.reshape([batch, seq, n, self.head_dim]).swap_dims(1, 2)
    }

    /// `[batch, kv_heads, t, d]` → `[batch, heads, t, d]`; query head h reads kv head
    /// `h / (heads / kv_heads)`, as transformers' `repeat_kv` lays them out.
    fn repeat_kv(&self, x: Tensor<4>) -> Tensor<4> {
        let groups = self.heads / self.kv_heads;
        if groups == 1 {
            return x;
        }
        let [batch, kv_heads, t, d] = x.dims();
        x.unsqueeze_dim::<5>(2)
            .repeat_dim(2, groups)
            .reshape([batch, kv_heads * groups, t, d])
    }

    /// x: `[batch, seq, hidden]`; cos, sin: `[1, 1, seq, head_dim]` for the new positions;
    /// mask: `[batch, 1, seq, past + seq]`, true where attention is forbidden.
    /// Returns `[batch, seq, hidden]` and appends the new keys and values to `cache`.
    pub(crate) fn forward(
        &self,
        x: Tensor<3>,
        (cos, sin): (&Tensor<4>, &Tensor<4>),
        mask: &Tensor<4, Bool>,
        cache: Option<&mut LayerCache>,
        hooks: &mut Hooks<'_>,
    ) -> Tensor<3> {
        let [batch, seq, _] = x.dims();
        let q = hooks.project(Site::QProj, &self.q_proj, x.clone());
        let k = hooks.project(Site::KProj, &self.k_proj, x.clone());
        let v = hooks.project(Site::VProj, &self.v_proj, x);

        let q = rope::apply(self.split_heads(q, self.heads), cos, sin);
        let mut k = rope::apply(self.split_heads(k, self.kv_heads), cos, sin);
        let mut v = self.split_heads(v, self.kv_heads);
        if let Some(cache) = cache {
            if let Some((past_k, past_v)) = cache.kv.take() {
                k = Tensor::cat(vec![past_k, k], 2);
                v = Tensor::cat(vec![past_v, v], 2);
            }
            cache.kv = Some((k.clone(), v.clone()));
        }
        let (k, v) = (self.repeat_kv(k), self.repeat_kv(v));
        let total = k.dims()[2];

        // [batch, heads, seq, total]
        let mut scores = q.matmul(k.swap_dims(2, 3)) * self.scale;
        if let Some(cap) = self.softcap {
            scores = (scores / cap).tanh() * cap;
        }
        // A finite fill, not -inf: a row with every key masked (left padding) stays finite.
        let mask = mask.clone().expand([batch, self.heads, seq, total]);
        let probs = softmax(scores.mask_fill(mask, f32::MIN), 3);
        let out = probs
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([batch, seq, self.heads * self.head_dim]);
        let out = hooks.project(Site::OProj, &self.o_proj, out);
        hooks.offer(Site::SelfAttn, out)
    }
}

/// Which keys each new query may not see: `[batch, 1, seq, past + seq]`, true = masked.
/// Query i (absolute position `past + i`) sees key j when `j <= past + i`, when
/// `past + i - j < window` for a sliding-window layer, and when `padding[b, j] != 0`.
/// padding: `[batch, past + seq]` of 1 (token) and 0 (padding), as transformers takes it.
pub(crate) fn attention_mask(
    batch: usize,
    past: usize,
    seq: usize,
    window: Option<usize>,
    padding: Option<&Tensor<2, Int>>,
    device: &Device,
) -> Tensor<4, Bool> {
    let total = past + seq;
    let mut blocked = Vec::with_capacity(seq * total);
    for i in 0..seq {
        let query = past + i;
        for key in 0..total {
            let future = key > query;
            let too_far = window.is_some_and(|w| key + w <= query);
            blocked.push(future || too_far);
        }
    }
    let causal = Tensor::<2, Bool>::from_data(TensorData::new(blocked, [seq, total]), device)
        .reshape([1, 1, seq, total])
        .expand([batch, 1, seq, total]);
    match padding {
        None => causal,
        Some(padding) => {
            let pad = padding
                .clone()
                .equal_elem(0)
                .reshape([batch, 1, 1, total])
                .expand([batch, 1, seq, total]);
            causal.bool_or(pad)
        }
    }
}
