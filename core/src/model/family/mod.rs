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

/// The field of `config` that makes it fail to parse as `T`: serde_json's errors from a parsed
/// value name neither field nor line (`invalid type: string "64", expected usize`). Only on
/// the error path: each top-level field is left out in turn, and the culprit is the one whose
/// absence cures the error or turns it into "missing field" for that field.
fn culprit<T: serde::de::DeserializeOwned>(config: &serde_json::Value) -> Option<String> {
    let object = config.as_object()?;
    object.keys().find_map(|key| {
        let mut without = object.clone();
        without.remove(key);
        let missing = format!("missing field `{key}`");
        match T::deserialize(serde_json::Value::Object(without)) {
            Ok(_) => Some(key.clone()),
            Err(e) if e.to_string().contains(&missing) => Some(key.clone()),
            Err(_) => None,
        }
    })
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
        // Sizes first, on the raw value, so that every family is covered before any is built.
        for (field, _) in crate::load::hf::SIZE_LIMITS {
            if let Some(value) = config.get(field).and_then(serde_json::Value::as_u64) {
                shared::check_sizes(&[(field, value)])?;
            }
        }
        fn parse<T: serde::de::DeserializeOwned>(config: &serde_json::Value) -> Result<T> {
            T::deserialize(config).map_err(|e| match culprit::<T>(config) {
                Some(field) => config_error(format!("field {field}: {e}")),
                None => config_error(e.to_string()),
            })
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
