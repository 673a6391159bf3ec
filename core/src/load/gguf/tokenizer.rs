//! The tokenizer a GGUF file carries in its `tokenizer.ggml.*` metadata. Only byte-level BPE
//! (`tokenizer.ggml.model = "gpt2"`, the Llama-3 / SmolLM / Qwen2 family) is rebuilt;
//! sentencepiece vocabularies are refused with a clear error. The metadata is read here; the
//! tokenizer itself is built by [`Tokenizer::from_byte_level_bpe`].

use super::{Gguf, MetaValue, format_error};
use crate::text::{ByteLevelBpe, Tokenizer};
use crate::{Error, Result};

impl Gguf {
    /// Rebuilds the tokenizer this file describes (`tokenizer.ggml.*`).
    pub fn tokenizer(&self) -> Result<Tokenizer> {
        let file = self.file.as_str();
        let str_key = |key: &str| self.get(key).and_then(MetaValue::as_str);
        let model = str_key("tokenizer.ggml.model").unwrap_or("(none)");
        if model != "gpt2" {
            return Err(Error::Unsupported(format!(
                "{file}: tokenizer.ggml.model {model:?} (soo rebuilds byte-level BPE, \"gpt2\"; use the model's tokenizer.json)"
            )));
        }
        let token_types: Vec<i64> = match self
            .get("tokenizer.ggml.token_type")
            .and_then(MetaValue::as_array)
        {
            Some(items) => items.iter().map(|v| v.as_i64().unwrap_or(1)).collect(),
            None => Vec::new(),
        };
        let id = |key: &str| {
            self.get(&format!("tokenizer.ggml.{key}"))
                .and_then(MetaValue::as_u64)
        };
        let flag = |key: &str| {
            self.get(&format!("tokenizer.ggml.{key}"))
                .and_then(MetaValue::as_bool)
        };
        let bpe = ByteLevelBpe {
            tokens: string_array(self, "tokenizer.ggml.tokens")?,
            merges: string_array(self, "tokenizer.ggml.merges")?,
            token_types,
            pre: str_key("tokenizer.ggml.pre"),
            bos: id("bos_token_id"),
            eos: id("eos_token_id"),
            pad: id("padding_token_id"),
            unk: id("unknown_token_id"),
            add_bos: flag("add_bos_token"),
            add_eos: flag("add_eos_token"),
        };
        Tokenizer::from_byte_level_bpe(file, &bpe)
    }
}

/// The string array under `key`, or a Format error.
fn string_array<'a>(gguf: &'a Gguf, key: &str) -> Result<Vec<&'a str>> {
    let items = gguf
        .get(key)
        .and_then(MetaValue::as_array)
        .ok_or_else(|| format_error(&gguf.file, format!("no array {key} in the metadata")))?;
    items
        .iter()
        .map(|v| {
            v.as_str()
                .ok_or_else(|| format_error(&gguf.file, format!("{key} holds a non-string")))
        })
        .collect()
}
