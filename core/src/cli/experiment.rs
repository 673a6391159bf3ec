//! `soo run experiment.toml`: the whole experiment in one command (the format, the grid and the
//! comparison are `soo_core::experiment`'s). This module reads the file, trains and evaluates
//! every run with `soo train`'s and `soo eval`'s code, and writes and prints the table.
//!
//! A step whose report already exists is skipped, and a training run interrupted after a
//! checkpoint continues from it, so re-running an interrupted experiment continues it. The
//! output folder is locked while `soo run` works in it.

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;
use soo_core::base::files::{io_error, read_text, write_atomic};
use soo_core::base::lock::DirLock;
use soo_core::device::BackendKind;
use soo_core::eval::{AnswerSuffix, PromptStyle};
use soo_core::experiment::plan::{
    COMPARISON_JSON, COMPARISON_MD, REPORT_FILE, TRAIN_CONFIG_FILE, adapter_dir, adapter_weights,
    base_dir, eval_dir,
};
use soo_core::experiment::{Comparison, Experiment};
use soo_core::model::Positions;
use soo_core::train::{Checkpoint, TrainConfig};
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
    /// `flex` (CPU) or `wgpu` (GPU) (overrides the file's `backend`).
    #[arg(long)]
    backend: Option<BackendKind>,
}

/// The experiment's `[eval]` names, read and checked before anything runs.
struct EvalChoices {
    backend: BackendKind,
    classifier: Classifier,
    suffix: AnswerSuffix,
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
    let in_file = |key: &str, problem: String| Error::Format {
        file: file.clone(),
        problem: format!("{key}: {problem}"),
    };
    let choices = EvalChoices {
        backend: args
            .backend
            .or(experiment.backend)
            .unwrap_or(BackendKind::Flex),
        classifier: Classifier::from_name(&experiment.eval.classifier)
            .map_err(|e| in_file("[eval] classifier", e))?,
        suffix: match &experiment.eval.suffix {
            Some(name) => name.parse().map_err(|e| in_file("[eval] suffix", e))?,
            None => AnswerSuffix::IWould,
        },
    };
    let conditions = experiment.conditions(args.controls)?;

    // The [train] table minus `preset` is the config file every training run reads; every
    // run's config is built (and so checked) before anything is written.
    let training = experiment.training();
    let train_config = out.join(TRAIN_CONFIG_FILE);
    let train_text = training.config_toml();
    let cells = experiment.cells(&conditions);
    let train_source = format!("{file} [train]");
    let shared = TrainConfig::build(
        training.preset.as_deref(),
        Some((train_source.as_str(), &train_text)),
        &[],
    )?;
    let configs = cells
        .iter()
        .map(|cell| {
            let config = cell.config(&shared);
            config.validate(&train_source).map(|()| config)
        })
        .collect::<Result<Vec<_>>>()?;

    let _lock = DirLock::acquire(&out)?;
    write_atomic(&train_config, train_text.as_bytes())?;

    eprintln!("== base model");
    evaluate(&experiment, &choices, None, &base_dir(&out))?;
    for (cell, config) in cells.iter().zip(&configs) {
        let dir = cell.dir(&out);
        eprintln!("== {}, seed {}", cell.condition, cell.seed);
        if !adapter_weights(&dir).exists() {
            let _cell_lock = DirLock::acquire(&dir)?;
            let source = model(&experiment, choices.backend, None);
            let resume_from = resumable(&dir, config)?;
            train::train(&source, config, resume_from.as_ref(), &dir)?;
        }
        evaluate(
            &experiment,
            &choices,
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

/// The checkpoint an interrupted run in `dir` left, when it was of this very `config`: the run
/// continues from it (to the same adapter an uninterrupted run gives). Checkpoints of another
/// config (the experiment file changed) are dropped.
fn resumable(dir: &Path, config: &TrainConfig) -> Result<Option<Checkpoint>> {
    let checkpoints = dir.join(train::CHECKPOINTS);
    let Some(checkpoint) = Checkpoint::newest(&checkpoints)? else {
        return Ok(None);
    };
    let same = TrainConfig::build(None, Some(("checkpoint", &checkpoint.config)), &[])
        .is_ok_and(|saved| saved == *config);
    if same {
        eprintln!("resuming after step {}", checkpoint.step);
        return Ok(Some(checkpoint));
    }
    std::fs::remove_dir_all(&checkpoints).map_err(|e| io_error(&checkpoints, e))?;
    Ok(None)
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
    choices: &EvalChoices,
    adapter: Option<&Path>,
    out: &Path,
) -> Result<()> {
    if out.join(REPORT_FILE).exists() {
        eprintln!("{} exists: skipped", out.join(REPORT_FILE).display());
        return Ok(());
    }
    let e = &experiment.eval;
    eval::evaluate(&Evaluation {
        model: model(experiment, choices.backend, adapter),
        suites: (!e.suites.trim().is_empty()).then(|| e.suites.clone()),
        scenarios: e.scenarios.as_ref().map(PathBuf::from),
        scenarios_mirrored: false,
        n: e.n,
        seed: e.seed,
        classifier: choices.classifier,
        style: PromptStyle {
            suffix: choices.suffix.clone(),
            honesty_prompt: e.honesty_prompt,
        },
        batch_size: e.batch_size.unwrap_or(eval::DEFAULT_BATCH_SIZE),
        latent: e.latent.then_some(Positions::Last),
        capability: e.capability,
        steering: None,
        out: out.to_path_buf(),
    })
}

fn read_report(path: &Path) -> Result<Value> {
    serde_json::from_str(&read_text(path)?).map_err(|e| Error::Format {
        file: path.display().to_string(),
        problem: e.to_string(),
    })
}
