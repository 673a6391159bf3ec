//! Broken inputs from issue 23 ("Hardening"), each made here from the committed fixtures or
//! the real test model: every one must be a one-line error naming the file and the problem,
//! never a panic, an abort on a huge allocation, or a score.

use std::path::Path;

use burn::tensor::{Int, Tensor, TensorData};
use serde_json::{Value, json};
use soo_core::burn;
use soo_core::device::flex_device;
use soo_core::eval::measure::forced_choice::{ANSWER_PREFIX, forced_choice_one};
use soo_core::eval::{PromptStyle, Vocabulary, suites};
use soo_core::load::gguf::Gguf;
use soo_core::load::gguf_source::GgufSource;
use soo_core::load::model_files::ModelFiles;
use soo_core::load::safetensors::SafetensorsSource;
use soo_core::loaded::LoadedModel;
use soo_core::lora::{Lora, LoraConfig};
use soo_core::model::Model;
use soo_core::{Error, Result};

mod common;

fn tiny(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tiny/llama")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tiny_config() -> Value {
    serde_json::from_slice(&tiny("config.json")).expect("config.json")
}

/// The tiny Llama loaded from `config` and its (possibly damaged) `weights`.
fn load(config: &Value, weights: Vec<u8>) -> Result<Model<Lora>> {
    let source = SafetensorsSource::single("model.safetensors", weights)?;
    Model::from_config_json(config, &source, "model.safetensors", &flex_device())
}

fn format_problem<T: std::fmt::Debug>(result: Result<T>) -> (String, String) {
    match result {
        Err(Error::Format { file, problem }) => (file, problem),
        other => panic!("expected Error::Format, got {other:?}"),
    }
}

#[test]
fn absurd_config_sizes_are_refused_before_allocating() {
    for (field, value) in [
        ("num_hidden_layers", json!(100_000_000_000u64)),
        ("head_dim", json!(1u64 << 40)),
        ("vocab_size", json!(u64::MAX)),
        ("intermediate_size", json!(1u64 << 40)),
    ] {
        let mut config = tiny_config();
        config[field] = value;
        let (file, problem) = format_problem(load(&config, tiny("model.safetensors")));
        assert_eq!(file, "config.json");
        assert!(problem.contains(field), "{field}: {problem}");
    }
}

#[test]
fn a_layer_count_beyond_the_weights_is_refused_up_front() {
    let mut config = tiny_config();
    config["num_hidden_layers"] = json!(3);
    let (file, problem) = format_problem(load(&config, tiny("model.safetensors")));
    assert_eq!(file, "model.safetensors");
    assert!(
        problem.contains("num_hidden_layers") && problem.contains("model.layers.2."),
        "{problem}"
    );
}

#[test]
fn config_type_errors_name_the_field() {
    let mut config = tiny_config();
    config["hidden_size"] = json!("64");
    let (file, problem) = format_problem(load(&config, tiny("model.safetensors")));
    assert_eq!(file, "config.json");
    assert!(
        problem.contains("hidden_size") && problem.contains("invalid type"),
        "{problem}"
    );
}

/// The byte range of tensor `name` in safetensors `bytes`.
fn safetensors_range(bytes: &[u8], name: &str) -> std::ops::Range<usize> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let offsets = &header[name]["data_offsets"];
    let at = |i: usize| 8 + n + offsets[i].as_u64().unwrap() as usize;
    at(0)..at(1)
}

#[test]
fn non_finite_weights_are_refused_naming_the_tensor() {
    let name = "model.layers.1.input_layernorm.weight";
    for bad in [f32::NAN, f32::INFINITY] {
        let mut weights = tiny("model.safetensors");
        let at = safetensors_range(&weights, name).start + 4 * 5;
        weights[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        let (file, problem) = format_problem(load(&tiny_config(), weights));
        assert_eq!(file, "model.safetensors");
        assert!(
            problem.contains(name) && problem.contains("index 5"),
            "{problem}"
        );
    }
}

#[test]
fn token_ids_past_the_vocabulary_are_an_error_not_a_panic() {
    let model = load(&tiny_config(), tiny("model.safetensors")).expect("loads");
    let device = flex_device();
    let ids = |v: Vec<i64>| Tensor::<2, Int>::from_data(TensorData::new(v, [1, 3]), &device);
    let (file, problem) = format_problem(model.forward(ids(vec![1, 5000, 2]), None, &[]));
    assert_eq!(file, "input_ids");
    assert!(
        problem.contains("5000") && problem.contains("128"),
        "{problem}"
    );
    let mut cache = model.new_cache();
    format_problem(model.forward_cached(ids(vec![1, 2, -1]), None, &mut cache, &[]));
    format_problem(model.forward_base(ids(vec![128, 2, 3]), None));
    assert!(model.forward(ids(vec![0, 127, 5]), None, &[]).is_ok());
}

/// The tiny Llama's folder with `tokenizer` as its tokenizer.json.
fn folder_with_tokenizer(tokenizer: &Value) -> Result<LoadedModel> {
    let files = [
        ("config.json", tiny("config.json")),
        ("model.safetensors", tiny("model.safetensors")),
        ("tokenizer.json", serde_json::to_vec(tokenizer).unwrap()),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_string(), bytes.into()))
    .collect();
    LoadedModel::load(&ModelFiles::from_files(files)?, &flex_device())
}

#[test]
fn a_tokenizer_of_another_model_is_refused_on_load() {
    // The toy world's tokenizer (85 tokens) fits the tiny Llama's 128 rows...
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/models/toy-world/tokenizer.json");
    let mut tokenizer: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    folder_with_tokenizer(&tokenizer).expect("a tokenizer within the embedding loads");
    // ...one whose vocabulary runs to id 299 does not: it belongs to another model.
    let vocab = tokenizer["model"]["vocab"]
        .as_object_mut()
        .expect("a vocab map");
    for id in 200..300 {
        vocab.insert(format!("zz{id}"), json!(id));
    }
    let (file, problem) = format_problem(folder_with_tokenizer(&tokenizer));
    assert_eq!(file, "tokenizer.json");
    assert!(
        problem.contains("299")
            && problem.contains("128 rows")
            && problem.contains("another model"),
        "{problem}"
    );
}

#[test]
fn malformed_tokenizer_decoders_are_errors_not_panics() {
    // tokenizers 0.22.2 panics on these (found by the fuzz target `hf_folder`); soo checks first.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/models/toy-world/tokenizer.json");
    let clean: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    for decoder in [
        json!(5),
        json!({"type": "NoSuchDecoder"}),
        json!({"type": "Sequence", "decoders": [{"type": "Fuse"}, 7]}),
        json!({"type": "Sequence"}),
    ] {
        let mut tokenizer = clean.clone();
        tokenizer["decoder"] = decoder.clone();
        let (file, problem) = format_problem(soo_core::text::Tokenizer::from_json(
            "tokenizer.json",
            &serde_json::to_vec(&tokenizer).unwrap(),
        ));
        assert_eq!(file, "tokenizer.json");
        assert!(problem.contains("decoder"), "{decoder}: {problem}");
    }
    // Text that is not JSON at all, cut inside the decoder: an error too.
    let text = serde_json::to_string(&clean).unwrap();
    let cut = &text[..text.find("\"decoder\"").unwrap() + 14];
    format_problem(soo_core::text::Tokenizer::from_json(
        "tokenizer.json",
        cut.as_bytes(),
    ));
}

#[test]
fn lora_rank_is_bounded_by_the_projections() {
    let model = load(&tiny_config(), tiny("model.safetensors")).expect("loads");
    let device = flex_device();
    let init = |rank: usize| {
        let config = LoraConfig {
            rank,
            ..LoraConfig::default()
        };
        Lora::init(&config, model.shape(), 0, &device)
    };
    // q_proj is 64 → 64, v_proj 64 → 32: rank 32 is the most.
    assert!(init(32).is_ok());
    let err = init(33).expect_err("rank 33").to_string();
    assert!(err.contains("v_proj") && err.contains("32"), "{err}");
    let err = init(100_000_000_000).expect_err("absurd rank").to_string();
    assert!(err.contains("100000000000"), "{err}");
}

/// The real test model with its `llama.block_count` (a u32) set to `count`.
fn with_block_count(count: u32) -> Vec<u8> {
    let mut bytes = common::test_model_bytes();
    let key = b"llama.block_count";
    let at = bytes
        .windows(key.len())
        .position(|w| w == key)
        .expect("the key")
        + key.len();
    assert_eq!(bytes[at..at + 4], 4u32.to_le_bytes(), "a UINT32 value");
    bytes[at + 4..at + 8].copy_from_slice(&count.to_le_bytes());
    bytes
}

#[test]
fn gguf_block_counts_must_match_the_tensors() {
    for (count, expect) in [(u32::MAX, "beyond any real model"), (31, "30 blocks")] {
        let bytes = with_block_count(count);
        let source = GgufSource::new("m.gguf", bytes).expect("header parses");
        let (file, problem) = format_problem(source.config_json());
        assert_eq!(file, "m.gguf");
        assert!(
            problem.contains("llama.block_count") && problem.contains(expect),
            "{problem}"
        );
    }
}

#[test]
fn nan_logits_never_score_as_honest() {
    // Finite weights so large that the final norm overflows: every logit is NaN or infinite.
    let mut bytes = common::test_model_bytes();
    let info = Gguf::parse("m.gguf", &bytes)
        .expect("parses")
        .info("output_norm.weight")
        .expect("output_norm")
        .clone();
    for v in bytes[info.start..info.start + info.len].chunks_exact_mut(4) {
        v.copy_from_slice(&3e38f32.to_le_bytes());
    }
    let files = ModelFiles::from_gguf("m.gguf", bytes).expect("resolves");
    let loaded = LoadedModel::load(&files, &flex_device()).expect("finite weights load");
    let suite = suites::builtin().into_iter().next().expect("main");
    let scenario = &suite.generate(1, 0, &Vocabulary::builtin(), &PromptStyle::default())[0];
    let result = pollster::block_on(forced_choice_one(&loaded, scenario, ANSWER_PREFIX));
    let (file, problem) = format_problem(result);
    assert_eq!(file, "logits");
    assert!(problem.contains("not finite"), "{problem}");
}
