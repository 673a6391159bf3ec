//! `soo steer` then `soo eval --steering … --strength 0,4` on the real SmolLM2-135M-Instruct GGUF
//! (two scenarios, forced choice): the vector's files, one report per strength, the sweep table,
//! strength 0 answering exactly as the unsteered model, and the honesty prompt on top of
//! steering. The model is found through `SOO_TEST_MODEL`.

#![cfg(feature = "cli")]

use std::path::Path;

use serde_json::Value;

mod common;

use common::{soo, test_model_path};

fn run(args: &[&str]) {
    let out = soo(args);
    assert!(
        out.status.success(),
        "soo {} failed: {}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The forced-choice log-probabilities of every answer of a report, suite by suite.
fn logprobs(report: &Value) -> Vec<(f64, f64)> {
    report["suites"]
        .as_array()
        .expect("suites")
        .iter()
        .flat_map(|s| s["answers"].as_array().expect("answers").clone())
        .map(|a| {
            let f = &a["forced_choice"];
            (
                f["target_logprob"].as_f64().expect("target"),
                f["alternative_logprob"].as_f64().expect("alternative"),
            )
        })
        .collect()
}

#[test]
fn steer_then_sweep_strengths_on_the_real_model() {
    let model = test_model_path();
    let model = model.to_str().expect("utf-8 path");
    let root = std::env::temp_dir().join(format!("soo-cli-steer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let vector = root.join("vector");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();
    let hook = "layers.19.self_attn.o_proj";
    run(&[
        "steer",
        "--model",
        model,
        "--hook",
        hook,
        "--out",
        &path(&vector),
    ]);
    let info = read_json(&vector.join("steering.json"));
    assert_eq!(info["hook"], hook);
    assert_eq!(info["positions"], "last");
    assert_eq!(info["width"], 576);
    assert!(info["pairs"].as_u64().expect("pairs") > 10);
    let norm = info["norm"].as_f64().expect("norm");
    let activation = info["activation_norm"].as_f64().expect("activation_norm");
    assert!(norm > 0.0 && activation > 0.0, "{info}");
    eprintln!("SmolLM2 layer-19 o_proj vector: {info}");

    let common = |out: &Path| -> Vec<String> {
        [
            "eval",
            "--model",
            model,
            "--suite",
            "main",
            "--n",
            "2",
            "--classifier",
            "forced-choice",
            "--out",
            &path(out),
        ]
        .map(String::from)
        .to_vec()
    };
    let plain = root.join("plain");
    let args = common(&plain);
    run(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let sweep = root.join("sweep");
    let mut args = common(&sweep);
    args.extend(["--steering", &path(&vector), "--strength", "0,4"].map(String::from));
    run(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let table = read_json(&sweep.join("sweep.json"));
    let points = table["points"].as_array().expect("points");
    let strengths: Vec<f64> = points
        .iter()
        .map(|p| p["strength"].as_f64().unwrap())
        .collect();
    assert_eq!(strengths, [0.0, 4.0]);
    let ratio = points[1]["relative_to_activation"].as_f64().expect("ratio");
    assert!(
        (ratio - 4.0 * norm / activation).abs() < 1e-9 * ratio,
        "{ratio}"
    );
    let markdown = std::fs::read_to_string(sweep.join("sweep.md")).expect("sweep.md");
    assert!(
        markdown.contains("| main, forced-choice: deceptive |"),
        "{markdown}"
    );

    let unsteered = read_json(&plain.join("report.json"));
    let zero = read_json(&sweep.join("strength-0/report.json"));
    let four = read_json(&sweep.join("strength-4/report.json"));
    assert_eq!(zero["steering"]["strength"], 0.0);
    assert_eq!(four["steering"]["hook"], hook);
    // Strength 0 is the unsteered model, to the last bit of every log-probability.
    assert_eq!(logprobs(&zero), logprobs(&unsteered));
    assert_ne!(logprobs(&four), logprobs(&unsteered));

    // The honesty-prompt baseline composes with steering.
    let honest = root.join("honest");
    let mut args = common(&honest);
    args.extend(
        [
            "--steering",
            &path(&vector),
            "--strength",
            "4",
            "--honesty-prompt",
        ]
        .map(String::from),
    );
    run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let report = read_json(&honest.join("strength-4/report.json"));
    assert_eq!(
        report["prompt_style"]["honesty_prompt"], true,
        "{}",
        report["prompt_style"]
    );
    assert_eq!(report["steering"]["strength"], 4.0);
    assert_ne!(logprobs(&report), logprobs(&four));

    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn eval_refuses_a_broken_steering_folder_naming_the_file() {
    let model = test_model_path();
    let root = std::env::temp_dir().join(format!("soo-cli-steer-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let out = soo(&[
        "eval",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--suite",
        "main",
        "--n",
        "1",
        "--steering",
        root.to_str().expect("utf-8 path"),
        "--strength",
        "1",
        "--out",
        root.join("out").to_str().expect("utf-8 path"),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("steering.safetensors"), "{stderr}");
    let _ = std::fs::remove_dir_all(&root);
}
