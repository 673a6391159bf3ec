//! Llama (2, 3, 3.x; SmolLM2 and other Llama-shaped models) and Mistral, which is Llama with a
//! sliding attention window. Both read the same config.json fields.

use serde::Deserialize;

use super::shared::{config_error, head_dim, layer_windows};
use crate::Result;
use crate::model::attention::AttentionSpec;
use crate::model::decoder::Spec;
use crate::model::mlp::Activation;
use crate::model::rope::{Rope, RopeConfig};

/// config.json of `model_type` `llama` or `mistral`. Fields absent from the file take
/// transformers' defaults.
#[derive(Debug, Clone, Deserialize)]
pub struct LlamaConfig {
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
    /// Key/value heads (grouped-query attention); defaults to `num_attention_heads`.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    /// Per-head width; defaults to `hidden_size / num_attention_heads`.
    #[serde(default)]
    pub head_dim: Option<usize>,
    /// RMSNorm epsilon.
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    /// RoPE base (older files; transformers 5 moves it into `rope_parameters`).
    #[serde(default)]
    pub rope_theta: Option<f64>,
    /// RoPE scaling, older spelling.
    #[serde(default)]
    pub rope_scaling: Option<RopeConfig>,
    /// RoPE base and scaling, transformers 5 spelling.
    #[serde(default)]
    pub rope_parameters: Option<RopeConfig>,
    /// MLP activation.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Biases on q, k, v and o.
    #[serde(default)]
    pub attention_bias: bool,
    /// Biases on the MLP projections.
    #[serde(default)]
    pub mlp_bias: bool,
    /// Output projection shares the embedding table.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Mistral: each query sees at most this many keys, itself included.
    #[serde(default)]
    pub sliding_window: Option<usize>,
    /// transformers 5: `sliding_attention` or `full_attention` per layer.
    #[serde(default)]
    pub layer_types: Option<Vec<String>>,
}

fn default_eps() -> f64 {
    1e-6
}

fn default_act() -> String {
    "silu".into()
}

impl LlamaConfig {
    pub(crate) fn spec(&self) -> Result<Spec> {
        let heads = self.num_attention_heads;
        let kv_heads = self.num_key_value_heads.unwrap_or(heads);
        let head_dim = head_dim(self.head_dim, self.hidden_size, heads, kv_heads)?;
        let rope = self.rope_parameters.as_ref().or(self.rope_scaling.as_ref());
        // Without layer_types, a Mistral window applies to every layer.
        let default_types = vec!["sliding_attention".to_string(); self.num_hidden_layers];
        let types = match (&self.layer_types, self.sliding_window) {
            (Some(types), _) => Some(types),
            (None, Some(_)) => Some(&default_types),
            (None, None) => None,
        };
        if self.num_hidden_layers == 0 {
            return Err(config_error("num_hidden_layers is 0"));
        }
        Ok(Spec {
            vocab: self.vocab_size,
            intermediate: self.intermediate_size,
            layers: self.num_hidden_layers,
            attention: AttentionSpec {
                hidden: self.hidden_size,
                heads,
                kv_heads,
                head_dim,
                qkv_bias: self.attention_bias,
                o_bias: self.attention_bias,
                scale: 1.0 / (head_dim as f64).sqrt(),
                softcap: None,
            },
            rms_eps: self.rms_norm_eps,
            norm_offset: 0.0,
            act: Activation::parse(&self.hidden_act)?,
            mlp_bias: self.mlp_bias,
            sandwich: false,
            embed_scale: None,
            final_softcap: None,
            windows: layer_windows(self.num_hidden_layers, types, self.sliding_window)?,
            rope: Rope::new(head_dim, self.rope_theta, rope)?,
            tied: self.tie_word_embeddings,
        })
    }
}
