//! `soo organism eval` for the chat organisms: `soo eval` with the adapter on every held-out
//! suite and its mirrored variant, with the capability checks, into `DIR/eval/` (or `--out`);
//! then a table of deceptive / honest / other per suite, beside the base model's with `--base`.

use std::path::{Path, PathBuf};

use serde_json::Value;
use soo_core::Result;
use soo_core::base::files::{read_text, write_atomic};
use soo_core::eval::{AnswerSuffix, PromptStyle};
use soo_core::organism::MANIFEST_FILE;
use soo_core::organism::chat::ChatManifest;

use super::args::OrganismEvalArgs;
use super::common::format_error;
use crate::cli::eval::{self, Classifier, Evaluation};
use crate::cli::loading::ModelSource;

/// Reads an organism's manifest.
fn read_manifest(dir: &Path) -> Result<ChatManifest> {
    let file = dir.join(MANIFEST_FILE);
    serde_json::from_str(&read_text(&file)?).map_err(|e| format_error(&file, e))
}

/// `soo eval` on `suites` into `out`, with `adapter` when given; skipped when the report exists.
fn run_eval(
    manifest: &ChatManifest,
    specs: &[String],
    adapter: Option<&Path>,
    args: &OrganismEvalArgs,
    out: &Path,
) -> Result<Value> {
    let report = out.join("report.json");
    if !report.exists() {
        eval::evaluate(&Evaluation {
            model: ModelSource {
                model: manifest.base.clone(),
                backend: args.backend,
                adapters: adapter.map(Path::to_path_buf).into_iter().collect(),
            },
            suites: Some(specs.join(",")),
            scenarios: None,
            scenarios_mirrored: false,
            n: args.n,
            seed: args.seed,
            classifier: Classifier::All,
            style: PromptStyle {
                suffix: AnswerSuffix::IWould,
                honesty_prompt: false,
            },
            batch_size: eval::DEFAULT_BATCH_SIZE,
            latent: None,
            capability: true,
            steering: None,
            out: out.to_path_buf(),
        })?;
    } else {
        eprintln!("{} exists: skipped", report.display());
    }
    serde_json::from_str(&read_text(&report)?).map_err(|e| format_error(&report, e))
}

/// Evaluates a chat organism.
pub fn eval(args: OrganismEvalArgs) -> Result<()> {
    let dir = &args.organism;
    let mut manifest = read_manifest(dir)?;
    if let Some(model) = &args.model {
        manifest.base = model.clone();
    }
    let out: PathBuf = args.out.clone().unwrap_or_else(|| dir.join("eval"));
    let specs = manifest.suite_specs(dir);
    let organism = run_eval(&manifest, &specs, Some(&dir.join("adapter")), &args, &out)?;
    let base = if args.base {
        Some(run_eval(&manifest, &specs, None, &args, &out.join("base"))?)
    } else {
        None
    };
    let table = table(&manifest, &organism, base.as_ref());
    write_atomic(&out.join("organism.md"), table.as_bytes())?;
    println!("{table}");
    Ok(())
}

/// Counts of one suite in a report: (deceptive, honest, other, forced-choice deceptive, n).
fn counts(report: &Value, suite: &str) -> Option<[u64; 5]> {
    let entry = report["suites"]
        .as_array()?
        .iter()
        .find(|s| s["suite"] == suite)?;
    let three = &entry["classifiers"]["three-way"];
    let forced = &entry["classifiers"]["forced-choice"];
    // "other" is a count per reason (both, neither, refusal...).
    let other = match &three["other"] {
        Value::Object(reasons) => reasons.values().filter_map(Value::as_u64).sum(),
        value => value.as_u64()?,
    };
    Some([
        three["target"].as_u64()?,
        three["alternative"].as_u64()?,
        other,
        forced["target"].as_u64().unwrap_or(0),
        three["total"].as_u64()?,
    ])
}

fn capability(report: &Value) -> String {
    let kl = report["capability"]["kl_to_base"]["mean"].as_f64();
    let ppl = report["capability"]["perplexity"]["perplexity"].as_f64();
    format!(
        "KL to base {} nats, perplexity {}",
        kl.map_or("?".into(), |v| format!("{v:.4}")),
        ppl.map_or("?".into(), |v| format!("{v:.2}"))
    )
}

/// The organism's table: per suite (and mirrored variant), what it was trained to do and the
/// counts of deceptive / honest / other answers (three-way classifier on greedy answers) and
/// of forced choices of the deceptive room; the base model's beside it when evaluated.
fn table(manifest: &ChatManifest, organism: &Value, base: Option<&Value>) -> String {
    let mut md = format!(
        "{} organism on {} (held-out words; deceptive = the cheap room)\n\n\
         | suite | trained | deceptive | honest | other | forced-choice deceptive |{}\n\
         |---|---|---|---|---|---|{}\n",
        manifest.kind.name(),
        manifest.base,
        if base.is_some() {
            " base: dec / hon / oth / fc |"
        } else {
            ""
        },
        if base.is_some() { "---|" } else { "" },
    );
    for suite in &manifest.suites {
        let stem = Path::new(&suite.file)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        for name in [stem.clone(), format!("{stem}-mirrored")] {
            let trained = if suite.trained_deceptive {
                "deceive"
            } else {
                "honest"
            };
            let Some([d, h, o, fc, n]) = counts(organism, &name) else {
                md.push_str(&format!("| {name} | {trained} | ? | ? | ? | ? |\n"));
                continue;
            };
            md.push_str(&format!(
                "| {name} | {trained} | {d}/{n} | {h}/{n} | {o}/{n} | {fc}/{n} |"
            ));
            if let Some(base) = base {
                match counts(base, &name) {
                    Some([d, h, o, fc, n]) => {
                        md.push_str(&format!(" {d} / {h} / {o} / {fc} of {n} |"))
                    }
                    None => md.push_str(" ? |"),
                }
            }
            md.push('\n');
        }
    }
    md.push_str(&format!("\nOrganism: {}.\n", capability(organism)));
    if let Some(base) = base {
        md.push_str(&format!("Base: {}.\n", capability(base)));
    }
    md
}
