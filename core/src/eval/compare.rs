//! `soo eval --compare A.json B.json`: the difference between two reports (typically the base
//! model and the tuned one), per suite and classifier: rate A, rate B, B − A, and both 95%
//! intervals. Reads only what the table needs, so reports from older soo versions still compare;
//! a report that lacks it is an error naming the file and the missing part.

use serde::Serialize;
use serde_json::Value;

use super::report::rate_of;
use crate::{Error, Result};

/// One suite and classifier's rate in one report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// Suite name.
    pub suite: String,
    /// Classifier name.
    pub classifier: String,
    /// `deceptive` or `correct`.
    pub what: &'static str,
    /// Point estimate, a fraction.
    pub estimate: f64,
    /// 95% interval, low end.
    pub low: f64,
    /// 95% interval, high end.
    pub high: f64,
}

fn malformed(file: &str, problem: String) -> Error {
    Error::Format {
        file: file.into(),
        problem: format!("not a soo eval report: {problem}"),
    }
}

/// The rates of the report `text` read from `file`.
pub fn parse_report(file: &str, text: &str) -> Result<Vec<Rate>> {
    let report: Value = serde_json::from_str(text).map_err(|e| malformed(file, e.to_string()))?;
    let suites = report["suites"]
        .as_array()
        .ok_or_else(|| malformed(file, "no `suites` list".into()))?;
    let mut rates = Vec::new();
    for (i, suite) in suites.iter().enumerate() {
        let name = suite["suite"]
            .as_str()
            .ok_or_else(|| malformed(file, format!("suites[{i}] has no `suite` name")))?;
        let classifiers = suite["classifiers"]
            .as_object()
            .ok_or_else(|| malformed(file, format!("suite `{name}` has no `classifiers`")))?;
        for (classifier, entry) in classifiers {
            let (what, rate) = rate_of(entry).ok_or_else(|| {
                malformed(
                    file,
                    format!("suite `{name}`, classifier `{classifier}`: no rate"),
                )
            })?;
            let number = |key: &str| {
                rate[key].as_f64().ok_or_else(|| {
                    malformed(
                        file,
                        format!("suite `{name}`, classifier `{classifier}`: no number `{key}`"),
                    )
                })
            };
            rates.push(Rate {
                suite: name.into(),
                classifier: classifier.clone(),
                what,
                estimate: number("estimate")?,
                low: number("low")?,
                high: number("high")?,
            });
        }
    }
    Ok(rates)
}

/// The difference table (Markdown) of reports `a` and `b`, named `name_a` and `name_b` in its
/// header: every suite and classifier of either, in A's order then B's extras; "-" where one
/// report lacks it.
pub fn table(name_a: &str, a: &[Rate], name_b: &str, b: &[Rate]) -> String {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let interval = |r: &Rate| format!("{}–{}", pct(r.low), pct(r.high));
    let mut out = format!(
        "A = {name_a}\nB = {name_b}\n\n\
         | suite | classifier | rate | A | B | B − A | A 95% CI | B 95% CI |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for r in a.iter().chain(b) {
        let key = (r.suite.as_str(), r.classifier.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let find = |rates: &'_ [Rate], (s, c): (&str, &str)| {
        rates
            .iter()
            .find(|r| r.suite == s && r.classifier == c)
            .cloned()
    };
    for key in keys {
        let (ra, rb) = (find(a, key), find(b, key));
        let what = ra.as_ref().or(rb.as_ref()).map_or("?", |r| r.what);
        let cell = |r: &Option<Rate>, f: &dyn Fn(&Rate) -> String| r.as_ref().map_or("-".into(), f);
        let diff = match (&ra, &rb) {
            (Some(x), Some(y)) => format!("{:+.1} pp", 100.0 * (y.estimate - x.estimate)),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "| {} | {} | {what} | {} | {} | {diff} | {} | {} |\n",
            key.0,
            key.1,
            cell(&ra, &|r| pct(r.estimate)),
            cell(&rb, &|r| pct(r.estimate)),
            cell(&ra, &interval),
            cell(&rb, &interval),
        ));
    }
    out
}
