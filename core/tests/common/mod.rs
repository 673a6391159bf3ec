//! Helpers shared by the integration tests: the real test model and the committed fixtures.
//! Each test binary uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The real SmolLM2-135M-Instruct GGUF, found through `SOO_TEST_MODEL` (scripts/env.sh sets it,
/// scripts/fetch-test-model.sh fetches it). Fails, loudly, when it is missing: a test that
/// silently skips its real model proves nothing.
pub fn test_model_path() -> PathBuf {
    let path = std::env::var_os("SOO_TEST_MODEL").unwrap_or_else(|| {
        panic!(
            "SOO_TEST_MODEL is not set: these tests need SmolLM2-135M-Instruct.Q4_1.gguf. \
             Run `source scripts/env.sh && scripts/fetch-test-model.sh` first"
        )
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "SOO_TEST_MODEL={} does not exist. Run scripts/fetch-test-model.sh to fetch it",
        path.display()
    );
    path
}

/// The test model's bytes.
pub fn test_model_bytes() -> Vec<u8> {
    let path = test_model_path();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A committed JSON fixture from `core/tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs the `soo` binary built for these tests.
#[cfg(feature = "cli")]
pub fn soo(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_soo"))
        .args(args)
        .output()
        .expect("run soo")
}

/// The largest absolute difference of two equally long slices; infinite if either has a NaN
/// there, so that a NaN can never pass a tolerance check.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(
            0.0,
            |m, d| if d.is_nan() { f32::INFINITY } else { m.max(d) },
        )
}

/// A tiny random model of `family` saved by transformers (`tests/fixtures/tiny/<family>`), on
/// `device`.
pub fn tiny_model(
    family: &str,
    device: &soo_core::burn::tensor::Device,
) -> soo_core::model::Model<soo_core::lora::Lora> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tiny")
        .join(family);
    let files: std::collections::HashMap<String, Vec<u8>> = ["config.json", "model.safetensors"]
        .into_iter()
        .map(|name| {
            let path = folder.join(name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name.to_string(), bytes)
        })
        .collect();
    soo_core::loaded::load_model(files, device).unwrap()
}
