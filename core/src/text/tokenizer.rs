//! [`Tokenizer`]: text ↔ token ids, over Hugging Face's `tokenizers` crate.
//!
//! Built from a `tokenizer.json` (a Hugging Face folder) or from a byte-level BPE vocabulary in
//! parts ([`ByteLevelBpe`], which `load::gguf` reads out of a GGUF file's `tokenizer.ggml.*`
//! metadata; sentencepiece vocabularies are refused there with a clear error).
//! The rebuilt tokenizer mirrors the `tokenizer.json` the model shipped with: the same BPE model,
//! the pre-tokenizer that `tokenizer.ggml.pre` names, control tokens as special added tokens.

use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, SplitDelimiterBehavior};

use crate::base::error::format_error;
use crate::{Error, Result};

/// llama.cpp's token types (`tokenizer.ggml.token_type`): 3 is a control token such as
/// `<|im_start|>`, 4 a user-defined added token such as `<think>`.
const CONTROL: i64 = 3;
const USER_DEFINED: i64 = 4;

/// Llama 3's split regex (llama.cpp `llama-bpe`), as in that model's `tokenizer.json`.
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Qwen2's split regex: like Llama 3's, but digits one at a time.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Special tokens by role, as their strings (what chat templates see as `bos_token` etc.).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecialTokens {
    /// Beginning of sequence.
    pub bos: Option<String>,
    /// End of sequence (for SmolLM2: `<|im_end|>`).
    pub eos: Option<String>,
    /// Padding.
    pub pad: Option<String>,
    /// Unknown.
    pub unk: Option<String>,
}

/// A byte-level BPE vocabulary in parts (the Llama-3 / SmolLM / Qwen2 family), as a GGUF file
/// lists them: what [`Tokenizer::from_byte_level_bpe`] rebuilds a tokenizer from.
#[derive(Debug, Clone, Default)]
pub struct ByteLevelBpe<'a> {
    /// Every token, by id, spelled in the byte alphabet (`Ġ` for a space).
    pub tokens: Vec<&'a str>,
    /// The merges, in rank order, each two tokens separated by a space.
    pub merges: Vec<&'a str>,
    /// llama.cpp's type of each token, by id (3: control, 4: user-defined); may be empty.
    pub token_types: Vec<i64>,
    /// llama.cpp's name of the pre-tokenizer (`llama-bpe`, `qwen2`, `smollm`).
    pub pre: Option<&'a str>,
    /// The ids of the BOS, EOS, padding and unknown tokens.
    pub bos: Option<u64>,
    /// See `bos`.
    pub eos: Option<u64>,
    /// See `bos`.
    pub pad: Option<u64>,
    /// See `bos`.
    pub unk: Option<u64>,
    /// Whether encoding adds BOS / EOS by itself.
    pub add_bos: Option<bool>,
    /// See `add_bos`.
    pub add_eos: Option<bool>,
}

/// A tokenizer: encode, decode, show tokens.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    special: SpecialTokens,
}

/// A [`Error::Format`] for a tokenizer error.
fn tok_error(file: &str, e: impl std::fmt::Display) -> Error {
    format_error(file, format!("tokenizer: {e}"))
}

impl Tokenizer {
    /// Reads a Hugging Face `tokenizer.json` (`file` names it in errors). Special-token roles
    /// are not in that file (they live in `tokenizer_config.json`): set them with
    /// [`Tokenizer::with_special_tokens`].
    pub fn from_json(file: &str, bytes: &[u8]) -> Result<Self> {
        // tokenizers panics on some malformed decoders (see `check_decoder`): read the file as
        // JSON and check its decoder first, so that they are errors naming the file.
        let json: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format_error(file, format!("not valid JSON: {e}")))?;
        if let Some(decoder) = json.get("decoder").filter(|d| !d.is_null()) {
            check_decoder(file, decoder, "decoder")?;
        }
        let inner = tokenizers::Tokenizer::from_bytes(bytes).map_err(|e| tok_error(file, e))?;
        Ok(Self {
            inner,
            special: SpecialTokens::default(),
        })
    }

    /// This tokenizer as `tokenizer.json` text (e.g. to cache one rebuilt from a GGUF).
    pub fn to_json(&self) -> Result<String> {
        self.inner
            .to_string(false)
            .map_err(|e| tok_error("tokenizer.json", e))
    }

    /// Sets which tokens are BOS/EOS/PAD/UNK.
    pub fn with_special_tokens(mut self, special: SpecialTokens) -> Self {
        self.special = special;
        self
    }

    /// Rebuilds a byte-level BPE tokenizer from its parts, as a GGUF file lists them
    /// (`load::gguf` reads them out of `tokenizer.ggml.*`); `file` names them in errors.
    pub fn from_byte_level_bpe(file: &str, parts: &ByteLevelBpe<'_>) -> Result<Self> {
        let ByteLevelBpe {
            tokens,
            merges,
            token_types: types,
            ..
        } = parts;
        let alphabet = byte_alphabet();
        let in_alphabet = |t: &str| t.chars().all(|c| alphabet.contains(&c));
        // Every byte-level token is spelled in the 256-character byte alphabet; a token that is
        // not (a rare converter quirk) is re-spelled from its UTF-8 bytes, as transformers does.
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(id, t)| {
                let spelled = if in_alphabet(t) {
                    t.to_string()
                } else {
                    respell(t, &alphabet)
                };
                (spelled, id as u32)
            })
            .collect();
        let merges = merges
            .iter()
            .map(|m| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .ok_or_else(|| format_error(file, format!("merge {m:?} is not two tokens")))
            })
            .collect::<Result<Vec<_>>>()?;
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| tok_error(file, e))?;

        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(pre_tokenizer(file, parts.pre)?));
        inner.with_decoder(Some(DecoderWrapper::ByteLevel(ByteLevel::default())));

        // Control tokens (`<|im_start|>`) as special tokens, user-defined ones as plain added
        // tokens, so that each stays one id. A "control" token outside the byte alphabet is a
        // llama.cpp mislabel and is left alone (transformers does the same).
        let special: Vec<AddedToken> = tokens
            .iter()
            .zip(types)
            .filter(|&(t, &ty)| ty == CONTROL && in_alphabet(t))
            .map(|(t, _)| AddedToken::from(t.to_string(), true).normalized(false))
            .collect();
        let user: Vec<AddedToken> = tokens
            .iter()
            .zip(types)
            .filter(|&(_, &ty)| ty == USER_DEFINED)
            .map(|(t, _)| AddedToken::from(t.to_string(), false).normalized(false))
            .collect();
        inner.add_special_tokens(&special);
        inner.add_tokens(&user);

        let token = |id: Option<u64>| {
            let id = id?;
            let index = usize::try_from(id).ok()?;
            tokens.get(index).map(|t| (t.to_string(), id as u32))
        };
        let bos = token(parts.bos);
        let eos = token(parts.eos);
        if let Some(post) = post_processor(file, parts.add_bos, &bos, parts.add_eos, &eos)? {
            inner.with_post_processor(Some(post));
        }
        let special = SpecialTokens {
            bos: bos.map(|t| t.0),
            eos: eos.map(|t| t.0),
            pad: token(parts.pad).map(|t| t.0),
            unk: token(parts.unk).map(|t| t.0),
        };
        Ok(Self { inner, special })
    }

    /// Token ids of `text`; with `add_special_tokens`, plus the BOS/EOS the model's tokenizer
    /// adds by itself (none for SmolLM2). Special tokens written in the text (`<|im_start|>`)
    /// always become their single id, as in transformers.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>> {
        let encoding = self
            .inner
            .encode(text, add_special_tokens)
            .map_err(|e| Error::Format {
                file: "tokenizer".into(),
                problem: format!("encoding failed: {e}"),
            })?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The text of `ids`; `skip_special_tokens` leaves out special tokens such as `<|im_end|>`.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special_tokens)
            .map_err(|e| Error::Format {
                file: "tokenizer".into(),
                problem: format!("decoding failed: {e}"),
            })
    }

    /// The vocabulary entry of each id, as stored (byte-level: a space shows as `Ġ`, a newline
    /// as `Ċ`), for display; `None` for an id outside the vocabulary.
    pub fn tokens(&self, ids: &[u32]) -> Vec<Option<String>> {
        ids.iter().map(|&id| self.inner.id_to_token(id)).collect()
    }

    /// The text each id stands for on its own (`" world"`, `"\n"`), for display. A token that is
    /// part of a multi-byte character decodes to the replacement character.
    pub fn token_texts(&self, ids: &[u32]) -> Result<Vec<String>> {
        ids.iter().map(|&id| self.decode(&[id], false)).collect()
    }

    /// The id of a token string (`<|im_end|>`), if it is in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// Vocabulary size, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// One past the largest id of the base vocabulary (added tokens not counted): the rows an
    /// embedding needs for ordinary text to tokenize into ids it has.
    pub fn base_id_bound(&self) -> usize {
        self.inner
            .get_vocab(false)
            .values()
            .max()
            .map_or(0, |&id| id as usize + 1)
    }

    /// Which tokens are BOS/EOS/PAD/UNK.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.special
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }
}

impl SpecialTokens {
    /// The special tokens and the chat template of a Hugging Face `tokenizer_config.json`
    /// (`file` names it in errors). A token may be a string or an `{"content": ...}` object; a
    /// list of named templates yields the one named `default`.
    pub fn from_tokenizer_config(file: &str, bytes: &[u8]) -> Result<(Self, Option<String>)> {
        let config: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| format_error(file, format!("not JSON: {e}")))?;
        let token = |key: &str| {
            let v = config.get(key)?;
            v.as_str()
                .or_else(|| v.get("content").and_then(|c| c.as_str()))
                .map(str::to_string)
        };
        let template = match config.get("chat_template") {
            Some(serde_json::Value::String(t)) => Some(t.clone()),
            Some(serde_json::Value::Array(named)) => named
                .iter()
                .find(|t| t.get("name").and_then(|n| n.as_str()) == Some("default"))
                .and_then(|t| t.get("template")?.as_str().map(str::to_string)),
            _ => None,
        };
        let special = Self {
            bos: token("bos_token"),
            eos: token("eos_token"),
            pad: token("pad_token"),
            unk: token("unk_token"),
        };
        Ok((special, template))
    }
}

/// The pre-tokenizer for llama.cpp's `tokenizer.ggml.pre` name, as the original
/// `tokenizer.json` of those models has it.
fn pre_tokenizer(file: &str, pre: Option<&str>) -> Result<PreTokenizerWrapper> {
    let byte_level =
        |use_regex| PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, use_regex));
    let split = |regex: &str| -> Result<PreTokenizerWrapper> {
        let split = Split::new(
            SplitPattern::Regex(regex.into()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(|e| tok_error(file, e))?;
        Ok(PreTokenizerWrapper::Sequence(Sequence::new(vec![
            split.into(),
            byte_level(false),
        ])))
    };
    match pre.unwrap_or("default") {
        // GPT-2's own regex, applied by ByteLevel.
        "default" | "gpt2" => Ok(byte_level(true)),
        // SmolLM / StarCoder: every digit on its own, then GPT-2's regex.
        "smollm" | "starcoder" => Ok(PreTokenizerWrapper::Sequence(Sequence::new(vec![
            PreTokenizerWrapper::Digits(Digits::new(true)),
            byte_level(true),
        ]))),
        "llama3" | "llama-v3" | "llama-bpe" | "smaug-bpe" | "dbrx" | "falcon3" => {
            split(LLAMA3_SPLIT)
        }
        "qwen2" | "deepseek-r1-qwen" => split(QWEN2_SPLIT),
        other => Err(Error::Unsupported(format!(
            "{file}: tokenizer.ggml.pre {other:?} (soo knows default, gpt2, smollm, starcoder, llama-bpe, qwen2)"
        ))),
    }
}

/// A post-processor adding BOS/EOS when the file asks for it; `None` when it adds nothing.
fn post_processor(
    file: &str,
    add_bos: Option<bool>,
    bos: &Option<(String, u32)>,
    add_eos: Option<bool>,
    eos: &Option<(String, u32)>,
) -> Result<Option<TemplateProcessing>> {
    let bos = bos.as_ref().filter(|_| add_bos == Some(true));
    let eos = eos.as_ref().filter(|_| add_eos == Some(true));
    if bos.is_none() && eos.is_none() {
        return Ok(None);
    }
    let (mut single, mut pair, mut specials) = (Vec::new(), Vec::new(), Vec::new());
    if let Some((t, id)) = bos {
        single.push(t.clone());
        pair.push(t.clone());
        specials.push((t.clone(), *id));
    }
    single.push("$A".to_string());
    pair.push("$A".to_string());
    if let Some((t, id)) = eos {
        single.push(t.clone());
        pair.push(t.clone());
        specials.push((t.clone(), *id));
    }
    pair.push("$B:1".to_string());
    let mut builder = TemplateProcessing::builder();
    builder
        .try_single(single.join(" "))
        .map_err(|e| tok_error(file, e))?;
    builder
        .try_pair(pair.join(" "))
        .map_err(|e| tok_error(file, e))?;
    builder.special_tokens(specials);
    Ok(Some(builder.build().map_err(|e| tok_error(file, e))?))
}

/// GPT-2's byte alphabet: byte `b` is spelled as the char at index `b`. Printable Latin-1
/// bytes spell themselves; the others are moved up past 255, in order.
fn byte_alphabet() -> Vec<char> {
    let printable = |b: u32| {
        (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b)
    };
    let mut next = 256u32;
    (0u32..256)
        .map(|b| {
            let code = if printable(b) {
                b
            } else {
                next += 1;
                next - 1
            };
            char::from_u32(code).unwrap_or('\u{fffd}')
        })
        .collect()
}

/// `token`'s UTF-8 bytes spelled in the byte alphabet.
fn respell(token: &str, alphabet: &[char]) -> String {
    token
        .bytes()
        .filter_map(|b| alphabet.get(usize::from(b)))
        .collect()
}

/// The decoder types tokenizers 0.22 reads.
const DECODER_TYPES: [&str; 10] = [
    "BPEDecoder",
    "ByteLevel",
    "WordPiece",
    "Metaspace",
    "CTC",
    "Sequence",
    "Replace",
    "Fuse",
    "Strip",
    "ByteFallback",
];

/// Checks that `decoder` (at `path` in `file`) is an object whose `type` tokenizers knows, and
/// so is every decoder of a `Sequence`. tokenizers 0.22.2 deserialises a decoder with
/// `expect("Helper")` (src/decoders/mod.rs:90), so any other value panics instead of erring;
/// the fuzz target `hf_folder` (core/tests/fuzz) found it. The fields inside a known type are
/// left to tokenizers, which reports them as errors.
fn check_decoder(file: &str, decoder: &serde_json::Value, path: &str) -> Result<()> {
    let kind = decoder.get("type").and_then(serde_json::Value::as_str);
    match kind {
        Some(kind) if DECODER_TYPES.contains(&kind) => {}
        _ => {
            return Err(format_error(
                file,
                format!(
                    "{path}: not a decoder tokenizers reads (an object whose \"type\" is one of {})",
                    DECODER_TYPES.join(", ")
                ),
            ));
        }
    }
    if kind == Some("Sequence") {
        let parts = decoder
            .get("decoders")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| {
                format_error(
                    file,
                    format!("{path}: a Sequence needs a \"decoders\" list"),
                )
            })?;
        for (i, part) in parts.iter().enumerate() {
            check_decoder(file, part, &format!("{path}.decoders[{i}]"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_config_gives_special_tokens_and_template() {
        let json = br#"{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>",
            "chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#;
        let (special, template) =
            SpecialTokens::from_tokenizer_config("tokenizer_config.json", json).expect("parses");
        assert_eq!(special.bos.as_deref(), Some("<s>"));
        assert_eq!(special.eos.as_deref(), Some("</s>"));
        assert_eq!(special.pad, None);
        assert_eq!(template.as_deref(), Some("D"));
        assert!(SpecialTokens::from_tokenizer_config("x.json", b"{").is_err());
    }

    #[test]
    fn byte_alphabet_matches_gpt2() {
        let a = byte_alphabet();
        assert_eq!(a.len(), 256);
        assert_eq!(a[usize::from(b' ')], 'Ġ');
        assert_eq!(a[usize::from(b'\n')], 'Ċ');
        assert_eq!(a[usize::from(b'A')], 'A');
        assert_eq!(respell("é", &a), "Ã©");
    }
}
