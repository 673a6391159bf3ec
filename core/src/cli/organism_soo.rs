//! `soo organism soo DIR`: SOO against the toy-world organism over a small grid (hook layer at
//! about 40/60/80% depth, positions `all`/`last`, one epoch vs stop at a 10× loss drop), each
//! setting beside the exposure and sham controls trained for the same number of steps, over
//! several seeds; every adapter is measured on held-out room pairs. Writes `grid.json` and
//! `grid.md` and prints the table.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use soo_core::burn::tensor::Device;
use soo_core::device::BackendKind;
use soo_core::files::{io_error, write_atomic};
use soo_core::loaded::LoadedModel;
use soo_core::organism::toy_world::soo::{BATCH, SooSettings, training_data};
use soo_core::organism::toy_world::world::Split;
use soo_core::organism::toy_world::{ConditionResult, evaluate};
use soo_core::train::{Objective, Positions, Trainer};
use soo_core::{Error, Result};

use super::organism_toy::{device, folder_files, is_toy_world};

/// Options of `soo organism soo`.
#[derive(Args)]
pub struct SooGridArgs {
    /// The toy-world organism's folder.
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
    if !is_toy_world(&args.organism) {
        return Err(Error::Unsupported(format!(
            "{}: not a toy-world organism; for chat organisms run `soo run` with `adapters = [\"<organism>/adapter\"]`",
            args.organism.display()
        )));
    }
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
        let base = pollster::block_on(evaluate(&load()?, args.n, 1, Split::HeldOut, &device))?;
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
    let table = table(&runs);
    print!("{table}");
    write_atomic(&out.join("grid.md"), table.as_bytes())?;
    let json = serde_json::to_string_pretty(&runs).expect("runs serialise");
    write_atomic(&out.join("grid.json"), json.as_bytes())
}

/// Trains one adapter on a fresh copy of the organism and measures it.
#[allow(clippy::too_many_arguments)]
fn train_and_measure(
    args: &SooGridArgs,
    setting: &str,
    objective: Objective,
    layer: usize,
    positions: Positions,
    stop: &str,
    seed: u64,
    steps: Option<usize>,
    load: &dyn Fn() -> Result<soo_core::model::Model>,
    device: &Device,
) -> Result<Run> {
    let one_epoch = args.pairs.div_ceil(BATCH);
    let (steps, stop_drop) = match (steps, stop) {
        (Some(steps), _) => (steps, None),
        (None, "one-epoch") => (one_epoch, None),
        (None, _) => (one_epoch * MAX_EPOCHS, Some(10.0)),
    };
    let config = SooSettings {
        objective,
        layer,
        positions,
        lr: args.lr,
        steps,
        stop_drop,
        seed,
    }
    .train_config();
    let data = training_data(objective, args.pairs, seed)?;
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
    let results = pollster::block_on(evaluate(&model, args.n, 1, Split::HeldOut, device))?;
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

/// One row per (setting, objective), counts summed over seeds.
fn table(runs: &[Run]) -> String {
    let mut groups: Vec<((String, String), Vec<&Run>)> = Vec::new();
    for run in runs {
        let key = (run.objective.clone(), run.setting.clone());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(run),
            None => groups.push((key, vec![run])),
        }
    }
    let mut out = String::from(
        "| training | setting | seeds | steps | competitor: lie | competitor: truth | mirrored: lie | myself: truth | owner: truth | other (all) |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for ((objective, setting), group) in &groups {
        let sum = |condition: &str, f: &dyn Fn(&ConditionResult) -> usize| -> (usize, usize) {
            group
                .iter()
                .flat_map(|r| &r.results)
                .filter(|r| r.condition == condition)
                .fold((0, 0), |(a, n), r| (a + f(r), n + r.n))
        };
        let cell = |(a, n): (usize, usize)| {
            format!("{a}/{n} ({:.0}%)", 100.0 * a as f64 / n.max(1) as f64)
        };
        let other: (usize, usize) = group
            .iter()
            .flat_map(|r| &r.results)
            .fold((0, 0), |(a, n), r| (a + r.other, n + r.n));
        let steps: Vec<String> = group.iter().map(|r| r.steps.to_string()).collect();
        let _ = writeln!(
            out,
            "| {objective} | {setting} | {} | {} | {} | {} | {} | {} | {} | {} |",
            group.len(),
            steps.join(","),
            cell(sum("competitor", &|r| r.deceptive)),
            cell(sum("competitor", &|r| r.honest)),
            cell(sum("competitor-mirrored", &|r| r.deceptive)),
            cell(sum("myself", &|r| r.honest)),
            cell(sum("owner", &|r| r.honest)),
            cell(other),
        );
    }
    out
}
