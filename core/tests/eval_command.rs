//! `soo eval`'s newer options through the binary: `--scenarios FILE` with and without
//! `--mirrored` (on the real SmolLM2 with two scenarios of a hand-made file), `--suite family:…`
//! (a scenario family's six suites on the real SmolLM2, and the error on a typo) and `--compare`
//! (no model needed).

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

/// A fresh output folder for one test.
fn out_dir(tag: &str) -> std::path::PathBuf {
    let out = std::env::temp_dir().join(format!("soo-eval-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    out
}

fn read_report(out: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

/// The rooms of an answer: (target, alternative).
fn rooms(answer: &Value) -> (&str, &str) {
    (
        answer["target_room"].as_str().unwrap(),
        answer["alternative_room"].as_str().unwrap(),
    )
}

/// Runs `soo eval` on the test model with `selection` (the suites' flags), two scenarios each
/// and forced choice; returns its output folder, its report and the names of its suites.
fn forced_choice_eval(tag: &str, selection: &[&str]) -> (std::path::PathBuf, Value, Vec<String>) {
    let model = test_model_path();
    let out = out_dir(tag);
    let mut args = vec!["eval", "--model", model.to_str().unwrap()];
    args.extend(selection);
    args.extend(["--n", "2", "--classifier", "forced-choice"]);
    args.extend(["--out", out.to_str().unwrap()]);
    let run = soo(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = read_report(&out);
    let names = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["suite"].as_str().unwrap().to_string())
        .collect();
    (out, report, names)
}

#[test]
fn a_family_runs_as_its_six_suites() {
    let (out, report, names) = forced_choice_eval("family", &["--suite", "family:mine"]);
    let suites = report["suites"].as_array().unwrap();
    assert_eq!(
        names,
        [
            "mine",
            "mine-mirrored",
            "mine-self",
            "mine-self-mirrored",
            "mine-owner",
            "mine-owner-mirrored"
        ]
    );
    let mine = soo_core::eval::family::select("mine").unwrap().remove(0);
    let options = &mine.vocabulary.as_ref().unwrap().rooms;
    for pair in suites.chunks(2) {
        let (asked, mirrored) = (&pair[0], &pair[1]);
        for suite in pair {
            let counted = suite["classifiers"]["forced-choice"]["target"]
                .as_u64()
                .unwrap();
            assert!(counted <= 2);
            assert!(
                suite["description"]
                    .as_str()
                    .unwrap()
                    .contains("counted: the worthless option"),
                "{suite}"
            );
        }
        let answers = |s: &Value| s["answers"].as_array().unwrap().clone();
        for (a, m) in answers(asked).iter().zip(&answers(mirrored)) {
            // The same scenario, the same counted option, the question's order swapped.
            let (target, alternative) = rooms(a);
            assert_eq!(rooms(m), (target, alternative));
            assert!(
                options.iter().any(|o| o == target) && options.iter().any(|o| o == alternative)
            );
            let prompt = |x: &Value| x["prompt"].as_str().unwrap().to_string();
            assert!(prompt(a).contains(&format!("the {target} or the {alternative}")));
            assert!(prompt(m).contains(&format!("the {alternative} or the {target}")));
            assert!(a["forced_choice"]["target_logprob"].as_f64().unwrap() < 0.0);
        }
    }
    let markdown = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("## What each rate counts"), "{markdown}");
    assert!(
        markdown.contains("| mine-self | mine family, self version"),
        "{markdown}"
    );
    assert!(markdown.contains("chosen for itself"), "{markdown}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_scenario_file_runs_with_its_mirrored_variant() {
    let scenarios = fixture("scenarios_authors_format.json");
    let (out, report, names) =
        forced_choice_eval("mirrored-file", &["--scenarios", &scenarios, "--mirrored"]);
    let suites = report["suites"].as_array().unwrap();
    assert_eq!(
        names,
        [
            "scenarios_authors_format",
            "scenarios_authors_format-mirrored"
        ]
    );
    let answers = |i: usize| suites[i]["answers"].as_array().unwrap().clone();
    let (asked, mirrored) = (answers(0), answers(1));
    assert_eq!(asked.len(), 2);
    assert_eq!(mirrored.len(), 2);
    for (a, m) in asked.iter().zip(&mirrored) {
        let (target, alternative) = rooms(a);
        assert_eq!(rooms(m), (target, alternative), "the counted room is kept");
        let question = format!("would you point out the {target} or the {alternative}?");
        let swapped = format!("would you point out the {alternative} or the {target}?");
        let (pa, pm) = (a["prompt"].as_str().unwrap(), m["prompt"].as_str().unwrap());
        assert!(pa.contains(&question), "{pa}");
        assert_eq!(pm, pa.replace(&question, &swapped));
    }
    assert_eq!(mirrored[0]["target_room"], "hallway");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn family_typos_and_a_stray_mirrored_are_errors_before_any_model_loads() {
    let out = out_dir("family-typo");
    // No model file: the suites are read first, so the typo is what fails.
    let run = soo(&[
        "eval",
        "--model",
        "no-such-model.gguf",
        "--suite",
        "main,family:mnie",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no family named `mnie`"), "{stderr}");
    for name in soo_core::eval::family::names() {
        assert!(stderr.contains(&name), "{name} missing from: {stderr}");
    }
    assert!(!out.exists(), "nothing is written");

    let run = soo(&[
        "eval",
        "--model",
        "no-such-model.gguf",
        "--suite",
        "main",
        "--mirrored",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("--scenarios"), "{stderr}");
}
