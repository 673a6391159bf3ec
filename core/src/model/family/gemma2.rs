//! Gemma 2: embeddings scaled by sqrt(hidden), RMSNorm by (1 + w), GeGLU with tanh-GELU, norms
//! before and after both attention and MLP, soft-capped attention scores and logits,
//! alternating sliding-window and global layers, and `query_pre_attn_scalar` for the score scale.

use serde::Deserialize;

use super::shared::{config_error, head_dim, layer_windows};
use crate::Result;
use crate::model::attention::AttentionSpec;
use crate::model::decoder::Spec;
use crate::model::mlp::Activation;
use crate::model::rope::{Rope, RopeConfig};

/// config.json of `model_type` `gemma2`. Fields absent from the file take transformers'
/// defaults (note that the soft-caps default to on; `null` turns them off).
#[derive(Debug, Clone, Deserialize)]
pub struct Gemma2Config {
    /// Tokens in the vocabulary.
    pub vocab_size: usize,
    /// Width of the residual stream.
    pub hidden_size: usize,
    /// Width of the MLP.
    pub intermediate_size: usize,
    /// Decoder layers.
    pub num_hidden_layers: usize,
    /// Query heads.
    pub num_attention_heads: usize,
    /// Key/value heads; defaults to `num_attention_heads`.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    /// Per-head width.
    #[serde(default = "default_head_dim")]
    pub head_dim: usize,
    /// RMSNorm epsilon.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// RoPE base (older files).
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// RoPE scaling, older spelling.
    #[serde(default)]
    pub rope_scaling: Option<RopeConfig>,
    /// RoPE base and scaling, transformers 5 spelling.
    #[serde(default)]
    pub rope_parameters: Option<RopeConfig>,
    /// MLP activation.
    #[serde(default)]
    pub hidden_activation: Option<String>,
    /// MLP activation, older spelling (used when `hidden_activation` is absent).
    #[serde(default)]
    pub hidden_act: Option<String>,
    /// Biases on q, k, v and o.
    #[serde(default)]
    pub attention_bias: bool,
    /// Scores are scaled by `query_pre_attn_scalar ** -0.5` (not `head_dim ** -0.5`).
    #[serde(default = "default_head_dim")]
    pub query_pre_attn_scalar: usize,
    /// Scores become `cap * tanh(scores / cap)`.
    #[serde(default = "default_attn_cap")]
    pub attn_logit_softcapping: Option<f64>,
    /// Logits become `cap * tanh(logits / cap)`.
    #[serde(default = "default_final_cap")]
    pub final_logit_softcapping: Option<f64>,
    /// Window of the sliding layers.
    #[serde(default = "default_window")]
    pub sliding_window: Option<usize>,
    /// `sliding_attention` or `full_attention` per layer; defaults to alternating, from
    /// sliding.
    #[serde(default)]
    pub layer_types: Option<Vec<String>>,
    /// Output projection shares the embedding table.
    #[serde(default = "default_tied")]
    pub tie_word_embeddings: bool,
}

fn default_head_dim() -> usize {
    256
}

fn default_eps() -> f64 {
    1e-6
}

fn default_attn_cap() -> Option<f64> {
    Some(50.0)
}

fn default_final_cap() -> Option<f64> {
    Some(30.0)
}

fn default_window() -> Option<usize> {
    Some(4096)
}

fn default_tied() -> bool {
    true
}

impl Gemma2Config {
    pub(crate) fn spec(&self) -> Result<Spec> {
        let heads = self.num_attention_heads;
        let kv_heads = self.num_key_value_heads.unwrap_or(heads);
        let head_dim = head_dim(Some(self.head_dim), self.hidden_size, heads, kv_heads)?;
        let rope = self.rope_parameters.as_ref().or(self.rope_scaling.as_ref());
        let layers = self.num_hidden_layers;
        if layers == 0 || self.query_pre_attn_scalar == 0 {
            return Err(config_error(
                "num_hidden_layers and query_pre_attn_scalar must be positive",
            ));
        }
        let alternating: Vec<String> = (0..layers)
            .map(|i| {
                if i % 2 == 0 {
                    "sliding_attention".into()
                } else {
                    "full_attention".into()
                }
            })
            .collect();
        let types = self.layer_types.as_ref().unwrap_or(&alternating);
        let act = self
            .hidden_activation
            .as_deref()
            .or(self.hidden_act.as_deref())
            .unwrap_or("gelu_pytorch_tanh");
        Ok(Spec {
            vocab: self.vocab_size,
            intermediate: self.intermediate_size,
            layers,
            attention: AttentionSpec {
                hidden: self.hidden_size,
                heads,
                kv_heads,
                head_dim,
                qkv_bias: self.attention_bias,
                o_bias: self.attention_bias,
                scale: 1.0 / (self.query_pre_attn_scalar as f64).sqrt(),
                softcap: self.attn_logit_softcapping,
            },
            rms_eps: self.rms_norm_eps,
            norm_offset: 1.0,
            act: Activation::parse(act)?,
            mlp_bias: false,
            sandwich: true,
            embed_scale: Some((self.hidden_size as f64).sqrt()),
            final_softcap: self.final_logit_softcapping,
            windows: layer_windows(layers, Some(types), self.sliding_window)?,
            rope: Rope::new(head_dim, self.rope_theta, rope)?,
            tied: self.tie_word_embeddings,
        })
    }
}
