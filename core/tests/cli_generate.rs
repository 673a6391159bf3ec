//! `soo logits --json` and `soo generate --json` on the real SmolLM2-135M-Instruct GGUF against
//! transformers (`tests/fixtures/smollm2_logits.json`, written by
//! scripts/fixtures/smollm2_logits.py), and their errors. The model is found through
//! `SOO_TEST_MODEL`; the tests fail, loudly, when it is missing.

#![cfg(feature = "cli")]

use std::process::Output;

use serde_json::Value;

mod common;

use common::{soo, test_model_path as model_path};

fn fixture() -> Value {
    common::fixture("smollm2_logits.json")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "soo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

fn ids(v: &Value) -> Vec<u64> {
    serde_json::from_value(v.clone()).expect("ids")
}

#[test]
fn logits_json_matches_transformers() {
    let model = model_path();
    let case = &fixture()["logits"][1]; // a plain prompt: a short forward pass
    let prompt = case["text"].as_str().expect("text");
    let out = soo(&[
        "logits",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--prompt",
        prompt,
        "--top",
        "5",
        "--json",
    ]);
    let got = json_of(&out);
    assert_eq!(ids(&got["prompt_ids"]), ids(&case["ids"]));
    assert_eq!(got["backend"], "flex");
    let top = got["top"].as_array().expect("top");
    assert_eq!(top.len(), 5);
    let want_ids = ids(&case["top_ids"]);
    for (i, entry) in top.iter().enumerate() {
        let want = case["top_values"][i].as_f64().expect("value");
        let logit = entry["logit"].as_f64().expect("logit");
        assert!((logit - want).abs() <= 1e-3, "rank {i}: {logit} vs {want}");
        assert_eq!(entry["id"].as_u64(), Some(want_ids[i]), "rank {i}");
    }
    assert_eq!(top[0]["text"], " Paris");
}

#[test]
fn generate_json_matches_transformers_greedy() {
    let model = model_path();
    let fixture = fixture();
    let case = &fixture["greedy"][1];
    // The same prompt as logits[1] (the greedy cases store ids and the continuation's text).
    assert_eq!(fixture["logits"][1]["name"], case["name"]);
    let prompt = fixture["logits"][1]["text"].as_str().expect("text");
    let out = soo(&[
        "generate",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--prompt",
        prompt,
        "--max-new-tokens",
        "8",
        "--json",
    ]);
    let got = json_of(&out);
    let want = ids(&case["new_ids"]);
    assert_eq!(ids(&got["prompt_ids"]), ids(&case["ids"]));
    assert_eq!(ids(&got["new_ids"]), want[..8]);
    assert_eq!(got["finish"], "length");
    assert!(got["text"].as_str().expect("text").starts_with(" Paris."));
    assert_eq!(got["prefill_tokens"], 5);
    assert_eq!(got["decode_tokens"], 7);
    assert!(got["decode_seconds"].as_f64().expect("seconds") > 0.0);
}

#[test]
fn bad_options_fail_in_one_line() {
    let model = model_path();
    let model = model.to_str().expect("utf-8 path");
    let out = soo(&[
        "activations",
        "--model",
        model,
        "--prompt",
        "hi",
        "--module",
        "layers.99.mlp",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("layers.99.mlp") && err.contains("30 layers"),
        "{err}"
    );
    let out = soo(&[
        "generate",
        "--model",
        model,
        "--prompt",
        "hi",
        "--temperature",
        "0",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.trim().lines().count() == 1 && err.contains("--temperature"),
        "{err}"
    );
}
