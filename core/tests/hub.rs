//! The Hugging Face Hub path, against a fake Hub on 127.0.0.1 that serves the URL layout and
//! headers hf-hub's blocking client relies on:
//!
//! - `GET /{org}/{name}/resolve/{revision}/{file}` with `Range: bytes=0-0` first (metadata:
//!   hf-hub reads `ETag`, `X-Repo-Commit` and the size after the `/` of `Content-Range`),
//!   then with `Range: bytes=0-` for the body;
//! - a missing file answers 404 (the Hub adds `X-Error-Code: EntryNotFound`).
//!
//! The model is the tiny Llama fixture (`tests/fixtures/tiny/llama`) plus a small word-level
//! tokenizer made here. Nothing leaves the loopback interface.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use soo_core::load::hub::HubOptions;
use soo_core::load::model_files::Weights;
use soo_core::load::native::{LoadEvent, resolve};

/// The commit every file of the fake repo is at.
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
const REPO: &str = "soo-test/tiny-llama";

/// A word-level tokenizer small enough to write by hand: ids are fixed by the vocab.
const TOKENIZER_JSON: &str = r#"{
  "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
  "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
  "decoder": null,
  "model": {"type": "WordLevel", "unk_token": "<unk>",
    "vocab": {"<unk>": 0, "<|": 1, "|>": 2, "user": 3, "assistant": 4, "hello": 5, "world": 6}}
}"#;
const TOKENIZER_CONFIG_JSON: &str = r#"{
  "eos_token": "world",
  "chat_template": "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
}"#;

/// The repo's files: the tiny Llama's config and weights, and the tokenizer above. No
/// `generation_config.json` and no index: those answer 404, as on the real Hub.
fn repo_files() -> HashMap<String, Vec<u8>> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tiny/llama");
    let read = |name: &str| {
        std::fs::read(fixture.join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    };
    HashMap::from([
        ("config.json".to_string(), read("config.json")),
        ("model.safetensors".to_string(), read("model.safetensors")),
        (
            "tokenizer.json".to_string(),
            TOKENIZER_JSON.as_bytes().to_vec(),
        ),
        (
            "tokenizer_config.json".to_string(),
            TOKENIZER_CONFIG_JSON.as_bytes().to_vec(),
        ),
    ])
}

/// A fake Hub: serves `repos` (repo id → file name → bytes) and logs each request's path.
struct FakeHub {
    endpoint: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeHub {
    fn start(repos: HashMap<String, HashMap<String, Vec<u8>>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        // The thread lives as long as the test binary: each test starts its own hub.
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                serve(stream, &repos, &log);
            }
        });
        Self { endpoint, requests }
    }

    fn request_count(&self) -> usize {
        self.requests.lock().expect("log").len()
    }
}

/// A content hash as the ETag (the Hub uses the git or LFS sha; any stable unique id does).
fn etag(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    format!("{hash:016x}")
}

/// Answers one request, then closes the connection.
fn serve(
    stream: TcpStream,
    repos: &HashMap<String, HashMap<String, Vec<u8>>>,
    log: &Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut range = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    log.lock().expect("log").push(path.clone());

    // /{org}/{name}/resolve/{revision}/{file}
    let parts: Vec<&str> = path.trim_start_matches('/').splitn(5, '/').collect();
    let found = match parts.as_slice() {
        [org, name, "resolve", _revision, file] => repos
            .get(&format!("{org}/{name}"))
            .and_then(|files| files.get(*file)),
        _ => None,
    };
    let mut out = &stream;
    let Some(bytes) = found else {
        let body = b"Entry not found";
        let _ = write!(
            out,
            "HTTP/1.1 404 Not Found\r\nX-Error-Code: EntryNotFound\r\nX-Repo-Commit: {COMMIT}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = out.write_all(body);
        return;
    };
    let size = bytes.len();
    // `bytes=a-b` or `bytes=a-`; hf-hub asks for 0-0 (metadata), then from 0 (or a resume).
    let (start, end) = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.split_once('-'))
        .map(|(a, b)| {
            let a: usize = a.parse().unwrap_or(0);
            let b: usize = b.parse().unwrap_or(size.saturating_sub(1));
            (a.min(size), (b + 1).min(size))
        })
        .unwrap_or((0, size));
    let body = &bytes[start..end.max(start)];
    let _ = write!(
        out,
        "HTTP/1.1 206 Partial Content\r\nETag: \"{}\"\r\nX-Repo-Commit: {COMMIT}\r\n\
         Content-Range: bytes {start}-{}/{size}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        etag(bytes),
        end.saturating_sub(1),
        body.len()
    );
    let _ = out.write_all(body);
}

/// A fresh, empty cache folder for one test.
fn empty_cache(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("soo-hub-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the cache folder");
    dir
}

fn options(hub: &FakeHub, cache_dir: &Path) -> HubOptions {
    HubOptions {
        endpoint: hub.endpoint.clone(),
        cache_dir: cache_dir.to_path_buf(),
        token: None,
    }
}

#[test]
fn downloads_into_the_cache_then_reads_from_it() {
    let files = repo_files();
    let hub = FakeHub::start(HashMap::from([(REPO.to_string(), files.clone())]));
    let cache = empty_cache("cache");
    let options = options(&hub, &cache);

    let mut events = Vec::new();
    let model = resolve(REPO, &options, &mut |e| events.push(e)).expect("first resolution");

    // Every file arrived byte-identical, in the Hugging Face cache layout.
    let snapshot = cache
        .join("models--soo-test--tiny-llama/snapshots")
        .join(COMMIT);
    for (name, bytes) in &files {
        let cached = std::fs::read(snapshot.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(&cached == bytes, "{name} differs from what was served");
    }
    let main_ref = std::fs::read_to_string(cache.join("models--soo-test--tiny-llama/refs/main"));
    assert_eq!(main_ref.expect("refs/main").trim(), COMMIT);

    // ... and were sorted into ModelFiles.
    let config: serde_json::Value =
        serde_json::from_slice(&files["config.json"]).expect("config JSON");
    assert_eq!(model.config, config);
    match &model.weights {
        Weights::Safetensors(w) => {
            assert_eq!(w.name, "model.safetensors");
            assert!(w.bytes.as_ref() == files["model.safetensors"].as_slice());
        }
        other => panic!("expected one safetensors file, got {other:?}"),
    }
    assert!(model.generation_config.is_none());
    assert_eq!(
        model
            .tokenizer
            .encode("hello world", false)
            .expect("encode"),
        [5, 6]
    );
    assert_eq!(
        model.tokenizer.special_tokens().eos.as_deref(),
        Some("world")
    );
    let template = model.compiled_chat_template().expect("compiles");
    let rendered = template
        .expect("has a template")
        .render(&[soo_core::text::Message::new("user", "hello")], true)
        .expect("renders");
    assert_eq!(rendered, "<|user|>hello<|assistant|>");

    // Progress was reported for the weights, ending at their full size.
    let size = files["model.safetensors"].len() as u64;
    assert!(events.contains(&LoadEvent::DownloadStarted {
        file: "model.safetensors".into(),
        bytes: size
    }));
    assert!(events.iter().any(|e| matches!(e,
        LoadEvent::DownloadProgress { file, done, total }
            if file == "model.safetensors" && *done == size && *total == size)));

    // A second resolution is served by the cache alone, the absent optional files included.
    let before = hub.request_count();
    assert!(before > 0);
    let again = resolve(REPO, &options, &mut |_| {}).expect("second resolution");
    assert_eq!(again.config, config);
    assert_eq!(
        hub.request_count(),
        before,
        "the second resolution asked the server: {:?}",
        &hub.requests.lock().expect("log")[before..]
    );
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn a_missing_file_names_the_repo_and_the_file() {
    let mut files = repo_files();
    files.remove("tokenizer.json");
    let hub = FakeHub::start(HashMap::from([(REPO.to_string(), files)]));
    let cache = empty_cache("missing");
    let options = options(&hub, &cache);

    let err = resolve(REPO, &options, &mut |_| {})
        .expect_err("no tokenizer.json")
        .to_string();
    assert!(
        err.contains("soo-test/tiny-llama@main/tokenizer.json") && err.contains("404"),
        "{err}"
    );

    // An unknown repo fails on its first file, config.json, at the revision asked for.
    let err = resolve("soo-test/nope@v2", &options, &mut |_| {})
        .expect_err("no such repo")
        .to_string();
    assert!(
        err.contains("soo-test/nope@v2/config.json") && err.contains("404"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&cache);
}

/// The command line honours `HF_ENDPOINT` and `HF_HOME` (only with the `cli` feature, which
/// builds the `soo` binary).
#[cfg(feature = "cli")]
#[test]
fn soo_tokenize_reads_hf_endpoint_and_hf_home() {
    let hub = FakeHub::start(HashMap::from([(REPO.to_string(), repo_files())]));
    let home = empty_cache("cli");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_soo"))
        .args([
            "tokenize", "--model", REPO, "--text", "hello", "--chat", "--json",
        ])
        .env("HF_ENDPOINT", &hub.endpoint)
        .env("HF_HOME", &home)
        .env_remove("HF_HUB_CACHE")
        .env_remove("HF_TOKEN")
        .output()
        .expect("run soo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "soo failed: {stderr}");
    let out: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    assert_eq!(out["ids"], serde_json::json!([1, 3, 2, 5, 1, 4, 2]));
    assert_eq!(out["text"], "<|user|>hello<|assistant|>");
    assert!(
        home.join("hub/models--soo-test--tiny-llama/refs/main")
            .is_file()
    );
    assert!(hub.request_count() > 0);
    let _ = std::fs::remove_dir_all(&home);
}

/// A sharded repo: the index is fetched first, then the shards it lists.
#[test]
fn sharded_weights_follow_the_index() {
    let mut files = repo_files();
    let weights = files.remove("model.safetensors").expect("weights");
    // The tiny model's one file, served as the single shard of an index.
    let header_len = u64::from_le_bytes(weights[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value =
        serde_json::from_slice(&weights[8..8 + header_len]).expect("safetensors header");
    let shard = "model-00001-of-00001.safetensors";
    let weight_map: serde_json::Map<String, serde_json::Value> = header
        .as_object()
        .expect("header object")
        .keys()
        .filter(|k| *k != "__metadata__")
        .map(|k| (k.clone(), serde_json::Value::from(shard)))
        .collect();
    let index = serde_json::json!({ "weight_map": weight_map });
    files.insert(shard.to_string(), weights.clone());
    files.insert(
        "model.safetensors.index.json".to_string(),
        index.to_string().into_bytes(),
    );
    let hub = FakeHub::start(HashMap::from([(REPO.to_string(), files)]));
    let cache = empty_cache("sharded");

    let model = resolve(REPO, &options(&hub, &cache), &mut |_| {}).expect("resolves");
    match &model.weights {
        Weights::Sharded { index, shards } => {
            assert_eq!(index.name, "model.safetensors.index.json");
            assert_eq!(shards.len(), 1);
            assert_eq!(shards[0].name, shard);
            assert!(shards[0].bytes.as_ref() == weights.as_slice());
        }
        other => panic!("expected sharded weights, got {other:?}"),
    }
    let requests = hub.requests.lock().expect("log").clone();
    assert!(
        !requests.iter().any(|r| r.ends_with("/model.safetensors")),
        "fetched model.safetensors despite the index: {requests:?}"
    );
    let _ = std::fs::remove_dir_all(&cache);
}
