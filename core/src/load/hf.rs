//! The file names of a Hugging Face model folder that hold the model itself: `config.json` plus
//! either `model.safetensors` or `model.safetensors.index.json` and the shards it lists. The
//! tokenizer's files are named in [`super::model_files`].

/// The config file of a folder.
pub const CONFIG: &str = "config.json";
/// The weights of an unsharded folder.
pub const SINGLE: &str = "model.safetensors";
/// The index of a sharded folder.
pub const INDEX: &str = "model.safetensors.index.json";

/// The widest projection soo accepts (`intermediate_size`, the widest of a model's sizes).
pub const MAX_WIDTH: usize = 1 << 18;

/// The largest value soo accepts for each size in a config.json (or the GGUF metadata that
/// stands for one). Sizes are checked against these before anything is allocated for them: a
/// corrupt `num_hidden_layers = 1e11` or `head_dim = 2^40` must be an error naming the field,
/// not a failed allocation of terabytes. Each is far above any released model (Llama 3.1 405B:
/// 126 layers, hidden 16384, MLP 53248, 128 heads of 128; Gemma 2: vocabulary 256000).
pub const SIZE_LIMITS: [(&str, usize); 7] = [
    ("vocab_size", 1 << 22),
    ("hidden_size", 1 << 16),
    ("intermediate_size", MAX_WIDTH),
    ("num_hidden_layers", 1 << 10),
    ("num_attention_heads", 1 << 12),
    ("num_key_value_heads", 1 << 12),
    ("head_dim", 1 << 12),
];

/// Checks the config.json size `field` against [`SIZE_LIMITS`]: the problem in words, if any,
/// naming the field as `shown` (the config.json field, or the GGUF key that stands for it).
pub fn size_problem(field: &str, shown: &str, value: u64) -> Option<String> {
    let (_, limit) = SIZE_LIMITS.iter().find(|(name, _)| *name == field)?;
    (value > *limit as u64)
        .then(|| format!("{shown} = {value} is beyond any real model (at most {limit}): corrupt"))
}
