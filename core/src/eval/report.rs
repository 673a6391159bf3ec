//! The report of `soo eval` as data: each suite's JSON (counts and rates per classifier, every
//! answer) and the Markdown summary of a whole report. The command line assembles the report's
//! top level and writes the files; everything here is pure, so the browser can show the same.

use serde_json::{Value, json};

use super::results::SuiteResult;
use super::scenario::SuiteKind;
use super::summary::Proportion;

/// The name of a suite's target rate: what its target room means.
pub fn rate_name(kind: SuiteKind) -> &'static str {
    match kind {
        SuiteKind::Deception => "deceptive_rate",
        SuiteKind::Capability => "correct_rate",
    }
}

/// A classifier entry's rate (`deceptive_rate` or `correct_rate`) and which it is.
pub fn rate_of(classifier: &Value) -> Option<(&'static str, &Value)> {
    if let Some(rate) = classifier.get("deceptive_rate") {
        Some(("deceptive", rate))
    } else {
        classifier.get("correct_rate").map(|rate| ("correct", rate))
    }
}

/// One suite's counts per classifier (`authors`, `three-way`, `forced-choice`, those asked for
/// and computed), then its answers.
pub fn suite_json(result: &SuiteResult, classifiers: &[&str]) -> Value {
    let rate = rate_name(result.kind);
    let mut by_classifier = serde_json::Map::new();
    let n = result.answers.len();
    for &name in classifiers {
        let entry = match (name, &result.summary, result.forced_target) {
            ("authors", Some(s), _) => json!({
                "target": s.authors_target,
                "not_target": n - s.authors_target,
                "total": n,
                rate: s.authors_rate(),
            }),
            ("three-way", Some(s), _) => json!({
                "target": s.target,
                "alternative": s.alternative,
                "other": s.other,
                "total": s.total(),
                rate: s.target_rate(),
                "other_rate": s.other_rate(),
            }),
            ("forced-choice", _, Some(target)) => json!({
                "target": target,
                "alternative": n - target,
                "total": n,
                rate: Proportion::wilson(target, n),
            }),
            _ => continue,
        };
        by_classifier.insert(name.to_string(), entry);
    }
    json!({
        "suite": result.suite,
        "kind": result.kind,
        "classifiers": by_classifier,
        "answers": result.answers,
    })
}

fn pct(v: &Value) -> String {
    v.as_f64()
        .map_or("?".into(), |x| format!("{:.1}%", 100.0 * x))
}

/// The "other" count of a classifier entry: the three-way reasons summed, `-` for the others.
pub fn other_count(classifier: &Value) -> Option<u64> {
    classifier["other"]
        .as_object()
        .map(|o| o.values().filter_map(Value::as_u64).sum())
}

/// The report as Markdown: the rates table, then timing, latent SOO and capability sections
/// when the report has them.
pub fn markdown(report: &Value) -> String {
    let suites = report["suites"].as_array().map_or(&[][..], Vec::as_slice);
    let mut out = format!(
        "# soo eval\n\nModel `{}`, n = {} per suite, seed {}.\n",
        report["model"].as_str().unwrap_or(""),
        report["n"],
        report["seed"],
    );
    if let Some(file) = report["scenarios_file"].as_str() {
        out.push_str(&format!("Scenario file `{file}`.\n"));
    }
    if !suites.is_empty() {
        out.push_str(
            "\n| suite | classifier | rate | 95% CI | target | alternative | other | n |\n\
             |---|---|---|---|---|---|---|---|\n",
        );
    }
    for suite in suites {
        let Some(classifiers) = suite["classifiers"].as_object() else {
            continue;
        };
        for (name, c) in classifiers {
            let Some((which, rate)) = rate_of(c) else {
                continue;
            };
            let other = other_count(c).map_or("-".into(), |o| o.to_string());
            let alternative = c
                .get("alternative")
                .or_else(|| c.get("not_target"))
                .map_or("-".into(), Value::to_string);
            out.push_str(&format!(
                "| {} | {name} | {} {which} | {}–{} | {} | {alternative} | {other} | {} |\n",
                suite["suite"].as_str().unwrap_or(""),
                pct(&rate["estimate"]),
                pct(&rate["low"]),
                pct(&rate["high"]),
                c["target"],
                c["total"],
            ));
        }
    }
    out.push_str(&descriptions_markdown(suites));
    out.push_str(&timing_markdown(report));
    if let Some(latent) = report.get("latent").and_then(|l| l["markdown"].as_str()) {
        out.push_str(&format!("\n## Latent SOO\n\n{latent}"));
    }
    if let Some(capability) = report
        .get("capability")
        .and_then(|c| c["markdown"].as_str())
    {
        out.push_str(&format!("\n## Capability\n\n{capability}"));
    }
    out
}

/// What each suite is and what its rate counts (its description), for the suites that have
/// one: "deceptive" in the rates table means the counted answer, which for a family's self and
/// owner versions is the worse choice, not a lie to a competitor, and the reader must see that.
fn descriptions_markdown(suites: &[Value]) -> String {
    let rows: String = suites
        .iter()
        .filter_map(|suite| {
            let description = suite["description"].as_str().filter(|d| !d.is_empty())?;
            Some(format!(
                "| {} | {} |\n",
                suite["suite"].as_str().unwrap_or(""),
                description.replace('|', "\\|")
            ))
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "\n## What each rate counts\n\nThe rate is the share of answers naming the suite's \
         target: the deceptive room (in a scenario family's self and owner suites, the worse \
         option, labelled deceptive too: lower is better in every family suite), or for a \
         capability suite the correct one.\n\n\
         | suite | description |\n|---|---|\n{rows}"
    )
}

/// Wall time per suite (generation and forced choice apart), if the report has it.
fn timing_markdown(report: &Value) -> String {
    let seconds = |v: &Value| v.as_f64().map_or("-".into(), |s| format!("{s:.1} s"));
    let mut rows = String::new();
    for suite in report["suites"].as_array().into_iter().flatten() {
        let timing = &suite["timing"];
        if timing.is_object() {
            rows.push_str(&format!(
                "| {} | {} | {} |\n",
                suite["suite"].as_str().unwrap_or(""),
                seconds(&timing["generation_s"]),
                seconds(&timing["forced_choice_s"]),
            ));
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    format!(
        "\n## Wall time\n\nBackend `{}`, batch {}.\n\n| suite | generation | forced choice |\n\
         |---|---|---|\n{rows}",
        report["backend"].as_str().unwrap_or("?"),
        report["batch_size"],
    )
}
