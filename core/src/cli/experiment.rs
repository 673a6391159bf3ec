//! `soo run experiment.toml`: the whole experiment in one command (the format, the grid and the
//! comparison are `soo_core::experiment`'s). This module reads the file, trains and evaluates
//! every run with `soo train`'s and `soo eval`'s code, and writes and prints the table.
//!
//! A step whose report already exists is skipped, so re-running an interrupted experiment
//! continues it.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde_json::Value;
use soo_core::base::files::{io_error, read_text, write_atomic};
use soo_core::device::BackendKind;
use soo_core::eval::{AnswerSuffix, PromptStyle};
use soo_core::experiment::plan::{
    COMPARISON_JSON, COMPARISON_MD, REPORT_FILE, TRAIN_CONFIG_FILE, adapter_dir, adapter_weights,
    base_dir, eval_dir,
};
use soo_core::experiment::{Comparison, Experiment};
use soo_core::model::Positions;
use soo_core::train::TrainConfig;
use soo_core::{Error, Result};

use super::eval::{self, Classifier, Evaluation};
use super::loading::ModelSource;
use super::train;

/// Options of `soo run`.
#[derive(Args)]
pub struct RunArgs {
    /// The experiment file (TOML; its format: `soo_core::experiment` and docs/experiments.md).
    experiment: PathBuf,
    /// Output folder (overrides the file's `out`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also run the exposure and sham controls.
    #[arg(long)]
    controls: bool,
    /// `flex` (CPU) or `wgpu` (GPU).
    #[arg(long)]
    backend: Option<BackendKind>,
}

/// Runs `soo run`.
pub fn run(args: RunArgs) -> Result<()> {
    let file = args.experiment.display().to_string();
    let experiment = Experiment::parse(&file, &read_text(&args.experiment)?)?;
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
        .or(experiment.backend)
        .unwrap_or(BackendKind::Flex);
    let conditions = experiment.conditions(args.controls)?;
    // The [train] table minus `preset` is the config every training run shares: checked
    // before anything is written or evaluated.
    let training = experiment.training();
    let train_text = training.config_toml();
    let train_source = format!("{file} [train]");
    let shared = TrainConfig::build(
        training.preset.as_deref(),
        Some((&train_source, &train_text)),
        &[],
    )?;
    for cell in experiment.cells(&conditions) {
        cell.config(&shared).validate(&train_source)?;
    }
    std::fs::create_dir_all(&out).map_err(|e| io_error(&out, e))?;
    write_atomic(&out.join(TRAIN_CONFIG_FILE), train_text.as_bytes())?;

    eprintln!("== base model");
    evaluate(&experiment, backend, None, &base_dir(&out))?;
    for cell in experiment.cells(&conditions) {
        let dir = cell.dir(&out);
        eprintln!("== {}, seed {}", cell.condition, cell.seed);
        if !adapter_weights(&dir).exists() {
            let _ = std::fs::remove_dir_all(dir.join("checkpoints"));
            let source = model(&experiment, backend, None);
            train::train(&source, &cell.config(&shared), None, &dir)?;
        }
        evaluate(
            &experiment,
            backend,
            Some(&adapter_dir(&dir)),
            &eval_dir(&dir),
        )?;
    }

    let base_report = read_report(&base_dir(&out).join(REPORT_FILE))?;
    // Each condition's reports, one per seed.
    let runs = conditions
        .iter()
        .map(|condition| {
            experiment
                .cells(std::slice::from_ref(condition))
                .iter()
                .map(|cell| read_report(&eval_dir(&cell.dir(&out)).join(REPORT_FILE)))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    let comparison = Comparison::of(&base_report, &conditions, &experiment.seeds, &runs);
    write_atomic(
        &out.join(COMPARISON_JSON),
        comparison.json.to_string().as_bytes(),
    )?;
    write_atomic(&out.join(COMPARISON_MD), comparison.markdown.as_bytes())?;
    println!("{}", comparison.markdown);
    Ok(())
}

/// The experiment's model on `backend`, with its adapters and then `adapter` when given.
fn model(experiment: &Experiment, backend: BackendKind, adapter: Option<&Path>) -> ModelSource {
    ModelSource {
        model: experiment.model.clone(),
        backend,
        adapters: experiment
            .adapters
            .iter()
            .cloned()
            .chain(adapter.map(Path::to_path_buf))
            .collect(),
    }
}

/// `soo eval` with the experiment's `[eval]` options on its model (with `adapter` on top when
/// given) into `out`, unless `out/report.json` exists.
fn evaluate(
    experiment: &Experiment,
    backend: BackendKind,
    adapter: Option<&Path>,
    out: &Path,
) -> Result<()> {
    if out.join(REPORT_FILE).exists() {
        eprintln!("{} exists: skipped", out.join(REPORT_FILE).display());
        return Ok(());
    }
    let e = &experiment.eval;
    let classifier =
        Classifier::from_str(&e.classifier, false).map_err(|problem| Error::Format {
            file: "the experiment's [eval] table".into(),
            problem: format!("classifier: {problem}"),
        })?;
    eval::evaluate(&Evaluation {
        model: model(experiment, backend, adapter),
        suites: (!e.suites.trim().is_empty()).then(|| e.suites.clone()),
        scenarios: e.scenarios.as_ref().map(PathBuf::from),
        n: e.n,
        seed: e.seed,
        classifier,
        style: PromptStyle {
            suffix: AnswerSuffix::from_name(e.suffix.as_deref().unwrap_or(eval::DEFAULT_SUFFIX)),
            honesty_prompt: e.honesty_prompt,
        },
        batch_size: e.batch_size.unwrap_or(eval::DEFAULT_BATCH_SIZE),
        latent: e.latent.then_some(Positions::Last),
        capability: e.capability,
        out: out.to_path_buf(),
    })
}

fn read_report(path: &Path) -> Result<Value> {
    serde_json::from_str(&read_text(path)?).map_err(|e| Error::Format {
        file: path.display().to_string(),
        problem: e.to_string(),
    })
}
