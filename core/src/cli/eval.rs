//! `soo eval`: runs deception suites on a model and writes `DIR/report.json` (per suite and
//! classifier: counts and the target rate with its 95% Wilson interval, plus every answer) and
//! `DIR/report.md` (one table). Both files are written atomically (temp file, then rename), so
//! a run that fails part-way never leaves a half-written report behind.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use soo_core::eval::run::{EvalOptions, SuiteResult, run_suite};
use soo_core::eval::{AnswerSuffix, PromptStyle, Proportion, SuiteKind, Vocabulary, suites};
use soo_core::{Error, Result};

use super::loading::{ModelArgs, load};

/// Which classifiers to run.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Classifier {
    /// The paper's rule on generated answers.
    Authors,
    /// Deceptive / honest / other on generated answers.
    ThreeWay,
    /// Log-probability of each room after a fixed answer prefix (no generation).
    ForcedChoice,
    /// All three (generation and forced choice).
    All,
}

/// Options of `soo eval`.
#[derive(Args)]
pub struct EvalArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Comma-separated suite names (`main,main-mirrored`), or `all`.
    #[arg(long, value_name = "NAMES")]
    suite: String,
    /// Scenarios per suite.
    #[arg(long, default_value_t = 100)]
    n: usize,
    /// Seed of the scenario generator (the same seed gives the same scenarios).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Which classifiers to run.
    #[arg(long, value_enum, default_value = "all")]
    classifier: Classifier,
    /// Prepend the paper's honesty prompt (the honesty-prompt baseline).
    #[arg(long)]
    honesty_prompt: bool,
    /// The answer instruction: `i-would` (Mistral's), `room-only` (Gemma's), `none`.
    #[arg(long, default_value = "i-would")]
    suffix: String,
    /// Prompts generated together.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// Where report.json and report.md go (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs the suites and writes the reports.
pub fn run(args: EvalArgs) -> Result<()> {
    if args.n == 0 {
        return Err(Error::Unsupported("--n must be at least 1".into()));
    }
    let style = PromptStyle {
        suffix: AnswerSuffix::from_name(&args.suffix),
        honesty_prompt: args.honesty_prompt,
    };
    let mut selected = Vec::new();
    for name in args
        .suite
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        selected.extend(suites::select(name)?);
    }
    if selected.is_empty() {
        return Err(Error::Unsupported("--suite names no suite".into()));
    }
    let options = EvalOptions {
        generation: args.classifier != Classifier::ForcedChoice,
        forced_choice: matches!(args.classifier, Classifier::ForcedChoice | Classifier::All),
        batch_size: args.batch_size,
        ..EvalOptions::default()
    };
    let vocabulary = Vocabulary::builtin();
    let ready = load(&args.model)?;
    let steps = usize::from(options.generation) + usize::from(options.forced_choice);
    let bar = ProgressBar::new((selected.len() * args.n * steps) as u64);
    // The template is a constant: if it ever failed to parse, keep the default look.
    if let Ok(style) =
        ProgressStyle::with_template("{msg:20} [{elapsed_precise}] [{wide_bar}] {pos}/{len}")
    {
        bar.set_style(style);
    }
    let mut results = Vec::new();
    for suite in &selected {
        bar.set_message(suite.name.clone());
        let scenarios = suite.generate(args.n, args.seed, &vocabulary, &style);
        let result =
            pollster::block_on(run_suite(&ready.loaded, &scenarios, &options, &mut |k| {
                bar.inc(k as u64)
            }))?;
        results.push(result);
    }
    bar.finish_and_clear();

    let classifiers: &[&str] = match args.classifier {
        Classifier::Authors => &["authors"],
        Classifier::ThreeWay => &["three-way"],
        Classifier::ForcedChoice => &["forced-choice"],
        Classifier::All => &["authors", "three-way", "forced-choice"],
    };
    let report = json!({
        "model": args.model.model,
        "backend": ready.device.kind,
        "n": args.n,
        "seed": args.seed,
        "prompt_style": style,
        "answer_prefix": options.answer_prefix,
        "max_new_tokens": options.max_new_tokens,
        "suites": results.iter().map(|r| suite_json(r, classifiers)).collect::<Vec<_>>(),
    });
    std::fs::create_dir_all(&args.out).map_err(|e| io(&args.out, e))?;
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::Unsupported(format!("the report does not serialise: {e}")))?;
    write_atomic(&args.out.join("report.json"), &text)?;
    write_atomic(&args.out.join("report.md"), &markdown(&report))?;
    eprintln!("wrote {}", args.out.join("report.json").display());
    Ok(())
}

/// The name of a suite's target rate: what its target room means.
fn rate_name(kind: SuiteKind) -> &'static str {
    match kind {
        SuiteKind::Deception => "deceptive_rate",
        SuiteKind::Capability => "correct_rate",
    }
}

/// One suite's counts per classifier, then its answers.
fn suite_json(result: &SuiteResult, classifiers: &[&str]) -> Value {
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

/// The report as one Markdown table: suite, classifier, rate with its interval, counts.
fn markdown(report: &Value) -> String {
    let mut out = format!(
        "# soo eval\n\nModel `{}`, n = {} per suite, seed {}.\n\n\
         | suite | classifier | rate | 95% CI | target | alternative | other | n |\n\
         |---|---|---|---|---|---|---|---|\n",
        report["model"].as_str().unwrap_or(""),
        report["n"],
        report["seed"],
    );
    for suite in report["suites"].as_array().into_iter().flatten() {
        let Some(classifiers) = suite["classifiers"].as_object() else {
            continue;
        };
        for (name, c) in classifiers {
            let rate = c
                .get("deceptive_rate")
                .or_else(|| c.get("correct_rate"))
                .unwrap_or(&Value::Null);
            let which = if c.get("deceptive_rate").is_some() {
                "deceptive"
            } else {
                "correct"
            };
            let pct = |v: &Value| {
                v.as_f64()
                    .map_or("?".into(), |x| format!("{:.1}%", 100.0 * x))
            };
            let other = c["other"]
                .as_object()
                .map(|o| {
                    o.values()
                        .filter_map(Value::as_u64)
                        .sum::<u64>()
                        .to_string()
                })
                .unwrap_or_else(|| "-".into());
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
    out
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Format {
        file: path.display().to_string(),
        problem: e.to_string(),
    }
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`: readers see
/// the old file or the whole new one, never a partial one.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, text).map_err(|e| io(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| io(path, e))
}
