//! The real SmolLM2-135M-Instruct GGUF (Q4_1) against what transformers makes of it.
//!
//! `core/tests/fixtures/smollm2.json` was written by scripts/fixtures/gguf_and_tokenizer.py from
//! transformers' `AutoTokenizer` / `AutoConfig` / `AutoModelForCausalLM.from_pretrained(dir,
//! gguf_file=...)`: token ids, decoded text, rendered chat templates, the config, and slices and
//! sums of dequantised tensors. The model itself is found through `SOO_TEST_MODEL`
//! (scripts/env.sh sets it, scripts/fetch-test-model.sh fetches the file); these tests fail,
//! loudly, when it is missing.

mod common;

use std::sync::OnceLock;

use serde_json::Value;
use soo_core::load::WeightSource;
use soo_core::load::gguf_source::GgufSource;
use soo_core::text::{ChatTemplate, Message, Tokenizer};

/// The model's bytes, read once per test binary.
fn model() -> &'static GgufSource<Vec<u8>> {
    static MODEL: OnceLock<GgufSource<Vec<u8>>> = OnceLock::new();
    MODEL.get_or_init(|| {
        GgufSource::new(
            "SmolLM2-135M-Instruct.Q4_1.gguf",
            common::test_model_bytes(),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn fixture() -> &'static Value {
    static FIXTURE: OnceLock<Value> = OnceLock::new();
    FIXTURE.get_or_init(|| common::fixture("smollm2.json"))
}

fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| model().tokenizer().unwrap_or_else(|e| panic!("{e}")))
}

fn ids(v: &Value) -> Vec<u32> {
    serde_json::from_value(v.clone()).expect("ids")
}

#[test]
fn config_matches_transformers() {
    let ours = model().config_json().expect("config");
    let theirs = &fixture()["config"];
    for (key, want) in theirs.as_object().expect("object") {
        if want.is_null() {
            continue; // transformers leaves `architectures` unset for GGUF; we fill it in.
        }
        assert_eq!(&ours[key], want, "config key {key}");
    }
    assert_eq!(
        ours["architectures"],
        serde_json::json!(["LlamaForCausalLM"])
    );
}

#[test]
fn dequantised_tensors_match_transformers() {
    let tensors = fixture()["tensors"].as_object().expect("tensors");
    for (name, want) in tensors {
        let t = model()
            .tensor(name)
            .expect("decodes")
            .unwrap_or_else(|| panic!("{name} missing"));
        let shape: Vec<usize> = serde_json::from_value(want["shape"].clone()).expect("shape");
        assert_eq!(t.shape, shape, "{name}: shape");
        let row_len = t.data.len() / shape[0];
        let mut max_diff = 0f32;
        let head: Vec<f32> = serde_json::from_value(want["head"].clone()).expect("head");
        for (g, w) in t.data.iter().zip(&head) {
            max_diff = max_diff.max((g - w).abs());
        }
        for (row, values) in want["rows"].as_object().expect("rows") {
            let row: usize = row.parse().expect("row index");
            let values: Vec<f32> = serde_json::from_value(values.clone()).expect("row");
            let got = &t.data[row * row_len..row * row_len + values.len()];
            for (g, w) in got.iter().zip(&values) {
                max_diff = max_diff.max((g - w).abs());
            }
        }
        let sum: f64 = t.data.iter().map(|&v| f64::from(v)).sum();
        let abs_sum: f64 = t.data.iter().map(|&v| f64::from(v).abs()).sum();
        let (want_sum, want_abs) = (
            want["sum"].as_f64().expect("sum"),
            want["abs_sum"].as_f64().expect("abs_sum"),
        );
        println!(
            "{name}: max |diff| on slices {max_diff:e}, sum {sum} vs {want_sum}, abs_sum {abs_sum} vs {want_abs}"
        );
        assert!(max_diff <= 1e-6, "{name}: slices differ by {max_diff}");
        assert!(
            (sum - want_sum).abs() <= 1e-6 * want_abs.max(1.0),
            "{name}: sum {sum} vs {want_sum}"
        );
        assert!(
            (abs_sum - want_abs).abs() <= 1e-9 * want_abs.max(1.0),
            "{name}: abs_sum {abs_sum} vs {want_abs}"
        );
    }
}

#[test]
fn the_rotary_permutation_is_undone() {
    // Without un-permuting, row 1 of the query projection would be Hugging Face's row 32.
    let want = &fixture()["tensors"]["model.layers.0.self_attn.q_proj.weight"]["rows"];
    let stored = model()
        .gguf()
        .tensor(model().bytes(), "blk.0.attn_q.weight")
        .expect("decodes")
        .expect("present");
    let stored_row = |r: usize| stored.data[r * 576..r * 576 + 16].to_vec();
    let want_row = |r: &str| -> Vec<f32> { serde_json::from_value(want[r].clone()).expect("row") };
    assert_eq!(
        stored_row(2),
        want_row("1"),
        "llama.cpp keeps HF row 1 at row 2"
    );
    assert_ne!(stored_row(1), want_row("1"));
    let ours = model()
        .tensor("model.layers.0.self_attn.q_proj.weight")
        .expect("decodes")
        .expect("present");
    assert_eq!(ours.data[576..576 + 16].to_vec(), want_row("1"));
}

#[test]
fn token_ids_match_transformers() {
    let tok = tokenizer();
    for case in fixture()["encodings"].as_array().expect("encodings") {
        let text = case["text"].as_str().expect("text");
        let add = case["add_special_tokens"].as_bool().expect("flag");
        let want = ids(&case["ids"]);
        assert_eq!(
            tok.encode(text, add).expect("encodes"),
            want,
            "encode({text:?}, {add})"
        );
        let tokens: Vec<Option<String>> =
            serde_json::from_value(case["tokens"].clone()).expect("tokens");
        assert_eq!(tok.tokens(&want), tokens, "token strings of {text:?}");
    }
}

#[test]
fn decoding_matches_transformers() {
    let tok = tokenizer();
    for case in fixture()["encodings"].as_array().expect("encodings") {
        let want = ids(&case["ids"]);
        assert_eq!(
            tok.decode(&want, false).expect("decodes"),
            case["decoded"].as_str().expect("decoded")
        );
        assert_eq!(
            tok.decode(&want, true).expect("decodes"),
            case["decoded_skip_special"].as_str().expect("decoded"),
            "skip_special_tokens"
        );
    }
}

#[test]
fn special_tokens_match_transformers() {
    let tok = tokenizer();
    let want = &fixture()["tokenizer"];
    let special = tok.special_tokens();
    assert_eq!(special.bos.as_deref(), want["bos_token"].as_str());
    assert_eq!(special.eos.as_deref(), want["eos_token"].as_str());
    assert_eq!(special.pad.as_deref(), want["pad_token"].as_str());
    assert_eq!(special.unk.as_deref(), want["unk_token"].as_str());
    assert_eq!(
        tok.vocab_size() as u64,
        want["vocab_size"].as_u64().expect("size")
    );
    assert_eq!(
        tok.encode("<|im_start|><|im_end|>", false)
            .expect("encodes"),
        vec![1, 2]
    );
    assert_eq!(model().chat_template(), want["chat_template"].as_str());
}

#[test]
fn chat_template_renders_like_transformers() {
    let template = model()
        .chat_template()
        .expect("the file has a chat template");
    let chat = ChatTemplate::new(template, tokenizer().special_tokens().clone()).expect("compiles");
    for case in fixture()["chats"].as_array().expect("chats") {
        let messages: Vec<Message> = case["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                Message::new(
                    m["role"].as_str().expect("role"),
                    m["content"].as_str().expect("content"),
                )
            })
            .collect();
        let add = case["add_generation_prompt"].as_bool().expect("flag");
        let text = chat.render(&messages, add).expect("renders");
        assert_eq!(
            text,
            case["text"].as_str().expect("text"),
            "add_generation_prompt={add}"
        );
        let via_json = chat.render_json(&case["messages"], add).expect("renders");
        assert_eq!(via_json, text);
        // apply_chat_template(tokenize=True) tokenizes without adding special tokens.
        assert_eq!(
            tokenizer().encode(&text, false).expect("encodes"),
            ids(&case["ids"]),
            "chat ids"
        );
    }
}

#[test]
fn tokenizer_json_round_trip_encodes_the_same() {
    // The GGUF-built tokenizer saved as tokenizer.json and read back through from_json.
    let json = tokenizer().to_json().expect("serialises");
    let special = tokenizer().special_tokens().clone();
    let reloaded = Tokenizer::from_json("tokenizer.json", json.as_bytes())
        .expect("reads back")
        .with_special_tokens(special.clone());
    assert_eq!(reloaded.special_tokens(), &special);
    for case in fixture()["encodings"].as_array().expect("encodings") {
        let text = case["text"].as_str().expect("text");
        assert_eq!(
            reloaded.encode(text, false).expect("encodes"),
            ids(&case["ids"]),
            "{text:?}"
        );
    }
}
