//! What an experiment runs and where it goes: the conditions, the grid of (condition, seed)
//! runs, the `soo train` settings of each, and the output folders.

use std::path::{Path, PathBuf};

use super::file::Experiment;
use crate::lora::peft;
use crate::train::{Objective, TrainConfig};
use crate::{Error, Result};

/// The controls `--controls` adds.
pub const CONTROLS: [Objective; 2] = [Objective::Exposure, Objective::Sham];
/// The objective trained when `[train]` names none.
pub const DEFAULT_OBJECTIVE: Objective = Objective::SooMse;
/// The file each evaluation writes.
pub const REPORT_FILE: &str = "report.json";
/// The comparison table as JSON.
pub const COMPARISON_JSON: &str = "comparison.json";
/// The comparison table as Markdown.
pub const COMPARISON_MD: &str = "comparison.md";
/// The config file every training run reads, in the output folder.
pub const TRAIN_CONFIG_FILE: &str = "train.toml";

/// The `[train]` table split for `soo train`: the preset, and the config every run reads.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingPlan {
    /// The preset the runs start from.
    pub preset: Option<String>,
    /// The `[train]` table less `preset`, `objective` and `seed`, which each run sets.
    pub config: toml::Table,
}

impl TrainingPlan {
    /// The config as the TOML file the runs read.
    pub fn config_toml(&self) -> String {
        toml::to_string(&self.config).unwrap_or_default()
    }
}

/// One training run of the grid: a condition (an objective) and a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// What the run optimises: SOO or a control.
    pub condition: Objective,
    /// The run's seed.
    pub seed: u64,
}

impl Cell {
    /// `soo train`'s folder of this run: `OUT/<condition>/seed-<s>`.
    pub fn dir(&self, out: &Path) -> PathBuf {
        out.join(self.condition.name())
            .join(format!("seed-{}", self.seed))
    }

    /// This run's settings: the shared `config` with the cell's objective and seed.
    pub fn config(&self, config: &TrainConfig) -> TrainConfig {
        TrainConfig {
            objective: self.condition,
            seed: self.seed,
            ..config.clone()
        }
    }
}

/// The base model's evaluation folder: `OUT/base`.
pub fn base_dir(out: &Path) -> PathBuf {
    out.join("base")
}

/// The adapter folder a run in `run_dir` leaves.
pub fn adapter_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("adapter")
}

/// The adapter weights a finished run in `run_dir` leaves: a run is done when they are there.
pub fn adapter_weights(run_dir: &Path) -> PathBuf {
    adapter_dir(run_dir).join(peft::WEIGHTS_FILE)
}

/// The evaluation folder of the run in `run_dir`.
pub fn eval_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("eval")
}

impl Experiment {
    /// The conditions trained, in order: SOO's objective (`soo-mse` unless `[train]` names
    /// another), then each control once (the file's, plus both with `with_controls`).
    pub fn conditions(&self, with_controls: bool) -> Result<Vec<Objective>> {
        let first = match self.train.get("objective") {
            None => DEFAULT_OBJECTIVE,
            Some(value) => value
                .as_str()
                .ok_or_else(|| "a name".to_string())
                .and_then(str::parse)
                .map_err(|problem| Error::Format {
                    file: "the experiment's [train] table".into(),
                    problem: format!("objective: {problem}"),
                })?,
        };
        let mut conditions = vec![first];
        let added = CONTROLS.iter().filter(|_| with_controls);
        for &control in self.controls.iter().chain(added) {
            if !conditions.contains(&control) {
                conditions.push(control);
            }
        }
        Ok(conditions)
    }

    /// The runs, condition by condition, each over every seed.
    pub fn cells(&self, conditions: &[Objective]) -> Vec<Cell> {
        conditions
            .iter()
            .flat_map(|&condition| self.seeds.iter().map(move |&seed| Cell { condition, seed }))
            .collect()
    }

    /// The `[train]` table as the preset and the config the runs share.
    pub fn training(&self) -> TrainingPlan {
        let mut config = self.train.clone();
        let preset = config
            .remove("preset")
            .and_then(|v| v.as_str().map(str::to_string));
        config.remove("objective");
        config.remove("seed");
        TrainingPlan { preset, config }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn experiment(text: &str) -> Experiment {
        Experiment::parse("x.toml", &format!("model = \"m\"\n{text}")).unwrap()
    }

    #[test]
    fn conditions_start_with_the_objective_and_list_each_control_once() {
        use Objective::*;
        let e = experiment("controls = [\"sham\"]\n[train]\nobjective = \"logit-kl\"\n");
        assert_eq!(e.conditions(false).unwrap(), [LogitKl, Sham]);
        assert_eq!(e.conditions(true).unwrap(), [LogitKl, Sham, Exposure]);
        let e = experiment("[train]\nobjective = \"soo-cos\"\n");
        let error = e.conditions(false).unwrap_err().to_string();
        assert!(
            error.contains("soo-cos") && error.contains("[train]"),
            "{error}"
        );
    }

    #[test]
    fn the_grid_is_condition_by_condition_over_seeds() {
        let e = experiment("seeds = [3, 4]\n");
        let cells = e.cells(&e.conditions(true).unwrap());
        assert_eq!(cells.len(), 6);
        assert_eq!(cells[1].condition, Objective::SooMse);
        assert_eq!(cells[1].seed, 4);
        assert_eq!(
            cells[2].dir(Path::new("out")),
            Path::new("out/exposure/seed-3")
        );
        let config = cells[2].config(&TrainConfig::default());
        assert_eq!((config.objective, config.seed), (Objective::Exposure, 3));
    }

    #[test]
    fn the_shared_config_leaves_out_what_each_run_sets() {
        let e = experiment("[train]\npreset = \"p\"\nseed = 1\nobjective = \"sham\"\nsteps = 2\n");
        let plan = e.training();
        assert_eq!(plan.preset.as_deref(), Some("p"));
        assert_eq!(plan.config_toml(), "steps = 2\n");
    }
}
