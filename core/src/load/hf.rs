//! A Hugging Face model folder, from its files' bytes: `config.json` plus either
//! `model.safetensors` or `model.safetensors.index.json` and the shards it lists.

use std::collections::HashMap;

use burn::tensor::Device;

use super::model_files::{FileBytes, folder_weights};
use crate::model::{Model, ModelConfig};
use crate::{Error, Result};

/// The config file of a folder.
pub const CONFIG: &str = "config.json";
/// The weights of an unsharded folder.
pub const SINGLE: &str = "model.safetensors";
/// The index of a sharded folder.
pub const INDEX: &str = "model.safetensors.index.json";

/// Builds the model alone (no tokenizer) of a folder given as file name → bytes (`config.json`
/// and the weight files; other files are ignored). The weights are resolved exactly as
/// [`super::model_files::ModelFiles`] resolves them; use that for a model with its tokenizer.
pub fn load_model(mut files: HashMap<String, Vec<u8>>, device: &Device) -> Result<Model> {
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
