//! `soo rl`: the paper's reinforcement-learning experiment (docs/rl.md). Each run folder holds:
//!
//! ```text
//! DIR/config.json      the run's settings (RlConfig)
//! DIR/checkpoint.json  networks, optimizers and counters, rewritten (temp then rename) every
//!                      --checkpoint-every episodes; --resume continues from it
//! DIR/curve.json       per-100-episode means while training (returns, trap rate)
//! DIR/policy.json      the two actors at the end (what `soo rl eval` and the page read)
//! DIR/run.json         label, seed, episodes, time, environment steps/s and updates/s
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::progress::steps_bar;
use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use soo_core::base::error::format_error;
use soo_core::base::files::{read_text, write_atomic};
use soo_core::rl::measures::evaluate;
use soo_core::rl::report::{self, RunEval};
use soo_core::rl::{Policies, Reward, RlConfig, SooConfig, SooVariant, Trainer, TrainerState};
use soo_core::{Error, Result};

/// Options of `soo rl`.
#[derive(Args)]
pub struct RlArgs {
    #[command(subcommand)]
    command: RlCommand,
}

#[derive(Subcommand)]
enum RlCommand {
    /// Train a deceptive or honest baseline with MADDPG.
    Train(TrainArgs),
    /// SOO fine-tuning (or a control) from a trained baseline.
    Soo(SooArgs),
    /// Measure runs: trap rate, returns, mean SOO, behavioural profiles and distances, and the
    /// Table 6 classifier; writes report.json and report.md.
    Eval(EvalArgs),
}

/// Settings shared by training and fine-tuning.
#[derive(Args)]
struct RunOptions {
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Episodes between checkpoints.
    #[arg(long, default_value_t = 1000)]
    checkpoint_every: usize,
    /// Continue from DIR/checkpoint.json.
    #[arg(long)]
    resume: bool,
    /// Transitions per update (the method: 1024).
    #[arg(long)]
    batch_size: Option<usize>,
    /// Environment steps between update rounds (maddpg-pytorch: 100).
    #[arg(long)]
    steps_per_update: Option<usize>,
    /// Replay capacity (maddpg-pytorch: 1,000,000).
    #[arg(long)]
    buffer: Option<usize>,
    /// Adam learning rate of actors and critics (the method: 0.01).
    #[arg(long)]
    lr: Option<f32>,
}

#[derive(Args)]
struct TrainArgs {
    /// What blue is rewarded for.
    #[arg(long)]
    reward: Reward,
    /// Episodes (the method: 40,000).
    #[arg(long, default_value_t = 40_000)]
    episodes: usize,
    /// Seed of initialisation, worlds, noise and sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Width of the hidden layers (the method: 64).
    #[arg(long)]
    hidden: Option<usize>,
    #[command(flatten)]
    run: RunOptions,
}

#[derive(Args)]
struct SooArgs {
    /// The baseline's run folder (its checkpoint.json).
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
    /// Fine-tuning episodes (the method: 10,000).
    #[arg(long, default_value_t = 10_000)]
    episodes: usize,
    /// overlap (the method), capability-only or random-other (controls).
    #[arg(long, default_value_t = SooVariant::Overlap)]
    variant: SooVariant,
    #[command(flatten)]
    run: RunOptions,
}

#[derive(Args)]
struct EvalArgs {
    /// Run folders (each with policy.json and run.json).
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Noise-free episodes per run and evaluation seed.
    #[arg(long, default_value_t = 500)]
    episodes: usize,
    /// Evaluation seeds per run.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    /// Where report.json and report.md go.
    #[arg(long, value_name = "DIR", default_value = "rl-report")]
    out: PathBuf,
}

/// What run.json records.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunRecord {
    label: String,
    seed: u64,
    episodes: usize,
    seconds: f64,
    env_steps_per_s: f64,
    updates_per_s: f64,
    from: Option<String>,
}

/// Runs `soo rl`.
pub fn run(args: RlArgs) -> Result<()> {
    match args.command {
        RlCommand::Train(a) => train(a),
        RlCommand::Soo(a) => fine_tune(a),
        RlCommand::Eval(a) => eval(a),
    }
}

fn apply(options: &RunOptions, config: &mut RlConfig) {
    if let Some(v) = options.batch_size {
        config.maddpg.batch_size = v;
    }
    if let Some(v) = options.steps_per_update {
        config.maddpg.steps_per_update = v;
    }
    if let Some(v) = options.buffer {
        config.maddpg.buffer = v;
    }
    if let Some(v) = options.lr {
        config.maddpg.lr = v;
    }
}

fn train(args: TrainArgs) -> Result<()> {
    let dir = &args.run.out;
    let trainer = if args.run.resume {
        Trainer::resume(read_checkpoint(dir)?)?
    } else {
        let mut config = RlConfig {
            reward: args.reward,
            episodes: args.episodes,
            seed: args.seed,
            ..RlConfig::default()
        };
        if let Some(h) = args.hidden {
            config.maddpg.hidden = h;
        }
        apply(&args.run, &mut config);
        Trainer::new(config)?
    };
    let label = args.reward.to_string();
    drive(trainer, &args.run, &label, None)
}

fn fine_tune(args: SooArgs) -> Result<()> {
    let dir = &args.run.out;
    let trainer = if args.run.resume {
        Trainer::resume(read_checkpoint(dir)?)?
    } else {
        let from = read_checkpoint(&args.from)?;
        if from.soo.is_some() {
            return Err(format_error(
                &args.from.join("checkpoint.json").display().to_string(),
                "this is a fine-tuning run: start SOO from a baseline",
            ));
        }
        let mut config = from.config.clone();
        config.episodes = args.episodes;
        config.soo = Some(SooConfig {
            variant: args.variant,
            ..SooConfig::default()
        });
        apply(&args.run, &mut config);
        Trainer::fine_tune(from, config)?
    };
    // The label follows the run's own settings (a resumed run keeps its variant).
    let variant = trainer.state().soo.as_ref().map(|s| s.config.variant);
    let label = match variant.unwrap_or(args.variant) {
        SooVariant::Overlap => "soo".to_string(),
        other => format!("soo-{other}"),
    };
    let from = Some(args.from.display().to_string());
    drive(trainer, &args.run, &label, from)
}

fn read_checkpoint(dir: &Path) -> Result<TrainerState> {
    let path = dir.join("checkpoint.json");
    let text = read_text(&path)?;
    serde_json::from_str(&text).map_err(|e| {
        format_error(
            &path.display().to_string(),
            format!("not an rl checkpoint: {e}"),
        )
    })
}

fn json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|e| Error::Unsupported(format!("json: {e}")))
}

/// Trains to the end, with progress, checkpoints and the final files.
fn drive(
    mut trainer: Trainer,
    options: &RunOptions,
    label: &str,
    from: Option<String>,
) -> Result<()> {
    let dir = &options.out;
    std::fs::create_dir_all(dir).map_err(|e| soo_core::base::files::io_error(dir, e))?;
    let config = trainer.state().config.clone();
    write_atomic(&dir.join("config.json"), &json(&config)?)?;
    let curve_path = dir.join("curve.json");
    let mut curve: Vec<serde_json::Value> = if options.resume {
        read_text(&curve_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let start_episode = trainer.state().episode;
    let (start_steps, start_updates) = (trainer.state().steps, trainer.state().updates);
    let bar = steps_bar("rl", config.episodes, start_episode);
    let started = Instant::now();
    let mut window = [0.0f64; 3];
    let mut window_n = 0;
    while !trainer.is_finished() {
        let report = trainer.episode()?;
        window[0] += report.returns[0] as f64;
        window[1] += report.returns[1] as f64;
        window[2] += f64::from(u8::from(report.trapped));
        window_n += 1;
        bar.set_position(report.episode as u64);
        if report.episode % 100 == 0 || trainer.is_finished() {
            let n = window_n as f64;
            curve.push(serde_json::json!({
                "episode": report.episode,
                "blue_return": window[0] / n,
                "red_return": window[1] / n,
                "trap_rate": window[2] / n,
            }));
            bar.set_message(format!(
                "blue {:.1}  red {:.1}  trapped {:.2}",
                window[0] / n,
                window[1] / n,
                window[2] / n
            ));
            window = [0.0; 3];
            window_n = 0;
        }
        if report.episode % options.checkpoint_every.max(1) == 0 || trainer.is_finished() {
            write_atomic(&dir.join("checkpoint.json"), &json(trainer.state())?)?;
            write_atomic(&curve_path, &json(&curve)?)?;
        }
    }
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let state = trainer.state();
    let record = RunRecord {
        label: label.to_string(),
        seed: config.seed,
        episodes: config.episodes,
        seconds,
        env_steps_per_s: (state.steps - start_steps) as f64 / seconds,
        updates_per_s: 2.0 * (state.updates - start_updates) as f64 / seconds,
        from,
    };
    write_atomic(&dir.join("policy.json"), &json(&trainer.policies())?)?;
    write_atomic(&dir.join("run.json"), &json(&record)?)?;
    eprintln!(
        "{label} seed {}: {} episodes in {:.1} s ({:.0} env steps/s, {:.1} agent updates/s); {}",
        config.seed,
        config.episodes,
        seconds,
        record.env_steps_per_s,
        record.updates_per_s,
        dir.display()
    );
    Ok(())
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = read_text(path)?;
    serde_json::from_str(&text)
        .map_err(|e| format_error(&path.display().to_string(), e.to_string()))
}

fn eval(args: EvalArgs) -> Result<()> {
    if args.episodes == 0 || args.seeds == 0 {
        return Err(Error::Unsupported(
            "soo rl eval: --episodes and --seeds must be at least 1".into(),
        ));
    }
    let bar = steps_bar("rl", args.dirs.len() * args.seeds as usize, 0);
    let mut runs = Vec::new();
    for dir in &args.dirs {
        let policy_path = dir.join("policy.json");
        let policies: Policies = read_json(&policy_path)?;
        policies.validate(&policy_path.display().to_string())?;
        let record: RunRecord = read_json(&dir.join("run.json"))?;
        let config: RlConfig = read_json(&dir.join("config.json"))?;
        let mut evals = Vec::new();
        for s in 0..args.seeds {
            evals.push(evaluate(
                &policies,
                &config.world,
                args.episodes,
                1_000_003 + s,
            )?);
            bar.inc(1);
        }
        runs.push(RunEval {
            name: dir.display().to_string(),
            label: record.label,
            seed: record.seed,
            trained_episodes: record.episodes,
            evals,
        });
    }
    bar.finish_and_clear();
    let report = report::build(runs, args.episodes, args.seeds as usize);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| soo_core::base::files::io_error(&args.out, e))?;
    write_atomic(&args.out.join("report.json"), &json(&report)?)?;
    let md = report::markdown(&report);
    write_atomic(&args.out.join("report.md"), md.as_bytes())?;
    println!("{md}");
    Ok(())
}
