//! Where loading meets the model: [`LoadedModel`], a model ready to run on a device, from its
//! [`ModelFiles`] (the network, the tokenizer, the chat template and the tokens that end a
//! reply), and [`load_model`], the network alone from a Hugging Face folder's bytes. `load`
//! turns files into checked bytes and host tensors; this is where they become a [`Model`].

use std::collections::HashMap;

use burn::tensor::Device;

use crate::load::hf::{CONFIG, INDEX, SINGLE};
use crate::load::model_files::{FileBytes, ModelFiles, Weights, folder_weights};
use crate::lora::Lora;
use crate::model::{Model, ModelConfig};
use crate::text::{ChatTemplate, Message, Tokenizer};
use crate::{Error, Result};

/// A model with everything needed to turn text into its inputs and its outputs into text.
#[derive(Debug)]
pub struct LoadedModel {
    /// The network.
    pub model: Model<Lora>,
    /// Its tokenizer.
    pub tokenizer: Tokenizer,
    /// Its chat template, if it has one (instruction-tuned models do).
    pub chat_template: Option<ChatTemplate>,
    /// The weights' file name, for messages.
    pub weights_file: String,
    stop_tokens: Vec<u32>,
}

impl LoadedModel {
    /// Builds the model of `files` on `device` (dequantising GGUF weights to f32).
    pub fn load(files: &ModelFiles, device: &Device) -> Result<Self> {
        let weights_file = match &files.weights {
            Weights::Gguf(source) => source.gguf().file.clone(),
            Weights::Safetensors(file) => file.name.clone(),
            Weights::Sharded { index, .. } => index.name.clone(),
        };
        let source = files.weight_source()?;
        let model = Model::from_config_json(&files.config, source.as_ref(), &weights_file, device)?;
        // A tokenizer of another model: ordinary text would turn into ids the embedding lacks.
        let bound = files.tokenizer.base_id_bound();
        if bound > model.vocab_size() {
            return Err(Error::Format {
                file: files.tokenizer_file.clone(),
                problem: format!(
                    "its vocabulary has ids up to {}, but the model's embedding ({weights_file}) \
                     has {} rows: the tokenizer belongs to another model",
                    bound - 1,
                    model.vocab_size()
                ),
            });
        }
        Ok(Self {
            model,
            tokenizer: files.tokenizer.clone(),
            chat_template: files.compiled_chat_template()?,
            weights_file,
            stop_tokens: stop_tokens(files),
        })
    }

    /// The ids that end a reply: `eos_token_id` of generation_config.json (a number or a list)
    /// and the tokenizer's EOS token, without repeats.
    pub fn stop_tokens(&self) -> &[u32] {
        &self.stop_tokens
    }

    /// The id that pads batches: the tokenizer's PAD token, else its EOS, else 0.
    pub fn pad_token(&self) -> u32 {
        let special = self.tokenizer.special_tokens();
        [&special.pad, &special.eos]
            .into_iter()
            .flatten()
            .find_map(|t| self.tokenizer.token_to_id(t))
            .unwrap_or(0)
    }

    /// The token ids of a prompt. With `chat`, `text` becomes one user message in the chat
    /// template with the assistant's turn opened, and nothing is added to the rendered text;
    /// without, the tokenizer adds its own BOS/EOS if it has any (as transformers does).
    pub fn prompt_ids(&self, text: &str, chat: bool) -> Result<Vec<u32>> {
        if !chat {
            return self.tokenizer.encode(text, true);
        }
        let template = self.chat_template.as_ref().ok_or_else(|| {
            Error::Unsupported(format!(
                "{}: the model has no chat template; drop --chat",
                self.weights_file
            ))
        })?;
        let rendered = template.render(&[Message::new("user", text)], true)?;
        self.tokenizer.encode(&rendered, false)
    }
}

/// Builds the model alone (no tokenizer) of a Hugging Face folder given as file name → bytes
/// (`config.json` and the weight files; other files are ignored). The weights are resolved
/// exactly as [`ModelFiles`] resolves them; use [`LoadedModel`] for a model with its tokenizer.
pub fn load_model(mut files: HashMap<String, Vec<u8>>, device: &Device) -> Result<Model<Lora>> {
    let config = files.remove(CONFIG).ok_or_else(|| Error::Format {
        file: CONFIG.into(),
        problem: "missing from the model folder".into(),
    })?;
    let config = ModelConfig::from_bytes(&config)?;
    let label = if files.contains_key(INDEX) {
        INDEX
    } else {
        SINGLE
    };
    let mut files: HashMap<String, FileBytes> = files
        .into_iter()
        .map(|(name, bytes)| (name, bytes.into()))
        .collect();
    let weights = folder_weights(&mut files)?;
    Model::load(&config, &*weights.source()?, label, device)
}

fn stop_tokens(files: &ModelFiles) -> Vec<u32> {
    let mut ids: Vec<u32> = Vec::new();
    let from_config = files
        .generation_config
        .as_ref()
        .and_then(|c| c.get("eos_token_id"));
    match from_config {
        Some(serde_json::Value::Array(list)) => {
            ids.extend(list.iter().filter_map(|v| v.as_u64()).map(|v| v as u32))
        }
        Some(v) => ids.extend(v.as_u64().map(|v| v as u32)),
        None => {}
    }
    let eos = files.tokenizer.special_tokens().eos.as_deref();
    if let Some(id) = eos.and_then(|t| files.tokenizer.token_to_id(t))
        && !ids.contains(&id)
    {
        ids.push(id);
    }
    ids
}
