//! `soo tokenize` on the real SmolLM2-135M-Instruct GGUF against transformers' token ids
//! (`tests/fixtures/smollm2.json`, written by scripts/fixtures/gguf_and_tokenizer.py), and its
//! errors. The model is found through `SOO_TEST_MODEL` (scripts/env.sh sets it,
//! scripts/fetch-test-model.sh fetches it); the tests fail, loudly, when it is missing.

#![cfg(feature = "cli")]

use std::path::Path;

use serde_json::Value;

mod common;

use common::{soo, test_model_path as model_path};

fn fixture() -> Value {
    common::fixture("smollm2.json")
}

/// Runs `soo tokenize --json` and returns its JSON, failing with soo's stderr.
fn tokenize(model: &Path, text: &str, chat: bool) -> Value {
    let model = model.to_str().expect("UTF-8 model path");
    let mut args = vec!["tokenize", "--model", model, "--text", text, "--json"];
    if chat {
        args.push("--chat");
    }
    let out = soo(&args);
    assert!(
        out.status.success(),
        "soo tokenize {text:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("soo tokenize --json prints JSON")
}

#[test]
fn ids_match_transformers() {
    let model = model_path();
    let fixture = fixture();
    let mut checked = 0;
    for case in fixture["encodings"].as_array().expect("encodings") {
        // The command adds special tokens as transformers does by default.
        if case["add_special_tokens"] != Value::Bool(true) {
            continue;
        }
        let text = case["text"].as_str().expect("text");
        let out = tokenize(&model, text, false);
        assert_eq!(out["ids"], case["ids"], "ids of {text:?}");
        assert_eq!(out["tokens"], case["tokens"], "tokens of {text:?}");
        assert_eq!(out["text"], case["text"]);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} fixture texts checked");
}

#[test]
fn chat_ids_match_transformers() {
    let model = model_path();
    let fixture = fixture();
    let mut checked = 0;
    for chat in fixture["chats"].as_array().expect("chats") {
        let messages = chat["messages"].as_array().expect("messages");
        // `--chat` is one user message with the assistant's turn opened.
        let [message] = messages.as_slice() else {
            continue;
        };
        if message["role"] != "user" || chat["add_generation_prompt"] != Value::Bool(true) {
            continue;
        }
        let content = message["content"].as_str().expect("content");
        let out = tokenize(&model, content, true);
        assert_eq!(out["text"], chat["text"], "rendered chat");
        assert_eq!(out["ids"], chat["ids"], "chat ids");
        checked += 1;
    }
    assert_eq!(checked, 1, "the fixture has one single-user-message chat");
}

#[test]
fn plain_output_lists_ids_and_tokens() {
    let model = model_path();
    let out = soo(&[
        "tokenize",
        "--model",
        model.to_str().expect("UTF-8"),
        "--text",
        "Hello world",
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("2 tokens\n"), "{stdout}");
    assert!(
        stdout.contains("19556") && stdout.contains("Ġworld"),
        "{stdout}"
    );
}

/// A GGUF cut short fails with one line naming the file, exit status 1, and no panic: cut in
/// the metadata, and cut in the tensor data.
#[test]
fn truncated_gguf_is_a_clear_error() {
    let bytes = std::fs::read(model_path()).expect("read the model");
    let dir = std::env::temp_dir().join(format!("soo-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp folder");
    for cut in [100_000, bytes.len() - 1000] {
        let path = dir.join(format!("cut-at-{cut}.gguf"));
        std::fs::write(&path, &bytes[..cut]).expect("write the truncated copy");
        let shown = path.display().to_string();
        let out = soo(&["tokenize", "--model", &shown, "--text", "hi"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "cut at {cut}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {shown}: ")),
            "cut at {cut}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let out = soo(&["tokenize", "--model", "./no/such/model", "--text", "hi"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: ./no/such/model: "), "{stderr}");
}
