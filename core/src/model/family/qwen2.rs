//! Qwen 2 (and 2.5): Llama's shape with biases on q, k and v (never on o or the MLP).

use serde::Deserialize;

use super::shared::{config_error, head_dim, layer_windows};
use crate::Result;
use crate::model::attention::AttentionSpec;
use crate::model::decoder::Spec;
use crate::model::mlp::Activation;
use crate::model::rope::{Rope, RopeConfig};

/// config.json of `model_type` `qwen2`. Fields absent from the file take transformers'
/// defaults.
#[derive(Debug, Clone, Deserialize)]
pub struct Qwen2Config {
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
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Output projection shares the embedding table.
    #[serde(default)]
    pub tie_word_embeddings: bool,
    /// Whether layers from `max_window_layers` on use a sliding window (older files).
    #[serde(default)]
    pub use_sliding_window: bool,
    /// The window, when used.
    #[serde(default)]
    pub sliding_window: Option<usize>,
    /// First layer with a sliding window when `use_sliding_window`.
    #[serde(default = "default_max_window_layers")]
    pub max_window_layers: usize,
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

fn default_max_window_layers() -> usize {
    28
}

impl Qwen2Config {
    pub(crate) fn spec(&self) -> Result<Spec> {
        let heads = self.num_attention_heads;
        let kv_heads = self.num_key_value_heads.unwrap_or(heads);
        let head_dim = head_dim(None, self.hidden_size, heads, kv_heads)?;
        let rope = self.rope_parameters.as_ref().or(self.rope_scaling.as_ref());
        let layers = self.num_hidden_layers;
        if layers == 0 {
            return Err(config_error("num_hidden_layers is 0"));
        }
        // transformers' rule when layer_types is absent.
        let derived: Vec<String> = (0..layers)
            .map(|i| {
                if self.use_sliding_window && i >= self.max_window_layers {
                    "sliding_attention".into()
                } else {
                    "full_attention".into()
                }
            })
            .collect();
        let types = self.layer_types.as_ref().unwrap_or(&derived);
        Ok(Spec {
            vocab: self.vocab_size,
            intermediate: self.intermediate_size,
            layers,
            attention: AttentionSpec {
                hidden: self.hidden_size,
                heads,
                kv_heads,
                head_dim,
                qkv_bias: true,
                o_bias: false,
                scale: 1.0 / (head_dim as f64).sqrt(),
                softcap: None,
            },
            rms_eps: self.rms_norm_eps,
            norm_offset: 0.0,
            act: Activation::parse(&self.hidden_act)?,
            mlp_bias: false,
            sandwich: false,
            embed_scale: None,
            final_softcap: None,
            windows: layer_windows(layers, Some(types), self.sliding_window)?,
            rope: Rope::new(head_dim, self.rope_theta, rope)?,
            tied: self.tie_word_embeddings,
        })
    }
}
