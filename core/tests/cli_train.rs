//! `soo train` and `soo export` end to end on the real SmolLM2-135M-Instruct: a few steps
//! (CI-sized), the files a run leaves, resume to a bit-identical adapter, a diverging run that
//! stops with a clear message and keeps its last checkpoint, and the merged export.
#![cfg(feature = "cli")]

mod common;

use std::path::{Path, PathBuf};

use common::{soo, test_model_path};

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("soo-cli-train-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `soo train` on the test model: the SmolLM2 preset with small batches, hook at layer 8 so
/// that each step runs a third of the network, and `extra` settings.
fn train(out: &Path, extra: &[&str]) -> std::process::Output {
    let model = test_model_path();
    let mut args = vec![
        "train",
        "--model",
        model.to_str().unwrap(),
        "--preset",
        "smollm2-135m",
        "--set",
        "batch_size=2",
        "--set",
        "hook=\"layers.8.self_attn.o_proj\"",
        "--out",
        out.to_str().unwrap(),
    ];
    for set in extra {
        args.push(if set.starts_with("--") { set } else { "--set" });
        if !set.starts_with("--") {
            args.push(set);
        }
    }
    soo(&args)
}

fn ok(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "soo failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The loss column of log.csv.
fn losses(out: &Path) -> Vec<f64> {
    let log = std::fs::read_to_string(out.join("log.csv")).unwrap();
    let mut lines = log.lines();
    assert_eq!(
        lines.next(),
        Some("step,loss,objective,kl,tokens,seconds,tokens_per_second")
    );
    lines
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn a_short_run_leaves_config_log_checkpoints_and_a_peft_adapter() {
    let out = out_dir("short");
    let output = train(
        &out,
        &["steps=3", "checkpoints.every=1", "checkpoints.keep=2"],
    );
    ok(&output);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("pair 1 of"),
        "alignment check missing: {stderr}"
    );

    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains("steps = 3") && config.contains("layers.8.self_attn.o_proj"));
    let losses = losses(&out);
    assert_eq!(losses.len(), 3);
    assert!(
        losses.iter().all(|l| l.is_finite() && *l > 0.0),
        "{losses:?}"
    );
    // SOO at lr 1e-3 pulls the two activations together within a few steps.
    assert!(
        losses[2] < losses[0],
        "the SOO loss did not fall: {losses:?}"
    );

    let kept: Vec<String> = std::fs::read_dir(out.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let mut kept = kept;
    kept.sort();
    assert_eq!(kept, ["checkpoint-000002", "checkpoint-000003"]);

    let adapter: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("adapter/adapter_config.json")).unwrap())
            .unwrap();
    assert_eq!(adapter["peft_type"], "LORA");
    assert_eq!(adapter["r"], 8);
    let weights = std::fs::read(out.join("adapter/adapter_model.safetensors")).unwrap();
    let header_len = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
    let header = String::from_utf8_lossy(&weights[8..8 + header_len]);
    assert!(header.contains("base_model.model.model.layers.29.self_attn.v_proj.lora_B.weight"));

    // The adapter loads into the other commands.
    let model = test_model_path();
    let output = soo(&[
        "logits",
        "--model",
        model.to_str().unwrap(),
        "--adapter",
        out.join("adapter").to_str().unwrap(),
        "--prompt",
        "The capital of France is",
    ]);
    ok(&output);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn resume_gives_the_same_adapter_bit_for_bit() {
    // Dropout on, so that the resumed run must also draw the same masks.
    let straight = out_dir("straight");
    ok(&train(
        &straight,
        &["steps=4", "lora.dropout=0.1", "checkpoints.every=2"],
    ));
    let interrupted = out_dir("interrupted");
    ok(&train(
        &interrupted,
        &["steps=2", "lora.dropout=0.1", "checkpoints.every=2"],
    ));
    ok(&train(&interrupted, &["--resume", "steps=4"]));
    let a = std::fs::read(straight.join("adapter/adapter_model.safetensors")).unwrap();
    let b = std::fs::read(interrupted.join("adapter/adapter_model.safetensors")).unwrap();
    assert!(
        a == b,
        "the resumed run's adapter differs from the uninterrupted run's"
    );
    assert_eq!(losses(&straight), losses(&interrupted));
    for dir in [straight, interrupted] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn a_diverging_run_stops_with_a_message_and_keeps_its_last_checkpoint() {
    // lr 1e38: Adam's first update moves every B (A's gradient is zero while B is) by ±1e38,
    // still finite; the second forward pass overflows and its loss is NaN.
    let out = out_dir("nan");
    let output = train(
        &out,
        &[
            "steps=6",
            "optimizer.lr=1e38",
            "checkpoints.every=1",
            "checkpoints.keep=3",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("diverged at step 2"), "{stderr}");
    assert!(stderr.contains("last checkpoint is intact"), "{stderr}");
    // The checkpoint of step 1 exists and holds finite weights only.
    let weights =
        std::fs::read(out.join("checkpoints/checkpoint-000001/adapter_model.safetensors")).unwrap();
    let header_len = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
    let values = &weights[8 + header_len..];
    assert!(
        values
            .chunks_exact(4)
            .all(|b| f32::from_le_bytes(b.try_into().unwrap()).is_finite())
    );
    assert!(!out.join("checkpoints/checkpoint-000002").exists());
    assert!(
        !out.join("adapter").exists(),
        "a diverged run must not write a final adapter"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_settings_name_the_problem() {
    let out = out_dir("bad");
    for (set, expect) in [
        ("stpes=3", "unknown field"),
        ("lora.targets=[\"qq_proj\"]", "qq_proj"),
        ("hook=\"layers.99.self_attn.o_proj\"", "layers"),
        ("positions=sideways", "sideways"),
    ] {
        let output = train(&out, &[set]);
        assert!(!output.status.success(), "{set} was accepted");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expect), "{set}: {stderr}");
        assert_eq!(
            stderr.lines().filter(|l| l.starts_with("error")).count(),
            1,
            "{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn soo_run_evaluates_trains_with_a_control_and_compares() {
    let out = out_dir("experiment");
    std::fs::create_dir_all(&out).unwrap();
    let experiment = out.join("experiment.toml");
    std::fs::write(
        &experiment,
        format!(
            "model = {model:?}\nseeds = [0]\ncontrols = [\"sham\"]\n\
             [eval]\nsuites = \"main\"\nn = 2\nclassifier = \"forced-choice\"\ncapability = false\n\
             [train]\npreset = \"smollm2-135m\"\nsteps = 1\nbatch_size = 2\n\
             hook = \"layers.8.self_attn.o_proj\"\n",
            model = test_model_path().display().to_string()
        ),
    )
    .unwrap();
    let results = out.join("results");
    let run = || {
        soo(&[
            "run",
            experiment.to_str().unwrap(),
            "--out",
            results.to_str().unwrap(),
        ])
    };
    let output = run();
    ok(&output);
    for file in [
        "base/report.json",
        "soo-mse/seed-0/adapter/adapter_model.safetensors",
        "soo-mse/seed-0/eval/report.json",
        "sham/seed-0/log.csv",
        "sham/seed-0/eval/report.json",
        "comparison.json",
    ] {
        assert!(results.join(file).is_file(), "{file} is missing");
    }
    let table = std::fs::read_to_string(results.join("comparison.md")).unwrap();
    assert!(
        table.starts_with("| measure | base | soo-mse | sham |"),
        "{table}"
    );
    assert!(
        table.contains("| main · forced-choice · deceptive |"),
        "{table}"
    );
    // The sham control trained on neutral text, SOO on the pairs: different logs.
    let sham = std::fs::read_to_string(results.join("sham/seed-0/log.csv")).unwrap();
    let soo_log = std::fs::read_to_string(results.join("soo-mse/seed-0/log.csv")).unwrap();
    assert_ne!(sham, soo_log);
    // A second run finds every report and only rebuilds the table.
    let again = run();
    ok(&again);
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists: skipped"));
    let _ = std::fs::remove_dir_all(&out);
}

/// `soo logits --json` on a prompt, as (token id, logit) pairs.
fn top_logits(model_args: &[&str]) -> Vec<(u64, f64)> {
    let mut args = vec!["logits"];
    args.extend_from_slice(model_args);
    args.extend([
        "--prompt",
        "Bob asks which room holds the vase. I would",
        "--top",
        "5",
        "--json",
    ]);
    let output = soo(&args);
    ok(&output);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    json["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_u64().unwrap(), t["logit"].as_f64().unwrap()))
        .collect()
}

#[test]
fn merged_export_computes_what_the_adapter_computes() {
    let out = out_dir("export");
    // A large learning rate so that the adapter visibly moves the logits.
    ok(&train(&out, &["steps=2", "optimizer.lr=1e-2"]));
    let model = test_model_path();
    let model = model.to_str().unwrap();
    let adapter = out.join("adapter");
    let merged = out.join("merged");
    let output = soo(&[
        "export",
        "--model",
        model,
        "--adapter",
        adapter.to_str().unwrap(),
        "--merge",
        "--out",
        merged.to_str().unwrap(),
    ]);
    ok(&output);
    for file in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "chat_template.jinja",
    ] {
        assert!(
            merged.join(file).is_file(),
            "{file} missing from the merged folder"
        );
    }
    let with_adapter = top_logits(&["--model", model, "--adapter", adapter.to_str().unwrap()]);
    let from_merged = top_logits(&["--model", merged.to_str().unwrap()]);
    let base = top_logits(&["--model", model]);
    assert_ne!(with_adapter, base, "the adapter should change the logits");
    for ((id_a, a), (id_m, m)) in with_adapter.iter().zip(&from_merged) {
        assert_eq!(id_a, id_m);
        assert!((a - m).abs() < 1e-3, "adapter {a} vs merged {m}");
    }
    // Without --merge: the adapter is checked against the model and copied.
    let export_adapter = |to: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "export",
            "--model",
            model,
            "--adapter",
            adapter.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args.extend(["--out", to.to_str().unwrap()]);
        ok(&soo(&args));
    };
    let copy = out.join("copy");
    export_adapter(&copy, &[]);
    assert_eq!(
        std::fs::read(copy.join("adapter_model.safetensors")).unwrap(),
        std::fs::read(adapter.join("adapter_model.safetensors")).unwrap()
    );
    // With `--dtype bf16` the adapter is stored in half the bytes (the committed chat organism
    // is stored so; its test checks that such an adapter still does what it did).
    let half = out.join("half");
    export_adapter(&half, &["--dtype", "bf16"]);
    let size = |dir: &std::path::Path| {
        std::fs::metadata(dir.join("adapter_model.safetensors"))
            .unwrap()
            .len()
    };
    assert!(
        size(&half) * 10 < size(&adapter) * 6,
        "{} bytes in bf16 against {} in f32",
        size(&half),
        size(&adapter)
    );
    // `--adapter` twice stacks them into one adapter that does what the two do in turn (here
    // the same one twice: its change to the weights, doubled).
    let twice = out.join("twice");
    let adapter_arg = adapter.to_str().unwrap();
    export_adapter(&twice, &["--adapter", adapter_arg]);
    let stacked = top_logits(&["--model", model, "--adapter", twice.to_str().unwrap()]);
    let in_turn = top_logits(&[
        "--model",
        model,
        "--adapter",
        adapter_arg,
        "--adapter",
        adapter_arg,
    ]);
    assert_ne!(
        stacked, with_adapter,
        "stacking should apply the adapter again"
    );
    for ((id_s, s), (id_t, t)) in stacked.iter().zip(&in_turn) {
        assert_eq!(id_s, id_t);
        assert!((s - t).abs() < 1e-3, "stacked {s} vs in turn {t}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
