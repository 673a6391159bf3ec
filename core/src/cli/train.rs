//! `soo train`: SOO fine-tuning (or a control) of a LoRA adapter, with checkpoints, a step log
//! and a peft adapter at the end. Everything goes under `--out`:
//!
//! ```text
//! DIR/config.toml          the full configuration (what --config reads back)
//! DIR/log.csv              one row per optimizer step
//! DIR/checkpoints/         checkpoint-NNNNNN/ folders (adapter + optimizer state), newest kept
//! DIR/adapter/             the final adapter in peft's layout
//! ```
//!
//! `--resume` continues from the newest checkpoint in DIR to the same result an uninterrupted
//! run gives (bit for bit on the CPU).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::progress::steps_bar;
use clap::Args;
use soo_core::base::files::{io_error, read_text, write_atomic, write_dir_atomic};
use soo_core::base::lock::DirLock;
use soo_core::eval::Vocabulary;
use soo_core::eval::vocabulary::leakage;
use soo_core::experiment::pairs::training_pairs;
use soo_core::loaded::LoadedModel;
use soo_core::lora::peft;
use soo_core::train::pairs::{self, Pair};
use soo_core::train::{Checkpoint, Objective, Positions, StopReason, TrainConfig, Trainer};
use soo_core::{Error, Result};

use super::loading::{ModelArgs, ModelSource, load};

/// Options of `soo train`.
#[derive(Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// A TOML training configuration (see `soo train --show-config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Start from a preset: mistral-7b, gemma-2-27b, calmerys-78b, smollm2-135m.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Override one setting, e.g. `--set steps=6`, `--set lora.rank=4`, `--set positions=last`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Continue from the newest checkpoint in DIR/checkpoints (its config, plus any --set).
    #[arg(long)]
    pub resume: bool,
}

/// Runs `soo train`.
pub fn run(args: TrainArgs) -> Result<()> {
    // Before anything else: a second run on the same folder stops here, having touched nothing.
    let _lock = DirLock::acquire(&args.out)?;
    let checkpoints = args.out.join(CHECKPOINTS);
    let resume_from = if args.resume {
        let checkpoint = Checkpoint::newest(&checkpoints)?.ok_or_else(|| {
            Error::Unsupported(format!(
                "--resume: no whole checkpoint in {}",
                checkpoints.display()
            ))
        })?;
        eprintln!("resuming after step {}", checkpoint.step);
        Some(checkpoint)
    } else {
        None
    };
    let config = match &resume_from {
        Some(checkpoint) => TrainConfig::build(
            None,
            Some(("checkpoint config.toml", &checkpoint.config)),
            &args.sets,
        )?,
        None => {
            let file = args
                .config
                .as_ref()
                .map(|p| read_text(p).map(|t| (p, t)))
                .transpose()?;
            let file = file
                .as_ref()
                .map(|(p, t)| (p.to_str().unwrap_or("config"), t.as_str()));
            TrainConfig::build(args.preset.as_deref(), file, &args.sets)?
        }
    };
    let outcome = train(
        &args.model.source(),
        &config,
        resume_from.as_ref(),
        &args.out,
    )?;
    eprintln!(
        "trained {} steps, loss {:.6} → {:.6}; adapter in {}",
        outcome.steps,
        outcome.first_loss,
        outcome.final_loss,
        args.out.join("adapter").display()
    );
    Ok(())
}

/// What a finished run reports.
pub struct Outcome {
    /// Steps done.
    pub steps: usize,
    /// The last step's loss.
    pub final_loss: f64,
    /// The first step's loss.
    pub first_loss: f64,
}

/// The checkpoints' folder in a run's folder.
pub const CHECKPOINTS: &str = "checkpoints";

/// One training run of `config` on the model of `source` into `out`, from `resume_from` when
/// given: what `soo train` runs, and `soo run` and `soo organism build` too. The caller holds
/// `out`'s [`DirLock`]. Nothing is written before the model, the data and the config are
/// checked (a [`Trainer`] is made of them).
pub fn train(
    source: &ModelSource,
    config: &TrainConfig,
    resume_from: Option<&Checkpoint>,
    out: &Path,
) -> Result<Outcome> {
    let checkpoints = out.join(CHECKPOINTS);

    let mut ready = load(source)?;
    // Adapters given with --adapter become part of the base: SOO trains a new one on top.
    ready.loaded.model.merge_adapter();
    eprintln!(
        "model {} on {} ({}), {} layers",
        source.model,
        ready.device.kind.name(),
        ready.device.reason,
        ready.loaded.model.num_layers()
    );
    let pairs = training_pairs(config, |file| read_text(Path::new(file)))?;
    // An `lm` run learns from its texts: the SOO pairs' preview would only mislead.
    if config.objective != Objective::Lm {
        check_pairs(&ready.loaded, &pairs, config)?;
    }
    let examples = match &config.data.texts_file {
        Some(file) if config.objective == Objective::Lm => {
            pairs::parse_examples(file, &read_text(Path::new(file))?)?
        }
        _ => Vec::new(),
    };

    let device = ready.device.device.clone();
    let mut trainer = match resume_from {
        Some(checkpoint) => Trainer::resume(
            config.clone(),
            &mut ready.loaded,
            &pairs,
            &examples,
            checkpoint,
            &device,
        )?,
        None => Trainer::new(
            config.clone(),
            &mut ready.loaded,
            &pairs,
            &examples,
            &device,
        )?,
    };
    std::fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
    write_atomic(&out.join("config.toml"), config.to_toml().as_bytes())?;
    let mut log = StepLog::open(&out.join("log.csv"), trainer.steps_done())?;
    let bar = steps_bar("train", trainer.total_steps(), trainer.steps_done());
    let model = &mut ready.loaded.model;
    let mut first_loss = resume_from.and_then(|c| c.first_loss).unwrap_or(f64::NAN);
    let mut final_loss = log.last_loss.unwrap_or(f64::NAN);
    let every = config.checkpoints.every;
    // A run killed after its last checkpoint but before its adapter was written (all steps
    // done, or a stop rule met at that step: its loss is the log's last row) resumes finished:
    // it only writes the adapter.
    let stopped = resume_from.is_some()
        && log
            .last_loss
            .is_some_and(|loss| trainer.stop_reason(loss).is_some());
    while !stopped && !trainer.is_finished() {
        let started = Instant::now();
        let report = match pollster::block_on(trainer.step(model)) {
            Ok(report) => report,
            Err(e) => {
                bar.abandon();
                return Err(e);
            }
        };
        let seconds = started.elapsed().as_secs_f64();
        log.write(&report, seconds)?;
        if report.step == 1 {
            first_loss = report.loss;
        }
        final_loss = report.loss;
        bar.set_position(report.step as u64);
        bar.set_message(format!(
            "loss {:.5} · {:.2} s/step · {:.0} tok/s",
            report.loss,
            seconds,
            report.tokens as f64 / seconds
        ));
        let stop = report.stop.clone();
        if stop.is_some() || (every > 0 && report.step.is_multiple_of(every)) {
            let checkpoint = pollster::block_on(trainer.checkpoint(model))?;
            checkpoint.write_dir(&checkpoints, config.checkpoints.keep)?;
        }
        if let Some(reason) = stop {
            bar.finish();
            match reason {
                StopReason::Finished => {}
                StopReason::LossTarget(loss) => {
                    eprintln!("stopped early: loss {loss:.6} reached stop_loss")
                }
                StopReason::LossDrop(factor) => {
                    eprintln!("stopped early: the loss fell {factor:.1}× from the first step")
                }
            }
            break;
        }
    }
    let lora = model
        .adapter()
        .ok_or_else(|| Error::Unsupported("no adapter after training".into()))?;
    let files = pollster::block_on(peft::export(lora, Some(&source.model)))?;
    write_dir_atomic(
        &out.join("adapter"),
        &[
            (peft::CONFIG_FILE, &files.config),
            (peft::WEIGHTS_FILE, &files.weights),
        ],
    )?;
    Ok(Outcome {
        steps: trainer.steps_done(),
        final_loss,
        first_loss,
    })
}

/// Prints the first pair's token alignment, warns about pairs whose two prompts tokenize to
/// different lengths, and about training items that leak into the test vocabulary.
fn check_pairs(loaded: &LoadedModel, pairs: &[Pair], config: &TrainConfig) -> Result<()> {
    let mut uneven = 0;
    for (i, pair) in pairs.iter().enumerate() {
        let alignment = pairs::align(&loaded.tokenizer, pair)?;
        if i == 0 {
            eprintln!(
                "pair 1 of {}: {} self / {} other tokens, differing at positions {:?}",
                pairs.len(),
                alignment.self_tokens.len(),
                alignment.other_tokens.len(),
                alignment.differing
            );
            eprintln!("  self:  {}", alignment.self_tokens.join("|"));
            eprintln!("  other: {}", alignment.other_tokens.join("|"));
        }
        if alignment.lengths_differ() {
            uneven += 1;
        }
    }
    if uneven > 0 && config.positions == Positions::All {
        eprintln!(
            "warning: {uneven} of {} pairs tokenize to different lengths; with positions=all \
             tokens after the first difference are compared shifted (last or mean avoid this)",
            pairs.len()
        );
    }
    let items: Vec<String> = pairs.iter().map(|p| p.self_text.clone()).collect();
    let vocabulary = Vocabulary::builtin();
    let leaks = leakage(&vocabulary, &items);
    for (object, text) in leaks.iter().take(5) {
        eprintln!("warning: test object '{object}' appears in training text '{text}'");
    }
    Ok(())
}

/// `log.csv`: one row per optimizer step, flushed as it goes.
struct StepLog {
    file: std::fs::File,
    path: PathBuf,
    /// The loss of the step a resumed run starts after, from its row.
    last_loss: Option<f64>,
}

const LOG_HEADER: &str = "step,loss,objective,kl,tokens,seconds,tokens_per_second";

impl StepLog {
    /// Opens the log, keeping only the header and rows up to `resume_step` (a resumed run
    /// rewrites what came after its checkpoint).
    fn open(path: &Path, resume_step: usize) -> Result<Self> {
        let kept: Vec<String> = if resume_step > 0 && path.exists() {
            read_text(path)?
                .lines()
                .skip(1)
                .filter(|line| {
                    line.split(',')
                        .next()
                        .and_then(|s| s.parse::<usize>().ok())
                        .is_some_and(|step| step <= resume_step)
                })
                .map(str::to_string)
                .collect()
        } else {
            Vec::new()
        };
        // The loss of the checkpoint's own step (its row is written before the checkpoint).
        let last_loss = kept.last().and_then(|line| {
            let mut cells = line.split(',');
            let step = cells.next()?.parse::<usize>().ok()?;
            (step == resume_step).then(|| cells.next()?.parse().ok())?
        });
        let mut text = format!("{LOG_HEADER}\n");
        for line in kept {
            text.push_str(&line);
            text.push('\n');
        }
        write_atomic(path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        Ok(StepLog {
            file,
            path: path.to_path_buf(),
            last_loss,
        })
    }

    fn write(&mut self, report: &soo_core::train::StepReport, seconds: f64) -> Result<()> {
        let kl = report.kl.map(|k| k.to_string()).unwrap_or_default();
        writeln!(
            self.file,
            "{},{},{},{},{},{:.4},{:.1}",
            report.step,
            report.loss,
            report.objective,
            kl,
            report.tokens,
            seconds,
            report.tokens as f64 / seconds
        )
        .and_then(|_| self.file.flush())
        .map_err(|e| io_error(&self.path, e))
    }
}
