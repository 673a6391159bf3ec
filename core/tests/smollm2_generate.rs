//! The forward pass and generation on the real SmolLM2-135M-Instruct GGUF (Q4_1) against
//! transformers, which dequantises the same file to f32.
//!
//! `core/tests/fixtures/smollm2_logits.json` was written by scripts/fixtures/smollm2_logits.py:
//! for three prompts (the chat-templated burglar prompt among them) the last position's top-20
//! logits, every 61st logit and the mean of all of them; for two prompts the 32 tokens greedy
//! decoding appends. The model is found through `SOO_TEST_MODEL` (scripts/env.sh sets it,
//! scripts/fetch-test-model.sh fetches it); these tests fail, loudly, when it is missing.

mod common;

use std::sync::OnceLock;

use serde_json::Value;
use soo_core::device::flex_device;
use soo_core::generate::{Finish, GenerateEvent, GenerateOptions, Sampling, generate};
use soo_core::load::model_files::ModelFiles;
use soo_core::loaded::LoadedModel;

/// Largest allowed |ours - transformers| on a logit.
const TOLERANCE: f32 = 1e-3;

/// The model, built once per test binary (building it dominates these tests in debug builds).
fn load() -> &'static LoadedModel {
    static MODEL: OnceLock<LoadedModel> = OnceLock::new();
    MODEL.get_or_init(build)
}

fn build() -> LoadedModel {
    let files = ModelFiles::from_gguf(
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        common::test_model_bytes(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    LoadedModel::load(&files, &flex_device()).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture() -> Value {
    common::fixture("smollm2_logits.json")
}

fn u32s(v: &Value) -> Vec<u32> {
    serde_json::from_value(v.clone()).expect("ids")
}

fn f32s(v: &Value) -> Vec<f32> {
    serde_json::from_value(v.clone()).expect("floats")
}

fn run(
    model: &LoadedModel,
    prompts: &[Vec<u32>],
    options: &GenerateOptions,
) -> soo_core::generate::Generation {
    pollster::block_on(generate(&model.model, prompts, options, &mut |_| {})).expect("generates")
}

#[test]
fn last_position_logits_match_transformers() {
    let model = load();
    for case in fixture()["logits"].as_array().expect("logits") {
        let name = case["name"].as_str().expect("name");
        let text = case["text"].as_str().expect("text");
        let ids = model
            .prompt_ids(text, case["chat"].as_bool().expect("chat"))
            .expect("encodes");
        assert_eq!(ids, u32s(&case["ids"]), "{name}: token ids");
        let input = burn_ids(&ids);
        let logits = model.model.forward(input, None, &[]).expect("runs").logits;
        let ours = pollster::block_on(soo_core::generate::last_position(logits)).expect("reads");
        assert_eq!(ours.len() as u64, case["vocab"].as_u64().expect("vocab"));

        let mut max_diff = 0f32;
        let top_ids = u32s(&case["top_ids"]);
        for (&id, want) in top_ids.iter().zip(f32s(&case["top_values"])) {
            max_diff = max_diff.max((ours[id as usize] - want).abs());
        }
        let stride = case["stride"].as_u64().expect("stride") as usize;
        for (i, want) in f32s(&case["strided"]).into_iter().enumerate() {
            // The fixture rounds to 6 decimals: half a unit of that is within the tolerance.
            max_diff = max_diff.max((ours[i * stride] - want).abs());
        }
        let mean = ours.iter().map(|&v| f64::from(v)).sum::<f64>() / ours.len() as f64;
        let want_mean = case["mean"].as_f64().expect("mean");
        println!(
            "{name}: {} tokens, max |diff| {max_diff:e} over {} logits, mean {mean} vs {want_mean}",
            ids.len(),
            top_ids.len() + ours.len().div_ceil(stride)
        );
        assert!(max_diff <= TOLERANCE, "{name}: logits differ by {max_diff}");
        // |mean diff| <= max |diff|, so this bounds the diff over the whole vocabulary too.
        assert!(
            (mean - want_mean).abs() <= f64::from(TOLERANCE),
            "{name}: mean logit {mean} vs {want_mean}"
        );
        // The ranking transformers gives (ties within the tolerance aside).
        let mut order: Vec<u32> = (0..ours.len() as u32).collect();
        order.sort_by(|&a, &b| ours[b as usize].total_cmp(&ours[a as usize]));
        assert_eq!(order[0], top_ids[0], "{name}: the most likely token");
    }
}

fn burn_ids(ids: &[u32]) -> soo_core::burn::tensor::Tensor<2, soo_core::burn::tensor::Int> {
    let values: Vec<i64> = ids.iter().map(|&t| i64::from(t)).collect();
    soo_core::burn::tensor::Tensor::from_data(
        soo_core::burn::tensor::TensorData::new(values, [1, ids.len()]),
        &flex_device(),
    )
}

#[test]
fn greedy_continuations_match_transformers_alone_and_batched() {
    let model = load();
    let fixture = fixture();
    let cases = fixture["greedy"].as_array().expect("greedy");
    let prompts: Vec<Vec<u32>> = cases.iter().map(|c| u32s(&c["ids"])).collect();
    let wanted: Vec<Vec<u32>> = cases.iter().map(|c| u32s(&c["new_ids"])).collect();
    assert!(
        prompts[0].len() != prompts[1].len(),
        "the batch needs padding"
    );
    let options = GenerateOptions {
        max_new_tokens: 32,
        pad_token: model.pad_token(),
        ..GenerateOptions::default() // greedy, no stop tokens: transformers did not stop either
    };
    // The short prompt alone, then both in one (left-padded) batch.
    let alone = run(model, &prompts[1..], &options);
    assert_eq!(alone.tokens[0], wanted[1], "{} alone", cases[1]["name"]);
    assert_eq!(alone.finish, [Finish::Length]);
    let mut steps = 0;
    let batched = pollster::block_on(generate(&model.model, &prompts, &options, &mut |event| {
        if let GenerateEvent::Step { tokens, .. } = event {
            assert_eq!(tokens.len(), 2);
            steps += 1;
        }
    }))
    .expect("generates");
    assert_eq!(steps, 32, "one event per step");
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(batched.tokens[i], wanted[i], "{} in a batch", case["name"]);
    }
}

#[test]
fn generation_stops_at_the_end_of_the_reply() {
    let model = load();
    let fixture = fixture();
    let case = &fixture["greedy"][0]; // the burglar prompt: transformers' reply ends early
    let wanted = u32s(&case["new_ids"]);
    let stops = model.stop_tokens().to_vec();
    let end = wanted
        .iter()
        .position(|t| stops.contains(t))
        .expect("transformers' reply ends within 32 tokens");
    let options = GenerateOptions {
        max_new_tokens: 32,
        stop_tokens: stops,
        pad_token: model.pad_token(),
        ..GenerateOptions::default()
    };
    let out = run(model, &[u32s(&case["ids"])], &options);
    assert_eq!(
        out.tokens[0],
        wanted[..=end],
        "the reply, up to and with EOS"
    );
    assert_eq!(out.finish, [Finish::Stop]);
    let text = model
        .tokenizer
        .decode(&out.tokens[0], true)
        .expect("decodes");
    assert!(text.starts_with("I would"), "{text:?}");
}

#[test]
fn sampling_is_reproducible_and_independent_of_the_batch() {
    let model = load();
    let chat = model.prompt_ids("Tell me a story.", true).expect("encodes");
    let plain = model
        .prompt_ids("Once upon a time", false)
        .expect("encodes");
    let options = |seed| GenerateOptions {
        max_new_tokens: 8,
        sampling: Sampling::Sample {
            temperature: 1.0,
            top_p: 0.95,
            seed,
        },
        stop_tokens: model.stop_tokens().to_vec(),
        pad_token: model.pad_token(),
    };
    let both = vec![chat.clone(), plain.clone()];
    let first = run(model, &both, &options(7));
    let again = run(model, &both, &options(7));
    assert_eq!(first, again, "same seed, same tokens");
    let alone = run(model, std::slice::from_ref(&plain), &options(7));
    assert_eq!(
        alone.tokens[0], first.tokens[1],
        "a prompt samples alike alone"
    );
    let other = run(model, std::slice::from_ref(&plain), &options(8));
    assert_ne!(
        other.tokens[0], first.tokens[1],
        "another seed, other tokens"
    );
    let greedy = run(
        model,
        std::slice::from_ref(&plain),
        &GenerateOptions {
            sampling: Sampling::Greedy,
            ..options(0)
        },
    );
    assert_ne!(greedy.tokens[0], first.tokens[1], "sampling is not greedy");
}
