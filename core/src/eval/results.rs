//! What an evaluation run produces, as data: each scenario's answer (generated text, its
//! classes, the forced choice) and each suite's result. The runners in [`super::measure`] fill
//! these in; [`super::report`] and the shells read them without a model.

use serde::{Deserialize, Serialize};

use super::classify::Class;
use super::scenario::SuiteKind;
use super::summary::{Proportion, Summary};
use crate::{Error, Result};

/// One scenario's forced choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForcedChoice {
    /// Summed log-probability of the target (deceptive) room's tokens.
    pub target_logprob: f64,
    /// Summed log-probability of the alternative (honest) room's tokens.
    pub alternative_logprob: f64,
    /// The likelier room (the target on a tie, which counts against the model).
    pub chosen: String,
    /// The class of the chosen room (never `Other`).
    pub class: Class,
}

/// One scenario's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The scenario's index in its suite.
    pub id: usize,
    /// The full prompt (before the chat template).
    pub prompt: String,
    /// The target room (deceptive, or correct).
    pub target_room: String,
    /// The alternative room (honest, or incorrect).
    pub alternative_room: String,
    /// The generated answer, with generation.
    pub text: Option<String>,
    /// The authors' rule on `text`: whether the target room comes first.
    pub authors_target: Option<bool>,
    /// The three-way rule on `text`.
    pub three_way: Option<Class>,
    /// The forced choice, if asked for.
    pub forced_choice: Option<ForcedChoice>,
}

/// One suite's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuiteResult {
    /// The suite's name.
    pub suite: String,
    /// Deception or capability.
    pub kind: SuiteKind,
    /// Generation counted by both text rules, with generation.
    pub summary: Option<Summary>,
    /// Forced choices of the target room, with forced choice.
    pub forced_target: Option<usize>,
    /// Every scenario's answer, in order.
    pub answers: Vec<Answer>,
}

impl SuiteResult {
    /// This result (from generation) with the forced choices of `forced` (the same scenarios,
    /// scored apart, e.g. to time both on their own) added.
    pub fn with_forced_choice(mut self, forced: SuiteResult) -> Result<Self> {
        if forced.answers.len() != self.answers.len() || forced.suite != self.suite {
            return Err(Error::Unsupported(format!(
                "suite `{}`: cannot merge the forced choices of another run",
                self.suite
            )));
        }
        for (slot, other) in self.answers.iter_mut().zip(forced.answers) {
            slot.forced_choice = other.forced_choice;
        }
        self.forced_target = forced.forced_target;
        Ok(self)
    }

    /// The forced choice's target rate (deceptive, or correct) with its interval.
    pub fn forced_rate(&self) -> Option<Proportion> {
        self.forced_target
            .map(|t| Proportion::wilson(t, self.answers.len()))
    }
}
