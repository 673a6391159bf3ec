//! A Hugging Face model folder, from its files' bytes: `config.json` plus either
//! `model.safetensors` or `model.safetensors.index.json` and the shards it lists.

use std::collections::HashMap;

use burn::tensor::Device;

use super::safetensors::{SafetensorsSource, shard_files};
use crate::model::{Model, ModelConfig};
use crate::{Error, Result};

/// The config file of a folder.
pub const CONFIG: &str = "config.json";
/// The weights of an unsharded folder.
pub const SINGLE: &str = "model.safetensors";
/// The index of a sharded folder.
pub const INDEX: &str = "model.safetensors.index.json";

/// Which weight files to fetch besides config.json: the index's shards when `index_json` (the
/// bytes of [`INDEX`]) is given, else [`SINGLE`].
pub fn weight_files(index_json: Option<&[u8]>) -> Result<Vec<String>> {
    match index_json {
        Some(index) => shard_files(INDEX, index),
        None => Ok(vec![SINGLE.to_string()]),
    }
}

/// The weights of a folder, from its files by name (the shards are moved out of `files`).
pub fn weights(files: &mut HashMap<String, Vec<u8>>) -> Result<SafetensorsSource> {
    if let Some(index) = files.remove(INDEX) {
        let mut shards = Vec::new();
        for name in shard_files(INDEX, &index)? {
            let bytes = files.remove(&name).ok_or_else(|| Error::Format {
                file: INDEX.into(),
                problem: format!("lists shard {name}, which was not given"),
            })?;
            shards.push((name, bytes));
        }
        return SafetensorsSource::sharded(INDEX, &index, shards);
    }
    let bytes = files.remove(SINGLE).ok_or_else(|| Error::Format {
        file: SINGLE.into(),
        problem: format!("missing: a model folder needs {SINGLE} or {INDEX}"),
    })?;
    SafetensorsSource::single(SINGLE, bytes)
}

/// Builds the model of a folder given as file name → bytes (`config.json` and the weight
/// files; other files are ignored). The weights' bytes are consumed.
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
    let source = weights(&mut files)?;
    Model::load(&config, &source, label, device)
}
