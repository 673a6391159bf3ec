//! [`ModelFiles`]: everything a model needs, as bytes, checked and sorted by role.
//!
//! A model arrives either as a Hugging Face folder (`config.json`, safetensors weights, a
//! `tokenizer.json` and `tokenizer_config.json`) or as one GGUF file that carries all of it. The
//! browser fetches the files and hands them over by name; natively `load::native` reads or
//! downloads them. Either way the same constructors check that nothing required is missing and
//! that each file parses, so a bad model fails here with the name of the bad file, not deep in
//! the model code. This module never touches a filesystem.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::gguf_source::GgufSource;
use super::hf::{CONFIG, INDEX, SINGLE};
use super::safetensors::{SafetensorsSource, shard_files};
use super::{WeightSource, gguf::format_error};
use crate::text::{ChatTemplate, SpecialTokens, Tokenizer};
use crate::{Error, Result};

/// The tokenizer of a Hugging Face folder.
pub const TOKENIZER: &str = "tokenizer.json";
/// Special tokens and the chat template of a Hugging Face folder.
pub const TOKENIZER_CONFIG: &str = "tokenizer_config.json";
/// Default sampling settings of a Hugging Face folder (optional).
pub const GENERATION_CONFIG: &str = "generation_config.json";
/// The chat template as its own file: transformers (since 4.43) saves it here, and it takes
/// precedence over the `chat_template` field of `tokenizer_config.json`.
pub const CHAT_TEMPLATE: &str = "chat_template.jinja";

/// The files a Hugging Face folder may hold that soo reads, besides weight shards: what to
/// fetch (or download) before calling [`ModelFiles::from_files`].
pub const FOLDER_FILES: [&str; 6] = [
    CONFIG,
    TOKENIZER,
    TOKENIZER_CONFIG,
    CHAT_TEMPLATE,
    GENERATION_CONFIG,
    INDEX,
];

/// The bytes of one file: owned, or natively a memory map. Cloning shares them.
#[derive(Clone)]
pub struct FileBytes(Arc<dyn AsRef<[u8]> + Send + Sync>);

impl FileBytes {
    /// Wraps anything that derefs to bytes (a `Vec<u8>`, a `memmap2::Mmap`).
    pub fn new(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Self {
        Self(Arc::new(bytes))
    }
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

impl From<Vec<u8>> for FileBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl std::fmt::Debug for FileBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FileBytes({} bytes)", self.as_ref().len())
    }
}

/// A named file's bytes.
#[derive(Debug, Clone)]
pub struct NamedBytes {
    /// The file name (as fetched, or relative to the model folder).
    pub name: String,
    /// Its bytes.
    pub bytes: FileBytes,
}

/// Where the weights are.
pub enum Weights {
    /// One GGUF file, header parsed (it also holds the config and the tokenizer).
    Gguf(GgufSource<FileBytes>),
    /// One `model.safetensors`.
    Safetensors(NamedBytes),
    /// `model.safetensors.index.json` and the shards it lists, sorted by name.
    Sharded {
        /// The index file.
        index: NamedBytes,
        /// Every shard the index names.
        shards: Vec<NamedBytes>,
    },
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Gguf(g) => write!(f, "Gguf({}, {} bytes)", g.gguf().file, g.bytes().len()),
            Self::Safetensors(file) => write!(f, "Safetensors({file:?})"),
            Self::Sharded { index, shards } => f
                .debug_struct("Sharded")
                .field("index", index)
                .field("shards", shards)
                .finish(),
        }
    }
}

/// A model's files, checked: the config, the weights, the tokenizer and its chat template.
#[derive(Debug)]
pub struct ModelFiles {
    /// `config.json` (for a GGUF: the one its metadata implies).
    pub config: Value,
    /// The weights.
    pub weights: Weights,
    /// The tokenizer, with its special tokens set.
    pub tokenizer: Tokenizer,
    /// The file the tokenizer came from (`tokenizer.json` or the GGUF's name), for messages.
    pub tokenizer_file: String,
    /// The Jinja chat template, if the model has one.
    pub chat_template: Option<String>,
    /// `generation_config.json`, if the folder has one.
    pub generation_config: Option<Value>,
}

/// Parses `bytes` as a JSON object, or a Format error naming `file`.
fn json_object(file: &str, bytes: &[u8]) -> Result<Value> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| format_error(file, format!("not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(format_error(file, "expected a JSON object"));
    }
    Ok(value)
}

/// Checks that `bytes` start with a safetensors header, so a truncated or mislabelled file is
/// reported by name now rather than when the first tensor is read.
fn check_safetensors(file: &str, bytes: &[u8]) -> Result<()> {
    safetensors::SafeTensors::read_metadata(bytes)
        .map(|_| ())
        .map_err(|e| format_error(file, format!("not a valid safetensors file: {e}")))
}

/// `chat_template.jinja` if the files hold one (it wins over `fallback`, as in transformers).
fn chat_template_file(
    files: &mut HashMap<String, FileBytes>,
    fallback: Option<String>,
) -> Result<Option<String>> {
    match files.remove(CHAT_TEMPLATE) {
        Some(bytes) => String::from_utf8(bytes.as_ref().to_vec())
            .map(Some)
            .map_err(|_| format_error(CHAT_TEMPLATE, "not valid UTF-8 text")),
        None => Ok(fallback),
    }
}

fn missing(file: &str, why: &str) -> Error {
    format_error(file, format!("missing: {why}"))
}

impl ModelFiles {
    /// A model from its files by name (what the browser fetched, or a folder's files): either
    /// exactly one `*.gguf`, or a Hugging Face folder (`config.json`, `tokenizer.json`,
    /// `model.safetensors` or `model.safetensors.index.json` with its shards; optionally
    /// `tokenizer_config.json` and `generation_config.json`). Other files are ignored. With a
    /// GGUF, a `tokenizer.json` / `tokenizer_config.json` given alongside take precedence over
    /// the GGUF's own tokenizer and template.
    pub fn from_files(mut files: HashMap<String, FileBytes>) -> Result<Self> {
        let mut ggufs: Vec<String> = files
            .keys()
            .filter(|name| name.ends_with(".gguf"))
            .cloned()
            .collect();
        let has_safetensors = files.contains_key(SINGLE) || files.contains_key(INDEX);
        if ggufs.len() > 1 && !has_safetensors {
            ggufs.sort();
            return Err(Error::Format {
                file: ggufs.join(", "),
                problem: "several GGUF files: pick one".into(),
            });
        }
        if let (Some(name), false) = (ggufs.first(), has_safetensors) {
            let name = name.clone();
            let bytes = files
                .remove(&name)
                .ok_or_else(|| missing(&name, "vanished"))?;
            return Self::from_gguf_with(&name, bytes, files);
        }
        Self::from_folder(files)
    }

    /// A model from one GGUF file's bytes (`name` is used in errors).
    pub fn from_gguf(name: &str, bytes: impl Into<FileBytes>) -> Result<Self> {
        Self::from_gguf_with(name, bytes.into(), HashMap::new())
    }

    fn from_gguf_with(
        name: &str,
        bytes: FileBytes,
        mut extra: HashMap<String, FileBytes>,
    ) -> Result<Self> {
        let source = GgufSource::new(name, bytes)?;
        let config = source.config_json()?;
        let (special, template) = match extra.remove(TOKENIZER_CONFIG) {
            Some(b) => {
                let (special, template) =
                    SpecialTokens::from_tokenizer_config(TOKENIZER_CONFIG, b.as_ref())?;
                (Some(special), template)
            }
            None => (None, None),
        };
        let (tokenizer, tokenizer_file) = match extra.remove(TOKENIZER) {
            Some(b) => (Tokenizer::from_json(TOKENIZER, b.as_ref())?, TOKENIZER),
            None => (source.tokenizer()?, name),
        };
        // The GGUF's tokenizer knows its own special tokens; a tokenizer_config.json overrides.
        let tokenizer = match special {
            Some(special) => tokenizer.with_special_tokens(special),
            None => tokenizer,
        };
        let template = chat_template_file(&mut extra, template)?;
        let chat_template = template.or_else(|| source.chat_template().map(str::to_string));
        let generation_config = match extra.remove(GENERATION_CONFIG) {
            Some(b) => Some(json_object(GENERATION_CONFIG, b.as_ref())?),
            None => None,
        };
        Ok(Self {
            config,
            weights: Weights::Gguf(source),
            tokenizer,
            tokenizer_file: tokenizer_file.to_string(),
            chat_template,
            generation_config,
        })
    }

    fn from_folder(mut files: HashMap<String, FileBytes>) -> Result<Self> {
        let folder = "a Hugging Face model folder needs";
        let config = files
            .remove(CONFIG)
            .ok_or_else(|| missing(CONFIG, &format!("{folder} {CONFIG} (or give a .gguf)")))?;
        let config = json_object(CONFIG, config.as_ref())?;
        let weights = folder_weights(&mut files)?;

        let tokenizer_bytes = files
            .remove(TOKENIZER)
            .ok_or_else(|| missing(TOKENIZER, &format!("{folder} {TOKENIZER}")))?;
        let tokenizer = Tokenizer::from_json(TOKENIZER, tokenizer_bytes.as_ref())?;
        let (tokenizer, chat_template) = match files.remove(TOKENIZER_CONFIG) {
            Some(b) => {
                let (special, template) =
                    SpecialTokens::from_tokenizer_config(TOKENIZER_CONFIG, b.as_ref())?;
                (tokenizer.with_special_tokens(special), template)
            }
            None => (tokenizer, None),
        };
        let chat_template = chat_template_file(&mut files, chat_template)?;
        let generation_config = match files.remove(GENERATION_CONFIG) {
            Some(b) => Some(json_object(GENERATION_CONFIG, b.as_ref())?),
            None => None,
        };
        Ok(Self {
            config,
            weights,
            tokenizer,
            tokenizer_file: TOKENIZER.to_string(),
            chat_template,
            generation_config,
        })
    }

    /// The chat template, compiled with the tokenizer's special tokens; `None` when the model
    /// has no template (a base model).
    pub fn compiled_chat_template(&self) -> Result<Option<ChatTemplate>> {
        self.chat_template
            .as_deref()
            .map(|source| ChatTemplate::new(source, self.tokenizer.special_tokens().clone()))
            .transpose()
    }

    /// The weights as a [`WeightSource`]. A GGUF is served in place; safetensors bytes are
    /// copied once, because [`SafetensorsSource`] owns `Vec<u8>`s.
    pub fn weight_source(&self) -> Result<Box<dyn WeightSource + '_>> {
        self.weights.source()
    }
}

impl Weights {
    /// The tensors of these weights by Hugging Face name. Safetensors bytes are copied once,
    /// because `SafetensorsSource` owns its buffers.
    pub fn source(&self) -> Result<Box<dyn WeightSource + '_>> {
        match self {
            Weights::Gguf(source) => Ok(Box::new(source)),
            Weights::Safetensors(file) => Ok(Box::new(SafetensorsSource::single(
                &file.name,
                file.bytes.as_ref().to_vec(),
            )?)),
            Weights::Sharded { index, shards } => Ok(Box::new(SafetensorsSource::sharded(
                &index.name,
                index.bytes.as_ref(),
                shards
                    .iter()
                    .map(|s| (s.name.clone(), s.bytes.as_ref().to_vec()))
                    .collect(),
            )?)),
        }
    }
}

impl<B: AsRef<[u8]>> WeightSource for &GgufSource<B> {
    fn tensor(&self, name: &str) -> Result<Option<super::HostTensor>> {
        (**self).tensor(name)
    }
}

/// The safetensors weights of a folder: the index and its shards, else `model.safetensors`.
pub(crate) fn folder_weights(files: &mut HashMap<String, FileBytes>) -> Result<Weights> {
    if let Some(index) = files.remove(INDEX) {
        let mut shards = Vec::new();
        for name in shard_files(INDEX, index.as_ref())? {
            let bytes = files.remove(&name).ok_or_else(|| {
                format_error(INDEX, format!("lists shard {name}, which is missing"))
            })?;
            check_safetensors(&name, bytes.as_ref())?;
            shards.push(NamedBytes { name, bytes });
        }
        let index = NamedBytes {
            name: INDEX.into(),
            bytes: index,
        };
        return Ok(Weights::Sharded { index, shards });
    }
    let bytes = files.remove(SINGLE).ok_or_else(|| {
        missing(
            SINGLE,
            &format!("a Hugging Face model folder needs {SINGLE} or {INDEX}"),
        )
    })?;
    check_safetensors(SINGLE, bytes.as_ref())?;
    Ok(Weights::Safetensors(NamedBytes {
        name: SINGLE.into(),
        bytes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKENIZER_JSON: &str = r#"{"version": "1.0", "added_tokens": [],
        "pre_tokenizer": {"type": "Whitespace"},
        "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"<unk>": 0, "hi": 1}}}"#;

    /// The tiny Llama fixture's config and weights, plus a word-level tokenizer.
    fn folder() -> HashMap<String, FileBytes> {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/llama");
        let read = |name: &str| FileBytes::from(std::fs::read(dir.join(name)).expect(name));
        HashMap::from([
            (CONFIG.to_string(), read(CONFIG)),
            (SINGLE.to_string(), read(SINGLE)),
            (
                TOKENIZER.to_string(),
                FileBytes::from(TOKENIZER_JSON.as_bytes().to_vec()),
            ),
        ])
    }

    fn problem(files: HashMap<String, FileBytes>) -> (String, String) {
        match ModelFiles::from_files(files) {
            Err(Error::Format { file, problem }) => (file, problem),
            other => panic!("expected a Format error, got {other:?}"),
        }
    }

    #[test]
    fn a_folder_resolves() {
        let model = ModelFiles::from_files(folder()).expect("resolves");
        assert!(model.config.get("hidden_size").is_some());
        assert!(matches!(&model.weights, Weights::Safetensors(w) if w.name == SINGLE));
        assert_eq!(model.tokenizer.encode("hi", false).expect("encodes"), [1]);
        assert!(model.chat_template.is_none() && model.generation_config.is_none());
        assert!(model.weight_source().is_ok());
    }

    #[test]
    fn chat_template_jinja_wins_over_tokenizer_config() {
        let mut files = folder();
        let config = br#"{"chat_template": "from tokenizer_config"}"#;
        files.insert(TOKENIZER_CONFIG.into(), FileBytes::from(config.to_vec()));
        let resolved = ModelFiles::from_files(files.clone()).expect("resolves");
        assert_eq!(
            resolved.chat_template.as_deref(),
            Some("from tokenizer_config")
        );
        files.insert(
            CHAT_TEMPLATE.into(),
            FileBytes::from(b"from the jinja file".to_vec()),
        );
        let resolved = ModelFiles::from_files(files.clone()).expect("resolves");
        assert_eq!(
            resolved.chat_template.as_deref(),
            Some("from the jinja file")
        );
        files.insert(CHAT_TEMPLATE.into(), FileBytes::from(vec![0xff, 0xfe]));
        assert_eq!(problem(files).0, CHAT_TEMPLATE);
    }

    #[test]
    fn missing_or_malformed_files_are_named() {
        let without = |name: &str| {
            let mut files = folder();
            files.remove(name);
            files
        };
        let with = |name: &str, bytes: &[u8]| {
            let mut files = folder();
            files.insert(name.to_string(), FileBytes::from(bytes.to_vec()));
            files
        };
        let (file, why) = problem(without(CONFIG));
        assert!(file == CONFIG && why.starts_with("missing"), "{why}");
        let (file, why) = problem(without(SINGLE));
        assert!(file == SINGLE && why.contains(INDEX), "{why}");
        assert_eq!(problem(without(TOKENIZER)).0, TOKENIZER);
        assert_eq!(problem(with(CONFIG, b"{")).0, CONFIG);
        assert_eq!(problem(with(CONFIG, b"[1]")).0, CONFIG);
        assert_eq!(problem(with(SINGLE, b"junk")).0, SINGLE);
        assert_eq!(problem(with(TOKENIZER, b"{}")).0, TOKENIZER);
        assert_eq!(problem(with(TOKENIZER_CONFIG, b"nope")).0, TOKENIZER_CONFIG);
        assert_eq!(
            problem(with(GENERATION_CONFIG, b"nope")).0,
            GENERATION_CONFIG
        );
        let index = br#"{"weight_map": {"w": "model-00001-of-00002.safetensors"}}"#;
        let (file, why) = problem(with(INDEX, index));
        assert!(
            file == INDEX && why.contains("model-00001-of-00002"),
            "{why}"
        );
    }

    #[test]
    fn gguf_choice_must_be_unambiguous() {
        let junk = || FileBytes::from(b"GGUF".to_vec());
        let files = HashMap::from([
            ("a.gguf".to_string(), junk()),
            ("b.gguf".to_string(), junk()),
        ]);
        let (file, why) = problem(files);
        assert!(
            file == "a.gguf, b.gguf" && why.contains("pick one"),
            "{why}"
        );
        let (file, _) = problem(HashMap::from([("m.gguf".to_string(), junk())]));
        assert_eq!(file, "m.gguf");
    }
}
