//! The model families: which one a config.json describes, and its parsed form. Each family's
//! file reads its config.json fields into the `Spec` the shared decoder runs.

pub mod gemma2;
pub mod llama;
pub mod qwen2;
mod shared;

use crate::model::ModelShape;
use crate::model::decoder::Spec;
use crate::{Error, Result};
use shared::config_error;

/// The model families soo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `llama`: Llama 2/3, SmolLM2 and other Llama-shaped models.
    Llama,
    /// `mistral`: Llama with a sliding window.
    Mistral,
    /// `qwen2`: Qwen 2 and 2.5.
    Qwen2,
    /// `gemma2`: Gemma 2.
    Gemma2,
}

/// A parsed config.json, by family.
#[derive(Debug, Clone)]
pub enum ModelConfig {
    /// `llama` or `mistral` (the family says which).
    Llama(Family, llama::LlamaConfig),
    /// `qwen2`.
    Qwen2(qwen2::Qwen2Config),
    /// `gemma2`.
    Gemma2(gemma2::Gemma2Config),
}

impl ModelConfig {
    /// Reads config.json, choosing the family by `model_type` (or, failing that, by
    /// `architectures`).
    pub fn from_json(config: &serde_json::Value) -> Result<Self> {
        let model_type = config.get("model_type").and_then(|v| v.as_str());
        let architecture = config
            .get("architectures")
            .and_then(|v| v.get(0))
            .and_then(|v| v.as_str());
        let family = match (model_type, architecture) {
            (Some("llama"), _) | (None, Some("LlamaForCausalLM")) => Family::Llama,
            (Some("mistral"), _) | (None, Some("MistralForCausalLM")) => Family::Mistral,
            (Some("qwen2"), _) | (None, Some("Qwen2ForCausalLM")) => Family::Qwen2,
            (Some("gemma2"), _) | (None, Some("Gemma2ForCausalLM")) => Family::Gemma2,
            (None, None) => {
                return Err(config_error(
                    "neither model_type nor architectures is given",
                ));
            }
            (other, arch) => {
                return Err(Error::Unsupported(format!(
                    "model type {} ({}): soo runs llama, mistral, qwen2 and gemma2",
                    other.unwrap_or("?"),
                    arch.unwrap_or("?")
                )));
            }
        };
        fn parse<T: serde::de::DeserializeOwned>(config: &serde_json::Value) -> Result<T> {
            T::deserialize(config).map_err(|e| config_error(e.to_string()))
        }
        Ok(match family {
            Family::Llama | Family::Mistral => ModelConfig::Llama(family, parse(config)?),
            Family::Qwen2 => ModelConfig::Qwen2(parse(config)?),
            Family::Gemma2 => ModelConfig::Gemma2(parse(config)?),
        })
    }

    /// Reads config.json from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| config_error(format!("not valid JSON: {e}")))?;
        Self::from_json(&value)
    }

    /// Which family this is.
    pub fn family(&self) -> Family {
        match self {
            ModelConfig::Llama(family, _) => *family,
            ModelConfig::Qwen2(_) => Family::Qwen2,
            ModelConfig::Gemma2(_) => Family::Gemma2,
        }
    }

    /// Layer count and projection widths, without loading any weights.
    pub fn shape(&self) -> Result<ModelShape> {
        Ok(self.spec()?.shape())
    }

    pub(super) fn spec(&self) -> Result<Spec> {
        match self {
            ModelConfig::Llama(_, c) => c.spec(),
            ModelConfig::Qwen2(c) => c.spec(),
            ModelConfig::Gemma2(c) => c.spec(),
        }
    }
}
