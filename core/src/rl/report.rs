//! The report of `soo rl eval` (and of the page later): per-run measures, per-label summaries
//! with 95% intervals over runs (training seeds), behavioural distances between labels on
//! matched seeds, and the Table 6 classifier. Pure: builds values and Markdown, writes nothing.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::measures::{
    ClassifierRow, Evaluation, Labelled, Profile, behavioural_distance, classify, mean_ci,
};

/// The episode-per-seed ranges of the paper's Table 6.
pub const TABLE6_RANGES: [(usize, usize); 3] = [(100, 500), (500, 1000), (2000, 2500)];

/// One trained run and its evaluations (one per evaluation seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEval {
    /// Where it came from (a folder name).
    pub name: String,
    /// `deceptive`, `honest`, `soo`, `soo-capability-only`, `soo-random-other`.
    pub label: String,
    /// Its training seed.
    pub seed: u64,
    /// Episodes it trained (fine-tuning: the fine-tuning episodes).
    pub trained_episodes: usize,
    /// One evaluation per evaluation seed.
    pub evals: Vec<Evaluation>,
}

impl RunEval {
    /// The mean over evaluation seeds of `f`.
    fn mean(&self, f: impl Fn(&Evaluation) -> f64) -> f64 {
        self.evals.iter().map(f).sum::<f64>() / self.evals.len().max(1) as f64
    }

    /// Every evaluation episode's SOO, evaluation seeds in order.
    fn all_soo(&self) -> Evaluation {
        let mut merged = self.evals[0].clone();
        merged.soo_per_episode = self
            .evals
            .iter()
            .flat_map(|e| e.soo_per_episode.clone())
            .collect();
        merged
    }

    /// The profile averaged over evaluation seeds.
    pub fn profile(&self) -> Profile {
        let mut p = self.evals[0].profile.clone();
        for (i, row) in p.shares.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = self.mean(|e| e.profile.shares[i][j]);
            }
        }
        p.moves = self.evals.iter().map(|e| e.profile.moves).sum();
        p
    }
}

/// A value with its 95% interval half-width over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Mean.
    pub mean: f64,
    /// Half-width (normal approximation; NaN with one run).
    pub ci95: f64,
}

impl Interval {
    fn of(values: &[f64]) -> Interval {
        let (mean, ci95) = mean_ci(values);
        Interval { mean, ci95 }
    }
}

impl std::fmt::Display for Interval {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.ci95.is_nan() {
            write!(f, "{:.4}", self.mean)
        } else {
            write!(f, "{:.4} ± {:.4}", self.mean, self.ci95)
        }
    }
}

/// One label's measures over its runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The label.
    pub label: String,
    /// Runs (training seeds).
    pub runs: usize,
    /// Share of episodes with red trapped at the fake.
    pub trap_rate: Interval,
    /// Blue's return under the deceptive reward.
    pub blue_return_deceptive: Interval,
    /// Blue's return under the honest reward.
    pub blue_return_honest: Interval,
    /// Red's return.
    pub red_return: Interval,
    /// Mean SOO of blue's policy.
    pub mean_soo: Interval,
}

/// The behavioural distance between two labels, over training seeds both have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distance {
    /// First label.
    pub a: String,
    /// Second label.
    pub b: String,
    /// Seeds compared.
    pub seeds: usize,
    /// Mean absolute profile difference.
    pub distance: Interval,
}

/// Everything `soo rl eval` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RlReport {
    /// Evaluation episodes per run and evaluation seed.
    pub episodes: usize,
    /// Evaluation seeds per run.
    pub eval_seeds: usize,
    /// Every run.
    pub runs: Vec<RunEval>,
    /// Per label.
    pub groups: Vec<Group>,
    /// Between labels.
    pub distances: Vec<Distance>,
    /// Table 6: deceptive vs honest by mean SOO (the ranges the evaluation was long enough for).
    pub classifier: Vec<ClassifierRow>,
}

/// Builds the report over `runs` (each with at least one evaluation).
pub fn build(runs: Vec<RunEval>, episodes: usize, eval_seeds: usize) -> RlReport {
    let labels: Vec<String> = runs
        .iter()
        .map(|r| r.label.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    fn of<'a>(runs: &'a [RunEval], label: &'a str) -> impl Iterator<Item = &'a RunEval> {
        runs.iter().filter(move |r| r.label == label)
    }
    let groups = labels
        .iter()
        .map(|label| {
            let values = |f: fn(&Evaluation) -> f64| -> Interval {
                Interval::of(&of(&runs, label).map(|r| r.mean(f)).collect::<Vec<_>>())
            };
            Group {
                label: label.clone(),
                runs: of(&runs, label).count(),
                trap_rate: values(|e| e.trap_rate),
                blue_return_deceptive: values(|e| e.blue_return_deceptive),
                blue_return_honest: values(|e| e.blue_return_honest),
                red_return: values(|e| e.red_return),
                mean_soo: values(|e| e.mean_soo(usize::MAX)),
            }
        })
        .collect();
    let mut distances = Vec::new();
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            let values: Vec<f64> = of(&runs, a)
                .filter_map(|ra| {
                    of(&runs, b)
                        .find(|rb| rb.seed == ra.seed)
                        .map(|rb| behavioural_distance(&ra.profile(), &rb.profile()))
                })
                .collect();
            if !values.is_empty() {
                distances.push(Distance {
                    a: a.clone(),
                    b: b.clone(),
                    seeds: values.len(),
                    distance: Interval::of(&values),
                });
            }
        }
    }
    let merged: Vec<(bool, Evaluation)> = runs
        .iter()
        .filter(|r| r.label == "deceptive" || r.label == "honest")
        .map(|r| (r.label == "deceptive", r.all_soo()))
        .collect();
    let agents: Vec<Labelled> = merged
        .iter()
        .map(|(deceptive, eval)| Labelled {
            deceptive: *deceptive,
            eval,
        })
        .collect();
    let classifier = TABLE6_RANGES
        .iter()
        .filter_map(|&(from, to)| classify(&agents, from, to))
        .collect();
    RlReport {
        episodes,
        eval_seeds,
        runs,
        groups,
        distances,
        classifier,
    }
}

/// The report as Markdown.
pub fn markdown(report: &RlReport) -> String {
    let mut md = String::from("# soo rl eval\n\n");
    md += &format!(
        "{} runs, each measured on {} noise-free episodes × {} evaluation seed(s). Intervals: \
         95% (normal approximation) over runs.\n\n",
        report.runs.len(),
        report.episodes,
        report.eval_seeds
    );
    md += "## By label\n\n| label | runs | trap rate | blue return (deceptive reward) | blue return (honest reward) | red return | mean SOO |\n|---|---|---|---|---|---|---|\n";
    for g in &report.groups {
        md += &format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            g.label,
            g.runs,
            g.trap_rate,
            g.blue_return_deceptive,
            g.blue_return_honest,
            g.red_return,
            g.mean_soo
        );
    }
    md += "\n## Behavioural distance (mean |profile difference| over the φ × θ grid, matched seeds)\n\n| a | b | seeds | distance |\n|---|---|---|---|\n";
    for d in &report.distances {
        md += &format!("| {} | {} | {} | {} |\n", d.a, d.b, d.seeds, d.distance);
    }
    md += "\n## Table 6: deceptive vs honest by mean SOO (leave-one-out nearest class mean)\n\n";
    if report.classifier.is_empty() {
        md += "Not computed: it needs at least two deceptive and two honest runs and 500 \
               evaluation episodes per run.\n";
    } else {
        md += "| episodes per seed | decisions | accuracy | sd over episode counts |\n|---|---|---|---|\n";
        for c in &report.classifier {
            md += &format!(
                "| {}–{} | {} | {:.1}% | {:.1}% |\n",
                c.from,
                c.to,
                c.decisions,
                100.0 * c.accuracy,
                100.0 * c.std
            );
        }
    }
    md += "\n## Runs\n\n| run | label | seed | trained episodes | trap rate | blue return (deceptive) | blue return (honest) | mean SOO |\n|---|---|---|---|---|---|---|---|\n";
    for r in &report.runs {
        md += &format!(
            "| {} | {} | {} | {} | {:.3} | {:.2} | {:.2} | {:.5} |\n",
            r.name,
            r.label,
            r.seed,
            r.trained_episodes,
            r.mean(|e| e.trap_rate),
            r.mean(|e| e.blue_return_deceptive),
            r.mean(|e| e.blue_return_honest),
            r.mean(|e| e.mean_soo(usize::MAX)),
        );
    }
    md
}
