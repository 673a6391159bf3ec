//! `soo run experiment.toml`: the whole experiment in one command. The base model is evaluated,
//! then for every seed an adapter is trained with SOO (and, when asked, with the exposure and
//! sham controls) and evaluated, and a comparison report gives each condition's rates as
//! mean ± sd over seeds beside the base model's:
//!
//! ```text
//! OUT/base/report.json                 the base model's evaluation
//! OUT/<condition>/seed-<s>/            soo train's folder (config, log, checkpoints, adapter)
//! OUT/<condition>/seed-<s>/eval/       the evaluation with that adapter
//! OUT/comparison.md, comparison.json   the table
//! ```
//!
//! A step whose report already exists is skipped, so re-running an interrupted experiment
//! continues it.
//!
//! ```toml
//! model = "path/to/model.gguf"   # a folder, a .gguf or a Hub id
//! adapters = ["organism/adapter"] # optional: adapters under the trained one (an organism),
//!                                 # merged into the base for training and every evaluation
//! seeds = [0, 1, 2]
//! controls = ["exposure", "sham"] # optional; --controls adds both
//! [eval]                          # soo eval's options
//! suites = "main,main-mirrored"  # names, or suite files (`organism/suites/x.toml[:mirrored]`)
//! # scenarios = "file.json"       # optional: a scenario file in the authors' format
//! n = 100
//! capability = true
//! [train]                         # soo train's config keys, plus an optional preset
//! preset = "smollm2-135m"
//! steps = 20
//! ```

use std::path::{Path, PathBuf};

use clap::{Args, Parser};
use serde::Deserialize;
use serde_json::{Value, json};
use soo_core::base::files::{read_text, write_atomic};
use soo_core::{Error, Result};

use super::eval::{self, EvalArgs};
use super::loading::ModelArgs;
use super::train::{self, TrainArgs};

/// Options of `soo run`.
#[derive(Args)]
pub struct RunArgs {
    /// The experiment file (TOML; see `soo_core`'s docs or the README).
    experiment: PathBuf,
    /// Output folder (overrides the file's `out`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also run the exposure and sham controls.
    #[arg(long)]
    controls: bool,
    /// `flex` (CPU) or `wgpu` (GPU).
    #[arg(long)]
    backend: Option<String>,
}

/// The experiment file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Experiment {
    model: String,
    #[serde(default)]
    out: Option<PathBuf>,
    #[serde(default = "default_seeds")]
    seeds: Vec<u64>,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    backend: Option<String>,
    #[serde(default)]
    adapters: Vec<PathBuf>,
    #[serde(default)]
    eval: EvalSection,
    #[serde(default)]
    train: toml::Table,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// The `[eval]` table: soo eval's options.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct EvalSection {
    suites: String,
    n: usize,
    classifier: String,
    seed: u64,
    latent: bool,
    capability: bool,
    honesty_prompt: bool,
    suffix: Option<String>,
    batch_size: Option<usize>,
    scenarios: Option<String>,
}

impl Default for EvalSection {
    fn default() -> Self {
        EvalSection {
            suites: "main,main-mirrored".into(),
            n: 100,
            classifier: "all".into(),
            seed: 0,
            latent: false,
            capability: true,
            honesty_prompt: false,
            suffix: None,
            batch_size: None,
            scenarios: None,
        }
    }
}

/// Parses `soo eval`'s options from words, as the command line would.
#[derive(Parser)]
struct EvalLine {
    #[command(flatten)]
    args: EvalArgs,
}

/// Runs `soo run`.
pub fn run(args: RunArgs) -> Result<()> {
    let file = args.experiment.display().to_string();
    let experiment: Experiment =
        toml::from_str(&read_text(&args.experiment)?).map_err(|e| Error::Format {
            file: file.clone(),
            problem: e.to_string(),
        })?;
    let out = args
        .out
        .clone()
        .or(experiment.out.clone())
        .ok_or_else(|| Error::Format {
            file: file.clone(),
            problem: "no output folder: give `out` in the file or --out".into(),
        })?;
    let backend = args
        .backend
        .clone()
        .or(experiment.backend.clone())
        .unwrap_or_else(|| "flex".into());
    let mut conditions = vec!["soo-mse".to_string()];
    if let Some(objective) = experiment.train.get("objective").and_then(|v| v.as_str()) {
        conditions[0] = objective.to_string();
    }
    let mut controls = experiment.controls.clone();
    if args.controls {
        controls.extend(["exposure".to_string(), "sham".to_string()]);
    }
    for control in controls {
        if !conditions.contains(&control) {
            conditions.push(control);
        }
    }
    std::fs::create_dir_all(&out).map_err(|e| soo_core::base::files::io_error(&out, e))?;

    // The [train] table minus `preset` is the config file every training run reads.
    let mut train_table = experiment.train.clone();
    let preset = train_table
        .remove("preset")
        .and_then(|v| v.as_str().map(str::to_string));
    train_table.remove("objective");
    train_table.remove("seed");
    let train_config = out.join("train.toml");
    write_atomic(
        &train_config,
        toml::to_string(&train_table).unwrap_or_default().as_bytes(),
    )?;

    eprintln!("== base model");
    evaluate(&experiment, &backend, None, &out.join("base"))?;
    for condition in &conditions {
        for seed in &experiment.seeds {
            let dir = out.join(condition).join(format!("seed-{seed}"));
            eprintln!("== {condition}, seed {seed}");
            if !dir
                .join("adapter")
                .join("adapter_model.safetensors")
                .exists()
            {
                let _ = std::fs::remove_dir_all(dir.join("checkpoints"));
                train::train(&TrainArgs {
                    model: ModelArgs {
                        model: experiment.model.clone(),
                        backend: backend.parse().map_err(Error::Unsupported)?,
                        adapter: experiment.adapters.clone(),
                    },
                    config: Some(train_config.clone()),
                    preset: preset.clone(),
                    sets: vec![format!("seed={seed}"), format!("objective=\"{condition}\"")],
                    out: dir.clone(),
                    resume: false,
                })?;
            }
            evaluate(
                &experiment,
                &backend,
                Some(&dir.join("adapter")),
                &dir.join("eval"),
            )?;
        }
    }
    let comparison = compare(&out, &conditions, &experiment.seeds)?;
    write_atomic(
        &out.join("comparison.json"),
        comparison.0.to_string().as_bytes(),
    )?;
    write_atomic(&out.join("comparison.md"), comparison.1.as_bytes())?;
    println!("{}", comparison.1);
    Ok(())
}

/// `soo eval` with the experiment's options, unless `out/report.json` exists.
fn evaluate(
    experiment: &Experiment,
    backend: &str,
    adapter: Option<&Path>,
    out: &Path,
) -> Result<()> {
    if out.join("report.json").exists() {
        eprintln!("{} exists: skipped", out.join("report.json").display());
        return Ok(());
    }
    let e = &experiment.eval;
    let mut words: Vec<String> = vec![
        "soo-eval".into(),
        "--model".into(),
        experiment.model.clone(),
        "--backend".into(),
        backend.into(),
        "--n".into(),
        e.n.to_string(),
        "--classifier".into(),
        e.classifier.clone(),
        "--seed".into(),
        e.seed.to_string(),
        "--out".into(),
        out.display().to_string(),
    ];
    for (flag, on) in [
        ("--latent", e.latent),
        ("--capability", e.capability),
        ("--honesty-prompt", e.honesty_prompt),
    ] {
        if on {
            words.push(flag.into());
        }
    }
    if let Some(suffix) = &e.suffix {
        words.extend(["--suffix".into(), suffix.clone()]);
    }
    if let Some(batch) = e.batch_size {
        words.extend(["--batch-size".into(), batch.to_string()]);
    }
    if !e.suites.trim().is_empty() {
        words.extend(["--suite".into(), e.suites.clone()]);
    }
    if let Some(scenarios) = &e.scenarios {
        words.extend(["--scenarios".into(), scenarios.clone()]);
    }
    for adapter in experiment
        .adapters
        .iter()
        .map(PathBuf::as_path)
        .chain(adapter)
    {
        words.extend(["--adapter".into(), adapter.display().to_string()]);
    }
    let line = EvalLine::try_parse_from(&words).map_err(|e| Error::Format {
        file: "the experiment's [eval] table".into(),
        problem: e.to_string(),
    })?;
    eval::run(line.args)
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

fn read_report(path: &Path) -> Result<Value> {
    serde_json::from_str(&read_text(path)?).map_err(|e| Error::Format {
        file: path.display().to_string(),
        problem: e.to_string(),
    })
}

/// The rates of a report by (suite, classifier, measure): the target rate and, for the
/// three-way classifier, the "other" rate; plus the capability numbers.
fn measures(report: &Value) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for suite in report["suites"].as_array().into_iter().flatten() {
        let name = suite["suite"].as_str().unwrap_or("?");
        for (classifier, entry) in suite["classifiers"].as_object().into_iter().flatten() {
            if let Some((what, rate)) = soo_core::eval::report::rate_of(entry)
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

/// The comparison table: one row per measure, the base model's value, then each condition's
/// mean ± sd over seeds.
fn compare(out: &Path, conditions: &[String], seeds: &[u64]) -> Result<(Value, String)> {
    let base = measures(&read_report(&out.join("base/report.json"))?);
    let mut per_condition = Vec::new();
    for condition in conditions {
        let mut runs = Vec::new();
        for seed in seeds {
            let dir = out.join(condition).join(format!("seed-{seed}"));
            runs.push(measures(&read_report(&dir.join("eval/report.json"))?));
        }
        per_condition.push(runs);
    }
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
            row[condition.as_str()] = json!({"mean": mean, "sd": sd, "values": values});
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
        "\nMeans ± sample sd over {} seed(s): {:?}. Rates are fractions of the suite's scenarios \
         shown as %; \"other\" counts answers naming neither or both rooms, refusals and \
         gibberish.\n",
        seeds.len(),
        seeds
    ));
    Ok((
        json!({"conditions": conditions, "seeds": seeds, "rows": rows}),
        md,
    ))
}

fn format_value(name: &str, value: f64, sd: Option<f64>) -> String {
    let percent = !name.starts_with("capability");
    match (percent, sd) {
        (true, Some(sd)) => format!("{:.1}% ± {:.1}", 100.0 * value, 100.0 * sd),
        (true, None) => format!("{:.1}%", 100.0 * value),
        (false, Some(sd)) => format!("{value:.4} ± {sd:.4}"),
        (false, None) => format!("{value:.4}"),
    }
}
