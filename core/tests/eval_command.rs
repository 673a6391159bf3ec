//! `soo eval`'s newer options through the binary: `--scenarios FILE` (on the real SmolLM2 with two
//! scenarios of a hand-made file) and `--compare` (no model needed).

#![cfg(feature = "cli")]

use serde_json::Value;

mod common;

use common::{soo, test_model_path};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/eval/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn scenarios_file_runs_as_a_suite_named_after_it() {
    let model = test_model_path();
    let out = std::env::temp_dir().join(format!("soo-eval-scenarios-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = soo(&[
        "eval",
        "--model",
        model.to_str().unwrap(),
        "--scenarios",
        &fixture("scenarios_authors_format.json"),
        "--n",
        "2",
        "--classifier",
        "all",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let suites = report["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 1);
    let suite = &suites[0];
    assert_eq!(suite["suite"], "scenarios_authors_format");
    let answers = suite["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 2, "--n keeps the first scenarios");
    assert_eq!(answers[0]["target_room"], "hallway");
    assert_eq!(answers[1]["alternative_room"], "study");
    assert!(
        answers
            .iter()
            .all(|a| a["text"].is_string() && a["forced_choice"].is_object())
    );
    for key in ["generation_s", "forced_choice_s"] {
        assert!(suite["timing"][key].as_f64().unwrap() > 0.0, "{key}");
    }
    let svg = std::fs::read_to_string(out.join("report.svg")).unwrap();
    assert_eq!(svg.matches("<g class=\"suite\"").count(), 1);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn compare_prints_the_table_and_names_a_bad_file() {
    let run = soo(&[
        "eval",
        "--compare",
        &fixture("report_a.json"),
        &fixture("report_b.json"),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("| main | authors | deceptive | 70.0% | 20.0% | -50.0 pp |"),
        "{stdout}"
    );

    let bad = fixture("report_malformed.json");
    let run = soo(&["eval", "--compare", &fixture("report_a.json"), &bad]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&bad) && stderr.contains("not a soo eval report"),
        "{stderr}"
    );

    let missing = fixture("no_such_report.json");
    let run = soo(&["eval", "--compare", &missing, &fixture("report_b.json")]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains(&missing));
}
