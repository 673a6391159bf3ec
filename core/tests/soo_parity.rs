//! LoRA and the SOO losses against PyTorch + peft.
//!
//! `scripts/fixtures/soo_step.py` attaches a peft LoRA (r 4, alpha 8, q/v/o of both layers,
//! random non-zero A and B) to the tiny llama fixture, saves it as a peft adapter folder and
//! records, for fixed token ids: the logits with the adapter, merged, and without; every loss
//! of `soo_core::train::loss` with the gradient of every LoRA matrix; and one AdamW step.
//! Here soo imports that adapter and must reproduce every number.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::max_abs_diff;
use serde::Deserialize;
use soo_core::burn::optim::GradientsParams;
use soo_core::burn::tensor::{Device, Tensor};
use soo_core::load::transpose;
use soo_core::loaded::load_model;
use soo_core::lora::Lora;
use soo_core::lora::peft::{self, PeftFiles};
use soo_core::model::{Model, ModulePath};
use soo_core::train::config::OptimizerConfig;
use soo_core::train::{Positions, TokenBatch, loss};

const TOLERANCE: f32 = 1e-4;

#[derive(Deserialize)]
struct Loss {
    value: f32,
    grads: HashMap<String, Vec<f32>>,
}

#[derive(Deserialize)]
struct AdamW {
    lr: f64,
    betas: [f64; 2],
    eps: f64,
    weight_decay: f64,
    loss_after: f32,
    weights_after: HashMap<String, Vec<f32>>,
}

#[derive(Deserialize)]
struct Logits {
    peft: Vec<f32>,
    merged: Vec<f32>,
    base: Vec<f32>,
}

#[derive(Deserialize)]
struct Expected {
    self_ids: Vec<Vec<u32>>,
    other_ids: Vec<Vec<u32>>,
    losses: HashMap<String, Loss>,
    adamw: AdamW,
    logits: Logits,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(fixtures().join("soo_step/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn adapter_files() -> PeftFiles {
    let dir = fixtures().join("soo_step/adapter");
    PeftFiles {
        config: std::fs::read(dir.join(peft::CONFIG_FILE)).unwrap(),
        weights: std::fs::read(dir.join(peft::WEIGHTS_FILE)).unwrap(),
    }
}

/// The tiny llama with the fixture's adapter attached.
fn model(device: &Device) -> Model<Lora> {
    let dir = fixtures().join("tiny/llama");
    let files = ["config.json", "model.safetensors"]
        .into_iter()
        .map(|n| (n.to_string(), std::fs::read(dir.join(n)).unwrap()))
        .collect();
    let mut model = load_model(files, device).unwrap();
    let lora = peft::import(&adapter_files(), "soo_step/adapter", model.shape(), device).unwrap();
    model.attach_adapter(lora).unwrap();
    model
}

fn host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// Every LoRA matrix of the attached adapter as (peft key, tensor in soo's layout).
fn lora_tensors(model: &Model<Lora>) -> Vec<(String, Tensor<2>)> {
    let mut out = Vec::new();
    for (layer, site, branch) in model.adapter().unwrap().branches() {
        let key = |m: &str| {
            format!(
                "base_model.model.model.layers.{layer}.{site}.lora_{m}.weight",
                site = site.name()
            )
        };
        out.push((key("A"), branch.a()));
        out.push((key("B"), branch.b()));
    }
    out
}

/// A soo-layout `[in, out]` tensor's values in peft's `[out, in]` layout.
fn peft_layout(t: Tensor<2>) -> Vec<f32> {
    let [rows, cols] = t.dims();
    transpose(&host(t), rows, cols)
}

/// The loss named `name` on the fixture's batches.
fn compute(name: &str, model: &Model<Lora>, e: &Expected, device: &Device) -> Tensor<1> {
    let selves = TokenBatch::new(&e.self_ids, 0, device).unwrap();
    let others = TokenBatch::new(&e.other_ids, 0, device).unwrap();
    let hook: ModulePath = "layers.1.self_attn.o_proj".parse().unwrap();
    let s = model
        .forward(selves.ids.clone(), Some(selves.mask.clone()), &[hook])
        .unwrap();
    let o = model
        .forward(others.ids.clone(), Some(others.mask.clone()), &[hook])
        .unwrap();
    // SOO through `activations`, which stops after the hook layer, as training does.
    let soo = |positions| {
        let a_self = model
            .activations(
                selves.ids.clone(),
                Some(selves.mask.clone()),
                &[hook],
                false,
            )
            .unwrap();
        let a_other = model
            .activations(
                others.ids.clone(),
                Some(others.mask.clone()),
                &[hook],
                false,
            )
            .unwrap();
        loss::soo_mse(
            a_self[&hook].clone(),
            &selves.lengths,
            a_other[&hook].clone(),
            &others.lengths,
            positions,
        )
    };
    match name {
        "soo_all" => soo(Positions::All),
        "soo_last" => soo(Positions::Last),
        "soo_mean" => soo(Positions::Mean),
        "logit_kl" => loss::logit_kl(
            s.logits.clone(),
            &selves.lengths,
            o.logits.clone(),
            &others.lengths,
        ),
        "lm" => loss::lm(
            s.logits.clone(),
            selves.ids.clone(),
            &selves.lengths,
            &[0, 0],
        ),
        "kl_to_base" => {
            let base = model
                .forward_base(selves.ids.clone(), Some(selves.mask.clone()))
                .unwrap();
            loss::kl_to_base(base, s.logits.clone(), &selves.lengths)
        }
        other => panic!("unknown loss {other}"),
    }
}

/// Logits at real tokens only (padding is unspecified).
fn real(logits: &[f32], lengths: &[usize], width: usize, vocab: usize) -> Vec<f32> {
    let mut out = Vec::new();
    for (row, len) in lengths.iter().enumerate() {
        out.extend_from_slice(&logits[row * width * vocab..(row * width + len) * vocab]);
    }
    out
}

#[test]
fn imported_adapter_and_merge_give_peft_logits() {
    let device = Device::flex().autodiff();
    let e = expected();
    let mut model = model(&device);
    let batch = TokenBatch::new(&e.self_ids, 0, &device).unwrap();
    let width = batch.ids.dims()[1];
    let vocab = model.vocab_size();
    let real = |t: Tensor<3>| real(&host(t), &batch.lengths, width, vocab);
    let adapted = model
        .forward(batch.ids.clone(), Some(batch.mask.clone()), &[])
        .unwrap();
    let base = model
        .forward_base(batch.ids.clone(), Some(batch.mask.clone()))
        .unwrap();
    let want = |v: &[f32]| self::real(v, &batch.lengths, width, vocab);
    let d_adapted = max_abs_diff(&real(adapted.logits), &want(&e.logits.peft));
    let d_base = max_abs_diff(&real(base), &want(&e.logits.base));
    model.merge_adapter().unwrap();
    assert!(model.adapter().is_none());
    let merged = model
        .forward(batch.ids.clone(), Some(batch.mask.clone()), &[])
        .unwrap();
    let d_merged = max_abs_diff(&real(merged.logits), &want(&e.logits.merged));
    eprintln!("logits max-abs diff: adapted {d_adapted:e}, base {d_base:e}, merged {d_merged:e}");
    assert!(d_adapted <= TOLERANCE && d_base <= TOLERANCE && d_merged <= TOLERANCE);
}

#[test]
fn losses_and_gradients_match_pytorch() {
    let device = Device::flex().autodiff();
    let e = expected();
    let model = model(&device);
    for (name, want) in &e.losses {
        let value = compute(name, &model, &e, &device);
        let got = host(value.clone())[0];
        let grads = value.backward();
        let mut worst = 0.0f32;
        for (key, tensor) in lora_tensors(&model) {
            let grad = tensor
                .grad(&grads)
                .unwrap_or_else(|| panic!("{name}: no gradient for {key}"));
            let diff = max_abs_diff(&peft_layout(grad), &want.grads[&key]);
            worst = worst.max(diff);
        }
        eprintln!(
            "{name}: loss {got} (PyTorch {}), worst gradient diff {worst:e}",
            want.value
        );
        assert!(
            (got - want.value).abs() <= TOLERANCE * want.value.abs().max(1.0),
            "{name}: loss {got} vs {}",
            want.value
        );
        assert!(worst <= TOLERANCE, "{name}: gradients differ by {worst}");
    }
}

#[test]
fn one_adamw_step_matches_pytorch() {
    let device = Device::flex().autodiff();
    let e = expected();
    let mut model = model(&device);
    let config = OptimizerConfig {
        lr: e.adamw.lr,
        weight_decay: e.adamw.weight_decay,
        beta1: e.adamw.betas[0],
        beta2: e.adamw.betas[1],
        eps: e.adamw.eps,
    };
    let mut optimizer = config.init();
    let loss = compute("soo_all", &model, &e, &device);
    let grads = GradientsParams::from_grads(loss.backward(), model.adapter().unwrap());
    let lora = model.detach_adapter().unwrap();
    let lora = optimizer.step(config.lr, lora, grads);
    model.attach_adapter(lora).unwrap();
    let mut worst = 0.0f32;
    for (key, tensor) in lora_tensors(&model) {
        worst = worst.max(max_abs_diff(
            &peft_layout(tensor),
            &e.adamw.weights_after[&key],
        ));
    }
    let after = host(compute("soo_all", &model, &e, &device))[0];
    eprintln!(
        "AdamW: worst weight diff {worst:e}; loss after {after} (PyTorch {})",
        e.adamw.loss_after
    );
    assert!(
        worst <= TOLERANCE,
        "weights after the step differ by {worst}"
    );
    assert!((after - e.adamw.loss_after).abs() <= TOLERANCE * e.adamw.loss_after.max(1.0));
}

#[test]
fn export_then_import_is_exact_and_peft_shaped() {
    let device = Device::flex().autodiff();
    let model = model(&device);
    let files =
        pollster::block_on(peft::export(model.adapter().unwrap(), Some("tiny/llama"))).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&files.config).unwrap();
    assert_eq!(config["peft_type"], "LORA");
    assert_eq!(config["r"], 4);
    assert_eq!(config["lora_alpha"], 8.0);
    let mut targets: Vec<String> =
        serde_json::from_value(config["target_modules"].clone()).unwrap();
    targets.sort();
    assert_eq!(targets, ["o_proj", "q_proj", "v_proj"]);
    // Same keys, shapes and values as the file peft wrote.
    let ours =
        soo_core::load::safetensors::SafetensorsSource::single("ours", files.weights.clone())
            .unwrap();
    let theirs =
        soo_core::load::safetensors::SafetensorsSource::single("theirs", adapter_files().weights)
            .unwrap();
    assert_eq!(ours.names(), theirs.names());
    use soo_core::load::WeightSource;
    for name in theirs.names() {
        let (a, b) = (
            ours.tensor(name).unwrap().unwrap(),
            theirs.tensor(name).unwrap().unwrap(),
        );
        assert_eq!(a.shape, b.shape, "{name}");
        assert_eq!(a.data, b.data, "{name}");
    }
    let back = peft::import(&files, "exported", model.shape(), &device).unwrap();
    assert_eq!(back.config(), model.adapter().unwrap().config());
}

#[test]
fn bad_adapters_get_clear_errors() {
    let device = Device::flex().autodiff();
    let model = model(&device);
    let mut files = adapter_files();
    files.weights.truncate(files.weights.len() / 2);
    let err = peft::import(&files, "cut", model.shape(), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cut/adapter_model.safetensors"), "{err}");
    let mut files = adapter_files();
    files.config = br#"{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_dora": true}"#.to_vec();
    let err = peft::import(&files, "dora", model.shape(), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("DoRA") && err.contains("adapter_config.json"),
        "{err}"
    );
    let mut files = adapter_files();
    files.config = br#"{"peft_type": "LORA", "r": 8, "lora_alpha": 8}"#.to_vec();
    let err = peft::import(&files, "rank", model.shape(), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("shape"), "{err}");
}

#[test]
fn merged_weights_load_as_a_plain_model_with_peft_merged_logits() {
    use soo_core::load::safetensors::{SafetensorsSource, StoreAs, write};
    use soo_core::lora::merge::merged_weights;
    let device = Device::flex().autodiff();
    let e = expected();
    let dir = fixtures().join("tiny/llama");
    let config_bytes = std::fs::read(dir.join("config.json")).unwrap();
    let config: serde_json::Value = serde_json::from_slice(&config_bytes).unwrap();
    let source = SafetensorsSource::single(
        "model.safetensors",
        std::fs::read(dir.join("model.safetensors")).unwrap(),
    )
    .unwrap();
    let tensors = merged_weights(&config, &source, &adapter_files(), "soo_step/adapter").unwrap();
    let bytes = write(&tensors, StoreAs::F32, &[("format", "pt")]).unwrap();
    let files = [
        ("config.json".to_string(), config_bytes),
        ("model.safetensors".to_string(), bytes),
    ]
    .into_iter()
    .collect();
    let model = load_model(files, &device).unwrap();
    assert!(model.adapter().is_none());
    let batch = TokenBatch::new(&e.self_ids, 0, &device).unwrap();
    let width = batch.ids.dims()[1];
    let logits = model
        .forward(batch.ids.clone(), Some(batch.mask.clone()), &[])
        .unwrap()
        .logits;
    let got = real(&host(logits), &batch.lengths, width, model.vocab_size());
    let want = real(&e.logits.merged, &batch.lengths, width, model.vocab_size());
    let diff = max_abs_diff(&got, &want);
    eprintln!("merged safetensors vs peft merge_and_unload: logits max-abs diff {diff:e}");
    assert!(diff <= TOLERANCE);
}

/// Where `export_after_a_step_for_peft` leaves its adapter and logits for
/// `scripts/fixtures/peft_roundtrip.py` (which loads them with Python peft).
fn roundtrip_dir() -> PathBuf {
    std::env::var_os("SOO_PEFT_ROUNDTRIP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("soo-peft-roundtrip"))
}

/// One tensor of a safetensors file as the format's rules define it.
struct RawTensor {
    dtype: String,
    shape: Vec<usize>,
    /// Little-endian bytes, decoded to f32 (the only dtype this reader accepts).
    values: Vec<f32>,
}

/// A safetensors reader written from the format's rules alone, independent of the `safetensors`
/// crate that soo writes with: an 8-byte little-endian header length, a JSON header padded with
/// spaces, then the data; every tensor's `data_offsets` are relative to the data, the tensors tile
/// it without gaps or overlaps, and each holds exactly `product(shape) × dtype size` bytes.
/// Panics (this is a test) on any rule broken. Returns the tensors and the `__metadata__`.
fn read_safetensors_by_the_rules(
    bytes: &[u8],
) -> (
    std::collections::BTreeMap<String, RawTensor>,
    serde_json::Map<String, serde_json::Value>,
) {
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert!(8 + header_len <= bytes.len(), "header runs past the file");
    let header_text = std::str::from_utf8(&bytes[8..8 + header_len]).expect("UTF-8 header");
    assert!(header_text.starts_with('{'), "the header is a JSON object");
    assert_eq!(
        (8 + header_len) % 8,
        0,
        "the data starts 8-byte aligned (the header is padded with spaces)"
    );
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(header_text.trim_end_matches(' ')).expect("JSON header");
    let data = &bytes[8 + header_len..];
    let mut metadata = serde_json::Map::new();
    let mut tensors = std::collections::BTreeMap::new();
    let mut spans = Vec::new();
    for (name, entry) in header {
        if name == "__metadata__" {
            metadata = entry.as_object().expect("metadata is an object").clone();
            continue;
        }
        let dtype = entry["dtype"].as_str().expect("dtype").to_string();
        let shape: Vec<usize> = serde_json::from_value(entry["shape"].clone()).expect("shape");
        let [start, end]: [usize; 2] =
            serde_json::from_value(entry["data_offsets"].clone()).expect("data_offsets");
        assert_eq!(dtype, "F32", "{name}: soo exports f32 adapters");
        assert_eq!(
            end - start,
            shape.iter().product::<usize>() * 4,
            "{name}: size"
        );
        let values = data[start..end]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        spans.push((start, end));
        tensors.insert(
            name,
            RawTensor {
                dtype,
                shape,
                values,
            },
        );
    }
    spans.sort();
    let mut at = 0;
    for (start, end) in spans {
        assert_eq!(start, at, "tensors tile the data without gaps or overlaps");
        at = end;
    }
    assert_eq!(at, data.len(), "no bytes after the last tensor");
    (tensors, metadata)
}

/// The peft round trip as an assertion. soo takes the AdamW step PyTorch took (the fixture's
/// `adamw`), exports the adapter, and the exported files are read back by the independent reader
/// above and held against what Python peft wrote and computed: the same tensor names, dtypes and
/// shapes as peft's own `adapter_model.safetensors` (the committed fixture), values equal to
/// PyTorch's weights after the step, the `format: pt` metadata transformers checks, and an
/// `adapter_config.json` whose every field is one peft's own config has, with the same meaning.
/// The files are also left for `scripts/fixtures/peft_roundtrip.py`, which loads them in peft.
#[test]
fn export_after_a_step_for_peft() {
    let device = Device::flex().autodiff();
    let e = expected();
    let mut model = model(&device);
    let config = OptimizerConfig {
        lr: e.adamw.lr,
        weight_decay: e.adamw.weight_decay,
        beta1: e.adamw.betas[0],
        beta2: e.adamw.betas[1],
        eps: e.adamw.eps,
    };
    let mut optimizer = config.init();
    let loss = compute("soo_all", &model, &e, &device);
    let grads = GradientsParams::from_grads(loss.backward(), model.adapter().unwrap());
    let lora = optimizer.step(config.lr, model.detach_adapter().unwrap(), grads);
    model.attach_adapter(lora).unwrap();
    let files =
        pollster::block_on(peft::export(model.adapter().unwrap(), Some("tiny/llama"))).unwrap();

    // The weights: peft's names, dtypes and shapes; PyTorch's values after the step.
    let (ours, metadata) = read_safetensors_by_the_rules(&files.weights);
    let (theirs, _) = read_safetensors_by_the_rules(&adapter_files().weights);
    assert_eq!(metadata.get("format").and_then(|f| f.as_str()), Some("pt"));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "tensor names differ from peft's"
    );
    let mut worst = 0.0f32;
    for (name, tensor) in &ours {
        assert_eq!(tensor.dtype, theirs[name].dtype, "{name}");
        assert_eq!(tensor.shape, theirs[name].shape, "{name}");
        worst = worst.max(max_abs_diff(&tensor.values, &e.adamw.weights_after[name]));
    }
    eprintln!("exported adapter vs PyTorch's weights after the AdamW step: max-abs {worst:e}");
    assert!(worst <= TOLERANCE, "exported weights differ by {worst}");

    // The config: only fields peft's own LoraConfig has, each with peft's meaning.
    let ours: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&files.config).unwrap();
    let theirs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&adapter_files().config).unwrap();
    for key in ours.keys() {
        assert!(
            theirs.contains_key(key),
            "`{key}` is not a peft LoraConfig field"
        );
    }
    for key in [
        "peft_type",
        "r",
        "bias",
        "fan_in_fan_out",
        "use_dora",
        "use_rslora",
    ] {
        assert_eq!(ours[key], theirs[key], "{key}");
    }
    assert_eq!(ours["lora_alpha"].as_f64(), theirs["lora_alpha"].as_f64());
    let targets = |c: &serde_json::Map<String, serde_json::Value>| {
        let mut t: Vec<String> = serde_json::from_value(c["target_modules"].clone()).unwrap();
        t.sort();
        t
    };
    assert_eq!(targets(&ours), targets(&theirs));
    assert_eq!(ours["base_model_name_or_path"], "tiny/llama");

    // Left for peft itself (scripts/fixtures/peft_roundtrip.py).
    let batch = TokenBatch::new(&e.self_ids, 0, &device).unwrap();
    let logits = model
        .forward(batch.ids, Some(batch.mask), &[])
        .unwrap()
        .logits;
    let dir = roundtrip_dir();
    std::fs::create_dir_all(dir.join("adapter")).unwrap();
    std::fs::write(dir.join("adapter").join(peft::CONFIG_FILE), &files.config).unwrap();
    std::fs::write(dir.join("adapter").join(peft::WEIGHTS_FILE), &files.weights).unwrap();
    let record = serde_json::json!({
        "input_ids": e.self_ids,
        "lengths": e.self_ids.iter().map(Vec::len).collect::<Vec<_>>(),
        "shape": logits.dims(),
        "logits": host(logits),
    });
    std::fs::write(dir.join("soo_logits.json"), record.to_string()).unwrap();
}
