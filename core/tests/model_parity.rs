//! Parity of soo's model families with Hugging Face transformers.
//!
//! `scripts/fixtures/tiny_models.py` saves tiny random models (config.json + model.safetensors)
//! and transformers' logits and module outputs for a fixed batch (row 1 right-padded) under
//! `tests/fixtures/tiny/<family>/`. Every number compared here comes from transformers.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::max_abs_diff;
use serde::Deserialize;
use soo_core::burn::optim::GradientsParams;
use soo_core::burn::tensor::{Device, Int, Tensor, TensorData};
use soo_core::load::hf;
use soo_core::loaded::load_model;
use soo_core::lora::{Lora, LoraConfig};
use soo_core::model::{Family, Model, ModulePath};

const TOLERANCE: f32 = 1e-4;

#[derive(Deserialize)]
struct Capture {
    shape: Vec<usize>,
    values: Vec<f32>,
}

#[derive(Deserialize)]
struct Expected {
    input_ids: Vec<Vec<i64>>,
    attention_mask: Vec<Vec<i64>>,
    logits_shape: Vec<usize>,
    logits: Vec<f32>,
    captures: HashMap<String, Capture>,
}

fn folder(family: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/tiny/{family}"))
}

fn files(family: &str) -> HashMap<String, Vec<u8>> {
    ["config.json", "model.safetensors"]
        .into_iter()
        .map(|name| {
            let bytes = std::fs::read(folder(family).join(name)).unwrap();
            (name.to_string(), bytes)
        })
        .collect()
}

fn load(family: &str, device: &Device) -> (Model<Lora>, Expected) {
    let model = load_model(files(family), device).unwrap();
    let text = std::fs::read_to_string(folder(family).join("expected.json")).unwrap();
    (model, serde_json::from_str(&text).unwrap())
}

fn ints(rows: &[Vec<i64>], device: &Device) -> Tensor<2, Int> {
    let shape = [rows.len(), rows[0].len()];
    let flat: Vec<i64> = rows.concat();
    Tensor::from_data(TensorData::new(flat, shape), device)
}

fn host<const D: usize>(t: Tensor<D>) -> (Vec<usize>, Vec<f32>) {
    let shape = t.dims().to_vec();
    (
        shape,
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap(),
    )
}

/// `[batch, seq, width]` values of batch row `row`, positions `0..len`.
fn rows(values: &[f32], shape: &[usize], row: usize, len: usize) -> Vec<f32> {
    let (seq, width) = (shape[1], shape[2]);
    values[row * seq * width..(row * seq + len) * width].to_vec()
}

/// The rows of a `[batch, seq, width]` tensor at real tokens (mask 1). What a padded position
/// computes is unspecified: where a sliding window leaves it no real key, transformers' SDPA
/// and eager paths differ from each other.
fn tokens(values: &[f32], mask: &[i64]) -> Vec<f32> {
    let width = values.len() / mask.len();
    let mut out = Vec::with_capacity(values.len());
    for (p, &m) in mask.iter().enumerate() {
        if m == 1 {
            out.extend_from_slice(&values[p * width..(p + 1) * width]);
        }
    }
    out
}

/// Full forward of the padded batch: logits and captured modules against transformers.
fn check_forward(family: &str, expected_family: Family) {
    let device = Device::flex();
    let (model, expected) = load(family, &device);
    assert_eq!(model.family(), expected_family);
    let paths: Vec<ModulePath> = expected
        .captures
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    let mask = expected.attention_mask.concat();
    let out = model
        .forward(
            ints(&expected.input_ids, &device),
            Some(ints(&expected.attention_mask, &device)),
            &paths,
        )
        .unwrap();
    let (shape, logits) = host(out.logits);
    assert_eq!(shape, expected.logits_shape);
    let diff = max_abs_diff(&tokens(&logits, &mask), &tokens(&expected.logits, &mask));
    eprintln!("{family}: logits max-abs diff {diff:e}");

    assert!(diff <= TOLERANCE, "{family}: logits differ by {diff}");
    assert_eq!(out.captures.len(), expected.captures.len());
    for (name, want) in &expected.captures {
        let (shape, got) = host(out.captures[&name.parse::<ModulePath>().unwrap()].clone());
        assert_eq!(shape, want.shape, "{name}");
        let diff = max_abs_diff(&tokens(&got, &mask), &tokens(&want.values, &mask));
        eprintln!("{family}: {name} max-abs diff {diff:e}");
        assert!(diff <= TOLERANCE, "{family}: {name} differs by {diff}");
    }
}

/// Row 1 run alone without its padding gives what it gave inside the padded batch.
fn check_padding(family: &str) {
    let device = Device::flex();
    let (model, expected) = load(family, &device);
    let len = expected.attention_mask[1]
        .iter()
        .filter(|&&m| m == 1)
        .count();
    assert!(
        len < expected.attention_mask[1].len(),
        "row 1 must be padded"
    );
    let ids = vec![expected.input_ids[1][..len].to_vec()];
    let out = model.forward(ints(&ids, &device), None, &[]).unwrap();
    let (_, logits) = host(out.logits);
    let want = rows(&expected.logits, &expected.logits_shape, 1, len);
    let diff = max_abs_diff(&logits, &want);
    eprintln!("{family}: unpadded row max-abs diff {diff:e}");
    assert!(
        diff <= TOLERANCE,
        "{family}: padding changed row 1 by {diff}"
    );
}

/// Prefill then one token at a time, with a padding mask, equals the full forward.
fn check_kv_cache(family: &str) {
    let device = Device::flex();
    let (model, expected) = load(family, &device);
    let seq = expected.input_ids[0].len();
    let prefill = 5;
    let mut cache = model.new_cache();
    let mut got: Vec<Vec<f32>> = vec![Vec::new(), Vec::new()];
    let mut start = 0;
    while start < seq {
        let end = if start == 0 { prefill } else { start + 1 };
        let ids: Vec<Vec<i64>> = expected
            .input_ids
            .iter()
            .map(|r| r[start..end].to_vec())
            .collect();
        let mask: Vec<Vec<i64>> = expected
            .attention_mask
            .iter()
            .map(|r| r[..end].to_vec())
            .collect();
        let out = model
            .forward_cached(
                ints(&ids, &device),
                Some(ints(&mask, &device)),
                &mut cache,
                &[],
            )
            .unwrap();
        let (shape, logits) = host(out.logits);
        for (row, acc) in got.iter_mut().enumerate() {
            acc.extend(rows(&logits, &shape, row, end - start));
        }
        start = end;
    }
    assert_eq!(cache.len(), seq);
    let mask = expected.attention_mask.concat();
    let got = got.concat();
    let diff = max_abs_diff(&tokens(&got, &mask), &tokens(&expected.logits, &mask));
    eprintln!("{family}: kv-cache decode max-abs diff {diff:e}");
    assert!(
        diff <= TOLERANCE,
        "{family}: cached decoding differs by {diff}"
    );

    // And against our own full forward, padded positions included.
    let full = model
        .forward(
            ints(&expected.input_ids, &device),
            Some(ints(&expected.attention_mask, &device)),
            &[],
        )
        .unwrap();
    let (_, full) = host(full.logits);
    let diff = max_abs_diff(&got, &full);
    eprintln!("{family}: kv-cache vs full forward max-abs diff {diff:e}");
    assert!(
        diff <= TOLERANCE,
        "{family}: cached and full forward differ by {diff}"
    );
}

#[test]
fn llama_matches_transformers() {
    check_forward("llama", Family::Llama);
}

#[test]
fn llama_padding_does_not_leak() {
    check_padding("llama");
}

#[test]
fn llama_kv_cache_matches_full_forward() {
    check_kv_cache("llama");
}

#[test]
fn mistral_matches_transformers() {
    check_forward("mistral", Family::Mistral);
}

#[test]
fn mistral_padding_does_not_leak() {
    check_padding("mistral");
}

#[test]
fn mistral_kv_cache_matches_full_forward() {
    check_kv_cache("mistral");
}

#[test]
fn qwen2_matches_transformers() {
    check_forward("qwen2", Family::Qwen2);
}

#[test]
fn qwen2_padding_does_not_leak() {
    check_padding("qwen2");
}

#[test]
fn qwen2_kv_cache_matches_full_forward() {
    check_kv_cache("qwen2");
}

#[test]
fn gemma2_matches_transformers() {
    check_forward("gemma2", Family::Gemma2);
}

#[test]
fn gemma2_padding_does_not_leak() {
    check_padding("gemma2");
}

#[test]
fn gemma2_kv_cache_matches_full_forward() {
    check_kv_cache("gemma2");
}

/// Captured activations stay in the autodiff graph: a loss on one reaches the weights.
#[test]
fn captures_carry_gradients_to_the_adapter_only() {
    let device = Device::flex().autodiff();
    let (mut model, expected) = load("llama", &device);
    let lora = Lora::init(&LoraConfig::default(), model.shape(), 7, &device).unwrap();
    model.attach_adapter(lora).unwrap();
    let path: ModulePath = "layers.1.self_attn.v_proj".parse().unwrap();
    let out = model
        .forward(ints(&expected.input_ids, &device), None, &[path])
        .unwrap();
    let loss = out.captures[&path].clone().square().mean();
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    // The base is frozen. LoRA on q and v: layer 0's q and v and layer 1's v reach the capture
    // (layer 1's q does not), A and B each: 6.
    assert_eq!(grads.len(), 6);
}

#[test]
fn bad_capture_names_are_errors() {
    let device = Device::flex();
    let (model, expected) = load("llama", &device);
    let err = "layers.1.attn"
        .parse::<ModulePath>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown module 'attn'"), "{err}");
    let path: ModulePath = "layers.2.mlp".parse().unwrap();
    let err = model
        .forward(ints(&expected.input_ids, &device), None, &[path])
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 layers"), "{err}");
}

#[test]
fn missing_and_misshapen_weights_are_format_errors() {
    let device = Device::flex();
    let mut bad = files("llama");
    let mut config: serde_json::Value = serde_json::from_slice(&bad["config.json"]).unwrap();
    config["intermediate_size"] = 96.into();
    bad.insert("config.json".into(), serde_json::to_vec(&config).unwrap());
    let err = load_model(bad, &device).unwrap_err().to_string();
    assert!(
        err.starts_with("model.safetensors: tensor model.layers.0.mlp.gate_proj.weight has shape"),
        "{err}"
    );

    let mut bad = files("llama");
    let mut config: serde_json::Value = serde_json::from_slice(&bad["config.json"]).unwrap();
    config["num_hidden_layers"] = 3.into();
    bad.insert("config.json".into(), serde_json::to_vec(&config).unwrap());
    let err = load_model(bad, &device).unwrap_err().to_string();
    assert!(
        err.contains("model.layers.2.") && err.contains("missing"),
        "{err}"
    );

    let mut bad = files("llama");
    bad.remove("model.safetensors");
    let err = load_model(bad, &device).unwrap_err().to_string();
    assert!(err.starts_with("model.safetensors: missing"), "{err}");
}

#[test]
fn a_sharded_folder_loads_like_a_single_file() {
    let device = Device::flex();
    let mut sharded = files("llama");
    let single = sharded.remove("model.safetensors").unwrap();
    // Split the tensors over two shards and write the index that lists them.
    let file = safetensors::SafeTensors::deserialize(&single).unwrap();
    let names = [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    ];
    let mut map = HashMap::new();
    let mut parts = [Vec::new(), Vec::new()];
    for (i, (name, view)) in file.tensors().into_iter().enumerate() {
        map.insert(name.clone(), names[i % 2]);
        parts[i % 2].push((name, view));
    }
    for (name, part) in names.iter().zip(parts) {
        let bytes = safetensors::serialize(part, None).unwrap();
        sharded.insert(name.to_string(), bytes);
    }
    let index = serde_json::json!({ "metadata": {}, "weight_map": map });
    sharded.insert(hf::INDEX.into(), serde_json::to_vec(&index).unwrap());
    let model = load_model(sharded, &device).unwrap();
    let (reference, expected) = load("llama", &device);
    let ids = ints(&expected.input_ids, &device);
    let (_, a) = host(model.forward(ids.clone(), None, &[]).unwrap().logits);
    let (_, b) = host(reference.forward(ids, None, &[]).unwrap().logits);
    assert_eq!(a, b);
}

#[test]
fn config_dispatch_and_unsupported_families() {
    use soo_core::model::ModelConfig;
    let llama = std::fs::read(folder("llama").join("config.json")).unwrap();
    assert_eq!(
        ModelConfig::from_bytes(&llama).unwrap().family(),
        Family::Llama
    );
    let by_architecture = serde_json::json!({
        "architectures": ["Gemma2ForCausalLM"], "vocab_size": 8, "hidden_size": 8,
        "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 1
    });
    assert_eq!(
        ModelConfig::from_json(&by_architecture).unwrap().family(),
        Family::Gemma2
    );
    let err = ModelConfig::from_json(&serde_json::json!({ "model_type": "gpt2" }))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("unsupported: model type gpt2"), "{err}");
    let err = ModelConfig::from_json(&serde_json::json!({ "model_type": "llama" }))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("config.json: missing field"), "{err}");
}
