//! The decoder-only transformer that every supported family is an instance of. The families'
//! configs (llama.rs, qwen2.rs, gemma2.rs) only translate config.json into a [`Spec`]; what
//! differs between them (norm offset, sandwich norms, soft-capping, windows, biases) is a
//! switch here, so the arithmetic exists once.

use burn::module::Module;
use burn::nn::Embedding;
use burn::tensor::{Int, Tensor};

use super::attention::{Attention, AttentionSpec, LayerCache, attention_mask};
use super::hooks::Hooks;
use super::mlp::{Activation, Mlp};
use super::norm::RmsNorm;
use super::path::Site;
use super::projection::Projection;
use super::rope::Rope;
use super::shape::ModelShape;
use super::weights::Weights;
use crate::Result;

/// Everything the decoder needs to know about a family and its sizes.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) vocab: usize,
    pub(crate) intermediate: usize,
    pub(crate) layers: usize,
    pub(crate) attention: AttentionSpec,
    pub(crate) rms_eps: f64,
    /// RMSNorm scales by `offset + w`: 0, or 1 for Gemma.
    pub(crate) norm_offset: f64,
    pub(crate) act: Activation,
    pub(crate) mlp_bias: bool,
    /// Gemma 2: norms after attention and after the MLP too ("sandwich").
    pub(crate) sandwich: bool,
    /// Gemma: embeddings are multiplied by sqrt(hidden).
    pub(crate) embed_scale: Option<f64>,
    /// Gemma 2: logits become `cap * tanh(logits / cap)`.
    pub(crate) final_softcap: Option<f64>,
    /// The sliding window of each layer, `None` for full attention.
    pub(crate) windows: Vec<Option<usize>>,
    pub(crate) rope: Rope,
    /// The output projection is the embedding table (no `lm_head.weight`).
    pub(crate) tied: bool,
}

impl Spec {
    /// Layer count and projection widths.
    pub(crate) fn shape(&self) -> ModelShape {
        let a = &self.attention;
        ModelShape {
            layers: self.layers,
            hidden: a.hidden,
            q_dim: a.heads * a.head_dim,
            kv_dim: a.kv_heads * a.head_dim,
            intermediate: self.intermediate,
        }
    }
}

#[derive(Module, Debug)]
pub struct DecoderLayer {
    input_layernorm: RmsNorm,
    self_attn: Attention,
    /// Gemma 2's `post_attention_layernorm`: applied to the attention output.
    attn_out_norm: Option<RmsNorm>,
    /// Llama's `post_attention_layernorm`, Gemma 2's `pre_feedforward_layernorm`.
    mlp_in_norm: RmsNorm,
    mlp: Mlp,
    /// Gemma 2's `post_feedforward_layernorm`.
    mlp_out_norm: Option<RmsNorm>,
    window: Option<usize>,
}

impl DecoderLayer {
    fn load(weights: &Weights<'_>, spec: &Spec, index: usize) -> Result<Self> {
        let prefix = format!("model.layers.{index}");
        let hidden = spec.attention.hidden;
        let norm = |name: &str| {
            RmsNorm::load(
                weights,
                &format!("{prefix}.{name}"),
                hidden,
                spec.rms_eps,
                spec.norm_offset,
            )
        };
        let (attn_out_norm, mlp_in_norm, mlp_out_norm) = if spec.sandwich {
            (
                Some(norm("post_attention_layernorm")?),
                norm("pre_feedforward_layernorm")?,
                Some(norm("post_feedforward_layernorm")?),
            )
        } else {
            (None, norm("post_attention_layernorm")?, None)
        };
        Ok(DecoderLayer {
            input_layernorm: norm("input_layernorm")?,
            self_attn: Attention::load(weights, &format!("{prefix}.self_attn"), &spec.attention)?,
            attn_out_norm,
            mlp_in_norm,
            mlp: Mlp::load(
                weights,
                &format!("{prefix}.mlp"),
                hidden,
                spec.intermediate,
                spec.mlp_bias,
                spec.act,
            )?,
            mlp_out_norm,
            window: spec.windows[index],
        })
    }

    /// x: `[batch, seq, hidden]` → `[batch, seq, hidden]`.
    fn forward(
        &self,
        x: Tensor<3>,
        rope: (&Tensor<4>, &Tensor<4>),
        mask: &Tensor<4, burn::tensor::Bool>,
        cache: Option<&mut LayerCache>,
        hooks: &mut Hooks<'_>,
    ) -> Tensor<3> {
        let h = self.input_layernorm.forward(x.clone());
        let mut h = self.self_attn.forward(h, rope, mask, cache, hooks);
        if let Some(norm) = &self.attn_out_norm {
            h = norm.forward(h);
        }
        let x = x + h;
        let mut h = self.mlp.forward(self.mlp_in_norm.forward(x.clone()), hooks);
        if let Some(norm) = &self.mlp_out_norm {
            h = norm.forward(h);
        }
        hooks.offer(Site::Residual, x + h)
    }
}

#[derive(Module, Debug)]
pub struct Decoder {
    embed_tokens: Embedding,
    layers: Vec<DecoderLayer>,
    norm: RmsNorm,
    /// `None` when tied to `embed_tokens`.
    lm_head: Option<Projection>,
    embed_scale: Option<f64>,
    final_softcap: Option<f64>,
    #[module(skip)]
    rope: Rope,
}

/// Keys and values of earlier positions, for incremental decoding: one per model and batch.
/// Make one with [`super::Model::new_cache`].
#[derive(Debug, Clone)]
pub struct KvCache {
    layers: Vec<LayerCache>,
    len: usize,
}

impl KvCache {
    pub(crate) fn new(layers: usize) -> Self {
        KvCache {
            layers: vec![LayerCache::default(); layers],
            len: 0,
        }
    }

    /// How many positions the cache holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been run yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Decoder {
    pub(crate) fn load(weights: &Weights<'_>, spec: &Spec) -> Result<Self> {
        let hidden = spec.attention.hidden;
        let embed_tokens = weights.embedding("model.embed_tokens.weight", spec.vocab, hidden)?;
        // A layer count larger than the weights hold fails now, not after loading them all.
        if let Some(last) = spec.layers.checked_sub(1) {
            let last = format!("model.layers.{last}.input_layernorm.weight");
            if weights.optional(&last, &[hidden])?.is_none() {
                return Err(weights.error(format!(
                    "config.json's num_hidden_layers is {}, but {last} is missing",
                    spec.layers
                )));
            }
        }
        let layers = (0..spec.layers)
            .map(|i| DecoderLayer::load(weights, spec, i))
            .collect::<Result<Vec<_>>>()?;
        let norm = RmsNorm::load(
            weights,
            "model.norm",
            hidden,
            spec.rms_eps,
            spec.norm_offset,
        )?;
        let lm_head = if spec.tied {
            None
        } else {
            Some(Projection::load(
                weights, "lm_head", hidden, spec.vocab, false,
            )?)
        };
        Ok(Decoder {
            embed_tokens,
            layers,
            norm,
            lm_head,
            embed_scale: spec.embed_scale,
            final_softcap: spec.final_softcap,
            rope: spec.rope.clone(),
        })
    }

    pub(crate) fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// The projection at `site` of `layer` (q/k/v/o, gate/up/down), if there is one.
    pub(crate) fn projection_mut(&mut self, layer: usize, site: Site) -> Option<&mut Projection> {
        let layer = self.layers.get_mut(layer)?;
        layer
            .self_attn
            .projection_mut(site)
            .or_else(|| layer.mlp.projection_mut(site))
    }

    /// ids: `[batch, seq]`; padding: `[batch, past + seq]` (checked by the caller).
    /// Returns logits `[batch, seq, vocab]`, or `None` when `last_layer` stops the pass after
    /// that layer (all that is wanted are captures up to it; no cache is then allowed).
    pub(crate) fn forward(
        &self,
        ids: Tensor<2, Int>,
        padding: Option<&Tensor<2, Int>>,
        mut cache: Option<&mut KvCache>,
        hooks: &mut Hooks<'_>,
        last_layer: Option<usize>,
    ) -> Option<Tensor<3>> {
        let device = ids.device();
        let [batch, seq] = ids.dims();
        let past = cache.as_ref().map_or(0, |c| c.len);
        let mut x = self.embed_tokens.forward(ids);
        if let Some(scale) = self.embed_scale {
            // transformers rounds the factor to the activations' dtype first.
            x = x * (scale as f32) as f64;
        }
        let (cos, sin) = self.rope.tables(past, seq, &device);
        // One mask per distinct window (Gemma 2 alternates two).
        let mut masks: Vec<(Option<usize>, Tensor<4, burn::tensor::Bool>)> = Vec::new();
        for (i, layer) in self.layers.iter().enumerate() {
            let slot = match masks.iter().position(|(w, _)| *w == layer.window) {
                Some(slot) => slot,
                None => {
                    let mask = attention_mask(batch, past, seq, layer.window, padding, &device);
                    masks.push((layer.window, mask));
                    masks.len() - 1
                }
            };
            let mask = &masks[slot].1;
            hooks.layer = i;
            let layer_cache = cache.as_deref_mut().map(|c| &mut c.layers[i]);
            x = layer.forward(x, (&cos, &sin), mask, layer_cache, hooks);
            if last_layer == Some(i) {
                debug_assert!(cache.is_none(), "a cache must see every layer");
                return None;
            }
        }
        if let Some(cache) = cache {
            cache.len += seq;
        }
        let x = self.norm.forward(x);
        let mut logits = match &self.lm_head {
            Some(head) => head.forward(x),
            None => {
                let [_, _, hidden] = x.dims();
                let table = self.embed_tokens.weight.val(); // [vocab, hidden]
                let vocab = table.dims()[0];
                x.reshape([batch * seq, hidden])
                    .matmul(table.transpose())
                    .reshape([batch, seq, vocab])
            }
        };
        if let Some(cap) = self.final_softcap {
            logits = (logits / cap).tanh() * cap;
        }
        Some(logits)
    }
}
