//! The toy world's network: a small model of the llama family, its config.json, and a random
//! initialisation (as transformers initialises Llama: normal(0, 0.02) weights, unit norms).

use std::collections::HashMap;

use burn::config::Config;
use burn::tensor::Device;
use serde_json::{Value, json};

use super::vocab::{BOS, EOS, PAD, Vocab};
use super::world::World;
use crate::Result;
use crate::base::rng::SplitMix64;
use crate::load::HostTensor;
use crate::lora::Lora;
use crate::model::{Model, ModelConfig};

/// The network's sizes.
#[derive(Config, Debug, PartialEq)]
pub struct ToyModelConfig {
    /// Width of the residual stream.
    #[config(default = 64)]
    pub hidden: usize,
    /// Decoder layers.
    #[config(default = 4)]
    pub layers: usize,
    /// Attention heads.
    #[config(default = 4)]
    pub heads: usize,
    /// Width of the MLP.
    #[config(default = 192)]
    pub intermediate: usize,
}

impl ToyModelConfig {
    /// The Hugging Face `config.json` of this network over the vocabulary of `world`.
    pub fn config_json(&self, world: World) -> Value {
        let vocab = Vocab::of(world);
        json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "vocab_size": vocab.len(),
            "hidden_size": self.hidden,
            "intermediate_size": self.intermediate,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.heads,
            "max_position_embeddings": 64,
            "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0,
            "hidden_act": "silu",
            "tie_word_embeddings": false,
            "bos_token_id": vocab.id(BOS),
            "eos_token_id": vocab.id(EOS),
            "pad_token_id": vocab.id(PAD),
            "torch_dtype": "float32"
        })
    }

    /// A freshly initialised, trainable model of [`Self::config_json`] (seeded: identical on
    /// every device).
    pub fn init(&self, world: World, seed: u64, device: &Device) -> Result<Model<Lora>> {
        let config = ModelConfig::from_json(&self.config_json(world))?;
        let source = self.random_weights(Vocab::of(world).len(), seed);
        Model::load_trainable(&config, &source, "random initialisation", device)
    }

    /// Every tensor of the checkpoint by its Hugging Face name, drawn in a fixed order.
    fn random_weights(&self, vocab: usize, seed: u64) -> HashMap<String, HostTensor> {
        let (h, m) = (self.hidden, self.intermediate);
        let mut shapes: Vec<(String, Vec<usize>)> =
            vec![("model.embed_tokens.weight".into(), vec![vocab, h])];
        for i in 0..self.layers {
            let p = format!("model.layers.{i}");
            for norm in ["input_layernorm", "post_attention_layernorm"] {
                shapes.push((format!("{p}.{norm}.weight"), vec![h]));
            }
            for proj in ["q_proj", "k_proj", "v_proj", "o_proj"] {
                shapes.push((format!("{p}.self_attn.{proj}.weight"), vec![h, h]));
            }
            shapes.push((format!("{p}.mlp.gate_proj.weight"), vec![m, h]));
            shapes.push((format!("{p}.mlp.up_proj.weight"), vec![m, h]));
            shapes.push((format!("{p}.mlp.down_proj.weight"), vec![h, m]));
        }
        shapes.push(("model.norm.weight".into(), vec![h]));
        shapes.push(("lm_head.weight".into(), vec![vocab, h]));
        let mut rng = SplitMix64::new(seed);
        shapes
            .into_iter()
            .map(|(name, shape)| {
                let len = shape.iter().product();
                let data = if shape.len() == 1 {
                    vec![1.0; len]
                } else {
                    (0..len).map(|_| 0.02 * normal(&mut rng)).collect()
                };
                (name, HostTensor { shape, data })
            })
            .collect()
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut SplitMix64) -> f32 {
    let u1 = rng.next_unit_f32().max(f32::MIN_POSITIVE);
    let u2 = rng.next_unit_f32();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}
