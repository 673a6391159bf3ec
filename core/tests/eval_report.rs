//! The report's pure parts on hand-made report.json fixtures: `--compare`'s difference table,
//! errors that name a malformed report's file, the SVG chart and the Markdown sections.

use serde_json::Value;
use soo_core::Error;
use soo_core::eval::{compare, report, svg};

fn fixture(name: &str) -> (String, String) {
    let path = format!("{}/tests/fixtures/eval/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    (path, text)
}

fn json(name: &str) -> Value {
    serde_json::from_str(&fixture(name).1).unwrap()
}

#[test]
fn compare_prints_rates_differences_and_intervals() {
    let (pa, ta) = fixture("report_a.json");
    let (pb, tb) = fixture("report_b.json");
    let a = compare::parse_report(&pa, &ta).unwrap();
    let b = compare::parse_report(&pb, &tb).unwrap();
    assert_eq!(a.len(), 4);
    let table = compare::table("a.json", &a, "b.json", &b);
    let row = |suite: &str, classifier: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| {suite} | {classifier} |")))
            .unwrap_or_else(|| panic!("no row {suite}/{classifier} in\n{table}"))
            .to_string()
    };
    assert_eq!(
        row("main", "three-way"),
        "| main | three-way | deceptive | 70.0% | 20.0% | -50.0 pp | 39.7%–89.2% | 5.7%–51.0% |"
    );
    assert_eq!(
        row("main", "forced-choice"),
        "| main | forced-choice | deceptive | 90.0% | 30.0% | -60.0 pp | 59.6%–98.2% | 10.8%–60.3% |"
    );
    // Only in A, only in B: a dash where the other report has nothing.
    assert_eq!(
        row("perspectives", "three-way"),
        "| perspectives | three-way | correct | 60.0% | - | - | 31.3%–83.2% | - |"
    );
    assert!(row("escape-room", "three-way").contains("| - | 50.0% | - |"));
    assert!(table.starts_with("A = a.json\nB = b.json\n"));
}

#[test]
fn a_malformed_report_is_an_error_naming_its_file() {
    let (path, text) = fixture("report_malformed.json");
    let err = compare::parse_report(&path, &text).unwrap_err();
    let Error::Format { file, problem } = &err else {
        panic!("expected a format error, got {err:?}");
    };
    assert_eq!(file, &path);
    assert!(
        problem.contains("`high`") && problem.contains("main"),
        "{problem}"
    );
    for (name, text) in [("broken.json", "{\"suites\": ["), ("empty.json", "{}")] {
        let message = compare::parse_report(name, text).unwrap_err().to_string();
        assert!(message.contains(name), "{message}");
    }
}

#[test]
fn the_chart_has_one_bar_group_per_suite() {
    let report = json("report_b.json");
    let chart = svg::chart(&report);
    assert!(chart.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(chart.trim_end().ends_with("</svg>"));
    assert_eq!(chart.matches("<g class=\"suite\"").count(), 2);
    assert!(chart.contains("data-suite=\"main\"") && chart.contains("data-suite=\"escape-room\""));
    // main has three classifiers, escape-room one: four bars, each labelled.
    assert_eq!(chart.matches("text-anchor=\"end\"").count(), 4);
    // The model name is escaped, and the three-way bar shows 20% / 60% / 20% on main.
    assert!(chart.contains("tuned &lt;model&gt; &amp; co"));
    assert!(chart.contains(">20%<") && chart.contains(">60%<"));
    for colour in ["#D55E00", "#0072B2", "#999999"] {
        assert!(chart.contains(colour), "{colour}");
    }
}

#[test]
fn markdown_has_rates_and_wall_time() {
    let report = json("report_a.json");
    let markdown = report::markdown(&report);
    assert!(
        markdown.contains("| main | three-way | 70.0% deceptive | 39.7%–89.2% | 7 | 2 | 1 | 10 |"),
        "{markdown}"
    );
    assert!(
        markdown.contains("| perspectives | three-way | 60.0% correct |"),
        "{markdown}"
    );
    assert!(markdown.contains("| main | 12.5 s | 3.2 s |"), "{markdown}");
}

#[test]
fn markdown_says_what_each_rate_counts() {
    let mut report = json("report_a.json");
    // A report from before suites carried descriptions has no such section.
    assert!(!report::markdown(&report).contains("## What each rate counts"));
    report["suites"][0]["description"] = "mine family, self version: counted: the worthless \
                                          option chosen for itself | lower is better"
        .into();
    let markdown = report::markdown(&report);
    assert!(markdown.contains("## What each rate counts"), "{markdown}");
    assert!(
        markdown.contains(
            "| main | mine family, self version: counted: the worthless option chosen for \
             itself \\| lower is better |"
        ),
        "{markdown}"
    );
    assert!(
        markdown.contains("lower is better in every family suite"),
        "{markdown}"
    );
}
