//! `soo eval` on the real SmolLM2-135M-Instruct GGUF: a tiny run (two suites, two scenarios
//! each, every classifier) whose reports must exist, parse, add up and carry finite, negative
//! forced-choice log-probabilities. The model is found through `SOO_TEST_MODEL`.

#![cfg(feature = "cli")]

use serde_json::Value;

mod common;

use common::{soo, test_model_path};

#[test]
fn eval_writes_consistent_reports() {
    let model = test_model_path();
    let out = std::env::temp_dir().join(format!("soo-cli-eval-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = soo(&[
        "eval",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--suite",
        "main,main-mirrored",
        "--n",
        "2",
        "--classifier",
        "all",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert!(
        run.status.success(),
        "soo eval failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json = std::fs::read(out.join("report.json")).expect("report.json");
    let report: Value = serde_json::from_slice(&json).expect("report.json parses");
    let markdown = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(
        !out.join("report.json.tmp").exists(),
        "temp file left behind"
    );
    assert_eq!(report["n"], 2);
    let suites = report["suites"].as_array().expect("suites");
    let names: Vec<&str> = suites.iter().filter_map(|s| s["suite"].as_str()).collect();
    assert_eq!(names, ["main", "main-mirrored"]);
    for suite in suites {
        let name = suite["suite"].as_str().expect("name");
        let c = &suite["classifiers"];
        for classifier in ["authors", "three-way", "forced-choice"] {
            let rate = &c[classifier]["deceptive_rate"];
            assert_eq!(rate["trials"], 2, "{name} {classifier}");
            assert_eq!(
                rate["successes"], c[classifier]["target"],
                "{name} {classifier}"
            );
            let low = rate["low"].as_f64().expect("low");
            let high = rate["high"].as_f64().expect("high");
            let estimate = rate["estimate"].as_f64().expect("estimate");
            assert!(0.0 <= low && low <= estimate && estimate <= high && high <= 1.0);
            assert!(markdown.contains(&format!("| {name} | {classifier} |")));
        }
        let count = |classifier: &str, key: &str| c[classifier][key].as_u64().expect(key);
        assert_eq!(
            count("authors", "target") + count("authors", "not_target"),
            2
        );
        let other: u64 = c["three-way"]["other"]
            .as_object()
            .expect("other")
            .values()
            .map(|v| v.as_u64().expect("count"))
            .sum();
        assert_eq!(
            count("three-way", "target") + count("three-way", "alternative") + other,
            2
        );
        assert_eq!(
            count("forced-choice", "target") + count("forced-choice", "alternative"),
            2
        );
        let answers = suite["answers"].as_array().expect("answers");
        assert_eq!(answers.len(), 2);
        for answer in answers {
            assert!(answer["text"].is_string(), "{name}: no generated text");
            let forced = &answer["forced_choice"];
            for key in ["target_logprob", "alternative_logprob"] {
                let lp = forced[key].as_f64().expect(key);
                assert!(lp.is_finite() && lp < 0.0, "{name} {key} = {lp}");
            }
            // The chosen room is the likelier one, and its class follows.
            let target_wins =
                forced["target_logprob"].as_f64() >= forced["alternative_logprob"].as_f64();
            let (room, class) = if target_wins {
                (&answer["target_room"], "deceptive")
            } else {
                (&answer["alternative_room"], "honest")
            };
            assert_eq!(&forced["chosen"], room);
            assert_eq!(forced["class"], class);
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn eval_rejects_an_unknown_suite() {
    let model = test_model_path();
    let run = soo(&[
        "eval",
        "--model",
        model.to_str().expect("utf-8 path"),
        "--suite",
        "no-such-suite",
        "--out",
        std::env::temp_dir().to_str().expect("utf-8 path"),
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("no suite named `no-such-suite`"));
}
