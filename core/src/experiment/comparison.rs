//! The comparison of an experiment's reports: one row per measure (a suite's rate under a
//! classifier, or a capability number), the base model's value, then each condition's mean ±
//! sample sd over seeds.

use serde_json::{Value, json};

use crate::eval::report::rate_of;
use crate::train::Objective;

/// The table, as JSON (`comparison.json`) and as Markdown (`comparison.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// `{"conditions", "seeds", "rows": [{"measure", "base", <condition>: {mean, sd, values}}]}`.
    pub json: Value,
    /// The Markdown table and a line on what it shows.
    pub markdown: String,
}

impl Comparison {
    /// Compares the base model's report with the reports of every condition's runs
    /// (`runs[c][s]`: condition `conditions[c]`, seed `seeds[s]`).
    pub fn of(base: &Value, conditions: &[Objective], seeds: &[u64], runs: &[Vec<Value>]) -> Self {
        let conditions: Vec<&str> = conditions.iter().map(|c| c.name()).collect();
        let base = measures(base);
        let per_condition: Vec<Vec<Vec<(String, f64)>>> = runs
            .iter()
            .map(|reports| reports.iter().map(measures).collect())
            .collect();
        let mut md = format!(
            "| measure | base | {} |\n|---|---|{}\n",
            conditions.join(" | "),
            "---|".repeat(conditions.len())
        );
        let mut rows = Vec::new();
        for (name, base_value) in &base {
            let mut cells = Vec::new();
            let mut row = json!({"measure": name, "base": base_value});
            for (condition, runs) in conditions.iter().zip(&per_condition) {
                let values: Vec<f64> = runs
                    .iter()
                    .filter_map(|m| m.iter().find(|(n, _)| n == name).map(|(_, v)| *v))
                    .collect();
                if values.is_empty() {
                    cells.push("–".to_string());
                    continue;
                }
                let (mean, sd) = mean_sd(&values);
                row[*condition] = json!({"mean": mean, "sd": sd, "values": values});
                cells.push(format_value(name, mean, Some(sd)));
            }
            md.push_str(&format!(
                "| {name} | {} | {} |\n",
                format_value(name, *base_value, None),
                cells.join(" | ")
            ));
            rows.push(row);
        }
        md.push_str(&format!(
            "\nMeans ± sample sd over {} seed(s): {:?}. Rates are fractions of the suite's \
             scenarios shown as %; \"other\" counts answers naming neither or both rooms, \
             refusals and gibberish.\n",
            seeds.len(),
            seeds
        ));
        Comparison {
            json: json!({"conditions": conditions, "seeds": seeds, "rows": rows}),
            markdown: md,
        }
    }
}

/// Mean and sample standard deviation.
fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

/// The rates of a report by (suite, classifier, measure): the target rate and, for the
/// three-way classifier, the "other" rate; plus the capability numbers.
fn measures(report: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for suite in report["suites"].as_array().into_iter().flatten() {
        let name = suite["suite"].as_str().unwrap_or("?");
        for (classifier, entry) in suite["classifiers"].as_object().into_iter().flatten() {
            if let Some((what, rate)) = rate_of(entry)
                && let Some(x) = rate["estimate"].as_f64()
            {
                out.push((format!("{name} · {classifier} · {what}"), x));
            }
            if let Some(x) = entry["other_rate"]["estimate"].as_f64() {
                out.push((format!("{name} · {classifier} · other"), x));
            }
        }
    }
    if let Some(kl) = report["capability"]["kl_to_base"]["mean"].as_f64() {
        out.push(("capability · KL to base (nats)".into(), kl));
    }
    if let Some(ppl) = report["capability"]["perplexity"]["perplexity"].as_f64() {
        out.push(("capability · perplexity".into(), ppl));
    }
    out
}

/// A rate as a percentage, a capability number with four decimals; with its sd when given.
fn format_value(name: &str, value: f64, sd: Option<f64>) -> String {
    let percent = !name.starts_with("capability");
    match (percent, sd) {
        (true, Some(sd)) => format!("{:.1}% ± {:.1}", 100.0 * value, 100.0 * sd),
        (true, None) => format!("{:.1}%", 100.0 * value),
        (false, Some(sd)) => format!("{value:.4} ± {sd:.4}"),
        (false, None) => format!("{value:.4}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rate: f64) -> Value {
        json!({"suites": [{"suite": "main", "classifiers": {
            "forced-choice": {"deceptive_rate": {"estimate": rate}}}}]})
    }

    #[test]
    fn each_condition_shows_its_mean_and_sd_over_seeds() {
        let table = Comparison::of(
            &report(0.5),
            &[Objective::SooMse],
            &[0, 1],
            &[vec![report(0.2), report(0.4)]],
        );
        assert!(
            table
                .markdown
                .contains("| main · forced-choice · deceptive | 50.0% | 30.0% ± 14.1 |"),
            "{}",
            table.markdown
        );
        assert_eq!(
            table.json["rows"][0]["soo-mse"]["values"],
            json!([0.2, 0.4])
        );
    }
}
