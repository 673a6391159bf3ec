//! A strength sweep: the strengths `soo eval --strength 0,2,4,8` runs, the folder of each
//! strength's report, and the table that sets the reports side by side (`sweep.md`,
//! `sweep.json`) with what each strength means in norms.

use std::fmt::Write as _;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

use super::vector::{SteeringVector, VectorInfo};
use crate::Result;
use crate::eval::compare::{Rate, parse_report};

/// The strengths of a sweep, in the order given: a comma list (`0,2,4,8`); a negative strength
/// steers the other way. Never empty, every value finite, none twice (each has its own folder).
#[derive(Debug, Clone, PartialEq)]
pub struct Strengths(Vec<f32>);

impl Strengths {
    /// The strengths, in the order given.
    pub fn values(&self) -> &[f32] {
        &self.0
    }
}

impl FromStr for Strengths {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let mut values: Vec<f32> = Vec::new();
        for part in s.split(',').map(str::trim) {
            let value: f32 = part.parse().map_err(|_| {
                format!("strength '{part}' is not a number: write a comma list such as 0,2,4,8")
            })?;
            if !value.is_finite() {
                return Err(format!("strength '{part}' is not finite"));
            }
            if values.contains(&value) {
                return Err(format!("strength {value} is given twice"));
            }
            values.push(value);
        }
        Ok(Strengths(values))
    }
}

/// The folder of one strength's report inside a sweep's output: `strength-4`, `strength-0.5`,
/// `strength--2` (the shortest decimal that reads back as the same f32).
pub fn strength_dir(strength: f32) -> String {
    // -0 and 0 are one strength: one folder.
    let strength = if strength == 0.0 { 0.0 } else { strength };
    format!("strength-{strength}")
}

/// One strength's row of the sweep.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The factor on the vector.
    pub strength: f32,
    /// Its report's folder, relative to the sweep's output.
    pub dir: String,
    /// `|strength| · ‖v‖`: the norm added at every position.
    pub added_norm: f64,
    /// `added_norm` over the hook's typical output norm.
    pub relative_to_activation: f64,
    /// `added_norm` over the residual stream's typical norm at that layer.
    pub relative_to_residual: f64,
    /// Every suite and classifier's rate in the report.
    pub rates: Vec<Rate>,
    /// KL(base ‖ steered model) on the neutral prompts, when `--capability` ran.
    pub kl_to_base: Option<f64>,
    /// Perplexity on the neutral text, when `--capability` ran.
    pub perplexity: Option<f64>,
}

/// The sweep: the vector's facts and one [`Point`] per strength, in the order run.
#[derive(Debug, Clone, Serialize)]
pub struct Sweep {
    /// What the vector is and its scale.
    pub steering: VectorInfo,
    /// One per strength.
    pub points: Vec<Point>,
}

impl Sweep {
    /// An empty sweep of `vector`.
    pub fn new(vector: &SteeringVector) -> Self {
        Sweep {
            steering: vector.info.clone(),
            points: Vec::new(),
        }
    }

    /// Adds the report of `strength` (`text`, read from `file`, which errors name), whose
    /// folder is [`strength_dir`].
    pub fn add(
        &mut self,
        vector: &SteeringVector,
        strength: f32,
        file: &str,
        text: &str,
    ) -> Result<()> {
        let rates = parse_report(file, text)?;
        let report: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let capability = &report["capability"];
        self.points.push(Point {
            strength,
            dir: strength_dir(strength),
            added_norm: f64::from(strength).abs() * vector.info.norm,
            relative_to_activation: vector.relative_to_activation(strength),
            relative_to_residual: vector.relative_to_residual(strength),
            rates,
            kl_to_base: capability["kl_to_base"]["mean"].as_f64(),
            perplexity: capability["perplexity"]["perplexity"].as_f64(),
        });
        Ok(())
    }

    /// The table as Markdown: the vector's facts, then one column per strength and one row per
    /// norm ratio, suite and classifier (rate and 95% interval) and capability number.
    pub fn markdown(&self) -> String {
        let info = &self.steering;
        let mut out = String::from("# Steering sweep\n\n");
        let _ = writeln!(
            out,
            "Vector `{}` at `{}`, {} positions, over {} self/other pairs{}.  ",
            info.direction,
            info.hook,
            info.positions,
            info.pairs,
            info.model
                .as_ref()
                .map_or(String::new(), |m| format!(" of `{m}`")),
        );
        let _ = writeln!(
            out,
            "‖v‖ = {:.4}; the hook's typical output norm is {:.4} and the residual stream's \
             {:.4} (at the same positions).  ",
            info.norm, info.activation_norm, info.residual_norm,
        );
        out.push_str(
            "Strength S adds S·v to the hook's output at every position: at S = 1 the other \
             prompts' mean moves onto the self prompts' mean there.\n\n",
        );
        out.push_str("| | ");
        let heads: Vec<String> = self
            .points
            .iter()
            .map(|p| format!("S = {}", p.strength))
            .collect();
        out.push_str(&heads.join(" | "));
        out.push_str(" |\n|---|");
        out.push_str(&"---|".repeat(self.points.len()));
        out.push('\n');
        let row = |out: &mut String, label: &str, cells: Vec<String>| {
            let _ = writeln!(out, "| {label} | {} |", cells.join(" | "));
        };
        let ratio = |x: f64| {
            if x.is_finite() {
                format!("{x:.3}")
            } else {
                "-".into()
            }
        };
        row(
            &mut out,
            "added norm / hook norm",
            self.points
                .iter()
                .map(|p| ratio(p.relative_to_activation))
                .collect(),
        );
        row(
            &mut out,
            "added norm / residual norm",
            self.points
                .iter()
                .map(|p| ratio(p.relative_to_residual))
                .collect(),
        );
        let mut keys: Vec<(&str, &str, &str)> = Vec::new();
        for rate in self.points.iter().flat_map(|p| &p.rates) {
            let key = (rate.suite.as_str(), rate.classifier.as_str(), rate.what);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        for (suite, classifier, what) in keys {
            let cells = self
                .points
                .iter()
                .map(|p| {
                    p.rates
                        .iter()
                        .find(|r| r.suite == suite && r.classifier == classifier)
                        .map_or("-".into(), |r| {
                            format!("{} ({}–{})", pct(r.estimate), pct(r.low), pct(r.high))
                        })
                })
                .collect();
            row(&mut out, &format!("{suite}, {classifier}: {what}"), cells);
        }
        let optional = |value: Option<f64>, digits: usize| {
            value.map_or("-".into(), |v| format!("{v:.digits$}"))
        };
        if self.points.iter().any(|p| p.kl_to_base.is_some()) {
            row(
                &mut out,
                "KL(base ‖ steered), nats",
                self.points
                    .iter()
                    .map(|p| optional(p.kl_to_base, 4))
                    .collect(),
            );
            row(
                &mut out,
                "perplexity",
                self.points
                    .iter()
                    .map(|p| optional(p.perplexity, 3))
                    .collect(),
            );
        }
        out.push_str("\nEach strength's full report is in its folder `strength-S/`.\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strengths_parse_in_order_and_refuse_bad_lists() {
        let s: Strengths = "0, 2,-4,0.5".parse().unwrap();
        assert_eq!(s.values(), [0.0, 2.0, -4.0, 0.5]);
        for (bad, why) in [
            ("", "not a number"),
            ("1,x", "'x' is not a number"),
            ("1,,2", "'' is not a number"),
            ("inf", "not finite"),
            ("2,2.0", "given twice"),
        ] {
            let err = bad.parse::<Strengths>().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn each_strength_has_its_own_folder() {
        assert_eq!(strength_dir(4.0), "strength-4");
        assert_eq!(strength_dir(0.5), "strength-0.5");
        assert_eq!(strength_dir(-2.0), "strength--2");
        assert_eq!(strength_dir(-0.0), strength_dir(0.0));
    }
}
