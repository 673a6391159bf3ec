//! [`GgufSource`]: a GGUF file served as Hugging Face tensors, plus the `config.json` it implies.
//!
//! llama.cpp renames every tensor (`model.layers.0.self_attn.q_proj.weight` becomes
//! `blk.0.attn_q.weight`) and, for the llama family, permutes the rows of the query and key
//! projections so that its rotary embedding can rotate adjacent pairs instead of the two halves
//! of each head. This module undoes both, so that a model built on Hugging Face names and
//! layouts gets exactly the tensors it would get from the original safetensors (up to
//! quantisation).

use serde_json::{Value, json};

use super::gguf::{Gguf, MetaValue, format_error};
use super::hf::{SIZE_LIMITS, size_problem};
use super::{HostTensor, WeightSource};
use crate::text::Tokenizer;
use crate::{Error, Result};

/// The model families soo maps. They share the Hugging Face layout of Llama.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `general.architecture = "llama"`: Llama, Mistral, SmolLM2. Q and K rows are permuted.
    Llama,
    /// `general.architecture = "qwen2"`: like Llama, with Q/K/V biases and no permutation.
    Qwen2,
}

impl Family {
    fn from_arch(file: &str, arch: &str) -> Result<Self> {
        match arch {
            "llama" => Ok(Self::Llama),
            "qwen2" => Ok(Self::Qwen2),
            other => Err(Error::Unsupported(format!(
                "{file}: GGUF architecture {other:?} (soo maps llama and qwen2)"
            ))),
        }
    }

    /// `(architectures[0], model_type)` for config.json.
    fn hf_names(self) -> (&'static str, &'static str) {
        match self {
            Self::Llama => ("LlamaForCausalLM", "llama"),
            Self::Qwen2 => ("Qwen2ForCausalLM", "qwen2"),
        }
    }
}

/// A GGUF file, as a [`WeightSource`] with Hugging Face names. `B` holds the file's bytes: a
/// `Vec<u8>` fetched by the browser, a memory map natively, or a borrowed slice.
pub struct GgufSource<B: AsRef<[u8]>> {
    bytes: B,
    gguf: Gguf,
    family: Family,
}

impl<B: AsRef<[u8]>> GgufSource<B> {
    /// Parses the header of `bytes` (named `file` in errors) and checks the architecture.
    pub fn new(file: &str, bytes: B) -> Result<Self> {
        let gguf = Gguf::parse(file, bytes.as_ref())?;
        let arch = gguf
            .get("general.architecture")
            .and_then(MetaValue::as_str)
            .ok_or_else(|| format_error(file, "no general.architecture in the metadata"))?;
        let family = Family::from_arch(file, arch)?;
        Ok(Self {
            bytes,
            gguf,
            family,
        })
    }

    /// The parsed header: metadata and tensor directory.
    pub fn gguf(&self) -> &Gguf {
        &self.gguf
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    /// The model family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The Jinja chat template (`tokenizer.chat_template`), if the file has one.
    pub fn chat_template(&self) -> Option<&str> {
        self.gguf
            .get("tokenizer.chat_template")
            .and_then(MetaValue::as_str)
    }

    /// The tokenizer the file describes (see [`Gguf::tokenizer`]).
    pub fn tokenizer(&self) -> Result<Tokenizer> {
        self.gguf.tokenizer()
    }

    /// The metadata value `{arch}.{key}` (`llama.block_count`).
    fn arch_value(&self, key: &str) -> Option<&MetaValue> {
        let arch = self.family.hf_names().1;
        self.gguf.get(&format!("{arch}.{key}"))
    }

    /// `{arch}.{key}` as an integer, or a Format error naming the key.
    fn arch_u64(&self, key: &str) -> Result<u64> {
        let arch = self.family.hf_names().1;
        self.arch_value(key)
            .and_then(MetaValue::as_u64)
            .ok_or_else(|| {
                format_error(
                    &self.gguf.file,
                    format!("no integer {arch}.{key} in the metadata"),
                )
            })
    }

    /// The Hugging Face `config.json` this file's metadata describes, for the model's serde
    /// `Config`. Keys: `architectures`, `model_type`, `vocab_size`, `hidden_size`,
    /// `intermediate_size`, `num_hidden_layers`, `num_attention_heads`, `num_key_value_heads`,
    /// `head_dim`, `max_position_embeddings`, `rms_norm_eps`, `rope_theta`, `hidden_act`,
    /// `tie_word_embeddings`, `bos_token_id`, `eos_token_id`, `pad_token_id` (null when absent).
    pub fn config_json(&self) -> Result<Value> {
        let (architecture, model_type) = self.family.hf_names();
        let hidden = self.arch_u64("embedding_length")?;
        let heads = self.arch_u64("attention.head_count")?;
        let kv_heads = self
            .arch_value("attention.head_count_kv")
            .and_then(MetaValue::as_u64)
            .unwrap_or(heads);
        let head_dim = match self
            .arch_value("attention.key_length")
            .and_then(MetaValue::as_u64)
        {
            Some(d) => d,
            None if heads > 0 => hidden / heads,
            None => return Err(format_error(&self.gguf.file, "attention.head_count is 0")),
        };
        let float = |key: &str, default: f64| {
            self.arch_value(key)
                .and_then(MetaValue::as_f64)
                .unwrap_or(default)
        };
        let token_id = |key: &str| {
            self.gguf
                .get(&format!("tokenizer.ggml.{key}"))
                .and_then(MetaValue::as_u64)
        };
        let config = json!({
            "architectures": [architecture],
            "model_type": model_type,
            "vocab_size": self.vocab_size()?,
            "hidden_size": hidden,
            "intermediate_size": self.arch_u64("feed_forward_length")?,
            "num_hidden_layers": self.arch_u64("block_count")?,
            "num_attention_heads": heads,
            "num_key_value_heads": kv_heads,
            "head_dim": head_dim,
            "max_position_embeddings": self.arch_u64("context_length")?,
            // f32 in the file, widened exactly (9.999999747378752e-06, as transformers reads it).
            "rms_norm_eps": float("attention.layer_norm_rms_epsilon", 1e-6),
            "rope_theta": float("rope.freq_base", 10000.0),
            "hidden_act": "silu",
            "tie_word_embeddings": self.gguf.info("output.weight").is_none(),
            "bos_token_id": token_id("bos_token_id"),
            "eos_token_id": token_id("eos_token_id"),
            "pad_token_id": token_id("padding_token_id"),
        });
        self.check_sizes(&config)?;
        Ok(config)
    }

    /// Checks the sizes of `config` (made by [`Self::config_json`]) before a model allocates
    /// anything for them: each under [`SIZE_LIMITS`], the block count equal to the blocks whose
    /// tensors the file holds, the embedding width equal to the embedding's. Errors name the
    /// GGUF key.
    fn check_sizes(&self, config: &Value) -> Result<()> {
        let arch = self.family.hf_names().1;
        let key = |field: &str| match field {
            "vocab_size" => format!("{arch}.vocab_size (or tokenizer.ggml.tokens)"),
            "hidden_size" => format!("{arch}.embedding_length"),
            "intermediate_size" => format!("{arch}.feed_forward_length"),
            "num_hidden_layers" => format!("{arch}.block_count"),
            "num_attention_heads" => format!("{arch}.attention.head_count"),
            "num_key_value_heads" => format!("{arch}.attention.head_count_kv"),
            "head_dim" => format!("{arch}.attention.key_length"),
            other => other.to_string(),
        };
        let bad = |problem: String| format_error(&self.gguf.file, problem);
        for (field, _) in SIZE_LIMITS {
            let value = config.get(field).and_then(Value::as_u64).unwrap_or(0);
            if let Some(problem) = size_problem(field, &key(field), value) {
                return Err(bad(problem));
            }
        }
        let blocks = self
            .gguf
            .tensors
            .iter()
            .filter_map(|t| {
                t.name
                    .strip_prefix("blk.")?
                    .split('.')
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .map_or(0, |last| last + 1);
        let count = config["num_hidden_layers"].as_u64().unwrap_or(0);
        if count != blocks {
            return Err(bad(format!(
                "{} = {count}, but the file holds tensors for {blocks} blocks",
                key("num_hidden_layers")
            )));
        }
        let hidden = config["hidden_size"].as_u64().unwrap_or(0);
        if let Some(embd) = self.gguf.info("token_embd.weight")
            && embd.dims.first().map(|&d| d as u64) != Some(hidden)
        {
            return Err(bad(format!(
                "{} = {hidden}, but token_embd.weight has rows of {:?} values",
                key("hidden_size"),
                embd.dims.first()
            )));
        }
        Ok(())
    }

    /// `{arch}.vocab_size`, else the length of `tokenizer.ggml.tokens`, else the embedding's rows.
    fn vocab_size(&self) -> Result<u64> {
        if let Some(n) = self.arch_value("vocab_size").and_then(MetaValue::as_u64) {
            return Ok(n);
        }
        if let Some(tokens) = self
            .gguf
            .get("tokenizer.ggml.tokens")
            .and_then(MetaValue::as_array)
        {
            return Ok(tokens.len() as u64);
        }
        match self
            .gguf
            .info("token_embd.weight")
            .and_then(|t| t.shape().first().copied())
        {
            Some(rows) => Ok(rows as u64),
            None => Err(format_error(
                &self.gguf.file,
                "cannot tell the vocabulary size",
            )),
        }
    }

    /// How many heads a Q (`false`) or K (`true`) projection's rows are grouped in.
    fn permute_heads(&self, is_k: bool) -> Result<usize> {
        let heads = self.arch_u64("attention.head_count")?;
        let kv = self
            .arch_value("attention.head_count_kv")
            .and_then(MetaValue::as_u64)
            .unwrap_or(heads);
        let n = if is_k { kv } else { heads };
        usize::try_from(n)
            .map_err(|_| format_error(&self.gguf.file, "head count does not fit in memory"))
    }
}

/// The GGUF name of the Hugging Face tensor `hf`, or `None` if it has none.
/// `lm_head.weight` maps to `output.weight`; the caller falls back to the embedding when tied.
pub fn gguf_name(hf: &str) -> Option<String> {
    let fixed = match hf {
        "model.embed_tokens.weight" => Some("token_embd.weight"),
        "model.norm.weight" => Some("output_norm.weight"),
        "lm_head.weight" => Some("output.weight"),
        _ => None,
    };
    if let Some(name) = fixed {
        return Some(name.to_string());
    }
    let rest = hf.strip_prefix("model.layers.")?;
    let (layer, part) = rest.split_once('.')?;
    layer.parse::<usize>().ok()?;
    let (module, suffix) = part.rsplit_once('.')?; // suffix: weight or bias
    let gguf = match module {
        "self_attn.q_proj" => "attn_q",
        "self_attn.k_proj" => "attn_k",
        "self_attn.v_proj" => "attn_v",
        "self_attn.o_proj" => "attn_output",
        "mlp.gate_proj" => "ffn_gate",
        "mlp.up_proj" => "ffn_up",
        "mlp.down_proj" => "ffn_down",
        "input_layernorm" => "attn_norm",
        "post_attention_layernorm" => "ffn_norm",
        _ => return None,
    };
    Some(format!("blk.{layer}.{gguf}.{suffix}"))
}

/// Undoes llama.cpp's rotary permutation of a Q or K projection (`LlamaModel.permute` in
/// `convert_hf_to_gguf.py`). Rows come in `heads` groups of `head_dim`; within a head, llama.cpp
/// stores Hugging Face row `r·head_dim/2 + i` (half `r` ∈ {0, 1}, pair `i`) at row `2i + r`.
/// `t` has shape `[rows, ...]` (a weight `[out, in]` or a bias `[out]`).
pub fn unpermute_rotary(t: &HostTensor, heads: usize) -> Option<HostTensor> {
    let rows = *t.shape.first()?;
    if heads == 0 || !rows.is_multiple_of(2 * heads) {
        return None;
    }
    let row_len = t.shape.iter().skip(1).product::<usize>();
    let half = rows / heads / 2;
    let mut data = vec![0.0f32; t.data.len()];
    for (hf_row, out) in data.chunks_exact_mut(row_len.max(1)).enumerate() {
        let (head, within) = (hf_row / (2 * half), hf_row % (2 * half));
        let (r, i) = (within / half, within % half);
        let src_row = head * 2 * half + 2 * i + r;
        out.copy_from_slice(t.data.get(src_row * row_len..(src_row + 1) * row_len)?);
    }
    Some(HostTensor {
        shape: t.shape.clone(),
        data,
    })
}

impl<B: AsRef<[u8]>> WeightSource for GgufSource<B> {
    fn tensor(&self, name: &str) -> Result<Option<HostTensor>> {
        let Some(gguf) = gguf_name(name) else {
            return Ok(None);
        };
        let bytes = self.bytes.as_ref();
        let found = match self.gguf.tensor(bytes, &gguf)? {
            // Tied embeddings: llama.cpp writes no output.weight and reuses token_embd.
            None if name == "lm_head.weight" => self.gguf.tensor(bytes, "token_embd.weight")?,
            other => other,
        };
        let Some(t) = found else { return Ok(None) };
        let is_q = name.contains(".self_attn.q_proj.");
        let is_k = name.contains(".self_attn.k_proj.");
        if self.family != Family::Llama || !(is_q || is_k) {
            return Ok(Some(t));
        }
        let heads = self.permute_heads(is_k)?;
        unpermute_rotary(&t, heads).map(Some).ok_or_else(|| {
            format_error(
                &self.gguf.file,
                format!(
                    "tensor {gguf} of shape {:?} cannot be split into {heads} rotary heads",
                    t.shape
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugging_face_names_map_to_gguf_names() {
        let cases = [
            ("model.embed_tokens.weight", "token_embd.weight"),
            (
                "model.layers.3.self_attn.q_proj.weight",
                "blk.3.attn_q.weight",
            ),
            ("model.layers.3.self_attn.k_proj.bias", "blk.3.attn_k.bias"),
            (
                "model.layers.12.self_attn.o_proj.weight",
                "blk.12.attn_output.weight",
            ),
            (
                "model.layers.0.mlp.down_proj.weight",
                "blk.0.ffn_down.weight",
            ),
            (
                "model.layers.0.input_layernorm.weight",
                "blk.0.attn_norm.weight",
            ),
            (
                "model.layers.0.post_attention_layernorm.weight",
                "blk.0.ffn_norm.weight",
            ),
            ("model.norm.weight", "output_norm.weight"),
            ("lm_head.weight", "output.weight"),
        ];
        for (hf, gguf) in cases {
            assert_eq!(gguf_name(hf).as_deref(), Some(gguf), "{hf}");
        }
        assert_eq!(gguf_name("model.layers.x.mlp.up_proj.weight"), None);
        assert_eq!(gguf_name("model.layers.0.mlp.nope.weight"), None);
    }

    #[test]
    fn unpermute_inverts_llama_cpp_permutation() {
        // 2 heads of head_dim 4, rows of 1 value: HF rows [0..8). llama.cpp's permute
        // (reshape(heads, 2, hd/2).swapaxes(1, 2)) stores them as [0, 2, 1, 3, 4, 6, 5, 7].
        let stored = HostTensor {
            shape: vec![8, 1],
            data: vec![0., 2., 1., 3., 4., 6., 5., 7.],
        };
        let hf = unpermute_rotary(&stored, 2).expect("divisible");
        assert_eq!(hf.data, vec![0., 1., 2., 3., 4., 5., 6., 7.]);
        assert!(unpermute_rotary(&stored, 3).is_none());
    }
}
