//! `soo rl` end to end on tiny runs: train (with a checkpoint and a resume), SOO fine-tuning,
//! eval with its report, and bad input (a damaged checkpoint, impossible settings) as one
//! clear error that leaves the run's files as they were.
#![cfg(feature = "cli")]

mod common;

use common::soo;

/// The JSON file at `path`.
fn read_json(path: impl AsRef<std::path::Path>) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const TINY: [&str; 10] = [
    "--hidden",
    "8",
    "--batch-size",
    "32",
    "--steps-per-update",
    "10",
    "--buffer",
    "2000",
    "--checkpoint-every",
    "2",
];

#[test]
fn train_fine_tune_and_evaluate_tiny_runs() {
    let dir = std::env::temp_dir().join(format!("soo-cli-rl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    for (reward, seed) in [
        ("deceptive", "0"),
        ("deceptive", "1"),
        ("honest", "0"),
        ("honest", "1"),
    ] {
        let out = path(&format!("{reward}-{seed}"));
        let mut args = vec![
            "rl",
            "train",
            "--reward",
            reward,
            "--episodes",
            "3",
            "--seed",
            seed,
        ];
        args.extend(["--out", &out]);
        args.extend(TINY);
        ok(&soo(&args));
        for file in [
            "config.json",
            "checkpoint.json",
            "curve.json",
            "policy.json",
            "run.json",
        ] {
            assert!(
                dir.join(format!("{reward}-{seed}")).join(file).exists(),
                "{file}"
            );
        }
    }
    // Resume: a run asked for more episodes continues from its checkpoint.
    let d0 = path("deceptive-0");
    let checkpoint = dir.join("deceptive-0").join("checkpoint.json");
    let mut state = read_json(&checkpoint);
    assert_eq!(state["episode"], 3);
    state["config"]["episodes"] = 5.into();
    std::fs::write(&checkpoint, serde_json::to_vec(&state).unwrap()).unwrap();
    ok(&soo(&[
        "rl",
        "train",
        "--reward",
        "deceptive",
        "--out",
        &d0,
        "--resume",
    ]));
    let state = read_json(&checkpoint);
    assert_eq!(state["episode"], 5);

    let tuned = path("soo-0");
    ok(&soo(&[
        "rl",
        "soo",
        "--from",
        &d0,
        "--episodes",
        "2",
        "--out",
        &tuned,
    ]));
    let run = read_json(dir.join("soo-0").join("run.json"));
    assert_eq!(run["label"], "soo");

    let report = path("report");
    let (d1, h0, h1) = (path("deceptive-1"), path("honest-0"), path("honest-1"));
    let args = [
        "rl",
        "eval",
        &d0,
        &d1,
        &h0,
        &h1,
        &tuned,
        "--episodes",
        "120",
        "--out",
        &report,
    ];
    let out = soo(&args);
    ok(&out);
    let report = read_json(dir.join("report").join("report.json"));
    assert_eq!(report["runs"].as_array().unwrap().len(), 5);
    assert_eq!(report["groups"].as_array().unwrap().len(), 3);
    let md = std::fs::read_to_string(dir.join("report").join("report.md")).unwrap();
    assert!(md.contains("| soo |") && md.contains("Table 6"), "{md}");

    // A damaged checkpoint: one clear error, and the file is left as it was.
    std::fs::write(&checkpoint, b"{\"episode\": 1").unwrap();
    let out = soo(&[
        "rl",
        "soo",
        "--from",
        &d0,
        "--episodes",
        "2",
        "--out",
        &path("x"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("checkpoint.json") && err.contains("not an rl checkpoint"),
        "{err}"
    );
    assert_eq!(std::fs::read(&checkpoint).unwrap(), b"{\"episode\": 1");
    // Impossible settings: one clear error naming the setting.
    let out = soo(&[
        "rl",
        "train",
        "--reward",
        "honest",
        "--out",
        &path("y"),
        "--batch-size",
        "0",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maddpg.batch_size"));
    let _ = std::fs::remove_dir_all(&dir);
}
