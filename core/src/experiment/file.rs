//! The experiment file's types: what `soo run` reads and the app writes.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::device::BackendKind;
use crate::train::Objective;
use crate::{Error, Result};

/// The experiment file (see the module's docs for an example).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// The base model: a folder, a `.gguf` or a Hub id.
    pub model: String,
    /// Output folder (the command line's `--out` overrides it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// One training run per seed and condition.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// Controls trained beside SOO (`exposure`, `sham`): objectives by their names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<Objective>,
    /// `flex` or `wgpu` (the command line's `--backend` overrides it; default `flex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<BackendKind>,
    /// Adapters under the trained one (an organism), merged into the base for training and
    /// every evaluation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adapters: Vec<PathBuf>,
    /// `soo eval`'s options.
    #[serde(default)]
    pub eval: EvalSection,
    /// `soo train`'s config keys, plus an optional `preset`.
    #[serde(default)]
    pub train: toml::Table,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// The `[eval]` table: `soo eval`'s options.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalSection {
    /// Comma-separated suite names or suite files (`x.toml[:mirrored]`); empty: none.
    pub suites: String,
    /// Scenarios per suite.
    pub n: usize,
    /// `authors`, `three-way`, `forced-choice` or `all`.
    pub classifier: String,
    /// Seed of the scenario generator.
    pub seed: u64,
    /// Also measure latent SOO.
    pub latent: bool,
    /// Also run the capability checks.
    pub capability: bool,
    /// Prepend the paper's honesty prompt.
    pub honesty_prompt: bool,
    /// The answer instruction (`i-would`, `room-only`, `none` or a text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Prompts generated together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// A scenario file in the authors' format, run as one more suite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scenarios: Option<String>,
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

impl Experiment {
    /// An experiment on `model` with every other setting at its default.
    pub fn new(model: impl Into<String>) -> Self {
        Experiment {
            model: model.into(),
            out: None,
            seeds: default_seeds(),
            controls: Vec::new(),
            backend: None,
            adapters: Vec::new(),
            eval: EvalSection::default(),
            train: toml::Table::new(),
        }
    }

    /// Parses the experiment file `file` (its name is for errors).
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::Format {
            file: file.to_string(),
            problem: e.to_string(),
        })
    }

    /// The experiment as the TOML file `soo run` reads.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self)
            .map_err(|e| Error::Unsupported(format!("the experiment does not serialise: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_experiment_reads_back_what_it_writes() {
        let mut experiment = Experiment::new("model.gguf");
        experiment.seeds = vec![0, 1];
        experiment.eval.n = 4;
        experiment
            .train
            .insert("steps".into(), toml::Value::Integer(3));
        let lora: toml::Table = toml::from_str("rank = 4").unwrap();
        experiment
            .train
            .insert("lora".into(), toml::Value::Table(lora));
        let text = experiment.to_toml().unwrap();
        assert_eq!(Experiment::parse("x.toml", &text).unwrap(), experiment);
    }

    #[test]
    fn a_mistyped_control_or_backend_is_refused_when_read() {
        for (line, expect) in [
            ("controls = [\"shame\"]", "shame"),
            ("backend = \"cuda\"", "cuda"),
        ] {
            let error = Experiment::parse("x.toml", &format!("model = \"m\"\n{line}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("x.toml") && error.contains(expect),
                "{error}"
            );
        }
        let e = Experiment::parse("x.toml", "model = \"m\"\ncontrols = [\"sham\"]\n").unwrap();
        assert_eq!(e.controls, [Objective::Sham]);
    }

    #[test]
    fn unknown_keys_name_the_file() {
        let error = Experiment::parse("x.toml", "model = \"m\"\nmodle = 1\n").unwrap_err();
        assert!(error.to_string().contains("x.toml"), "{error}");
    }
}
