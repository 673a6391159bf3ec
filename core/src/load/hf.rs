//! The file names of a Hugging Face model folder that hold the model itself: `config.json` plus
//! either `model.safetensors` or `model.safetensors.index.json` and the shards it lists. The
//! tokenizer's files are named in [`super::model_files`].

/// The config file of a folder.
pub const CONFIG: &str = "config.json";
/// The weights of an unsharded folder.
pub const SINGLE: &str = "model.safetensors";
/// The index of a sharded folder.
pub const INDEX: &str = "model.safetensors.index.json";
