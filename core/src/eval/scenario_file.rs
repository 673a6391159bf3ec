//! Fixed scenario sets from a file (`--scenarios FILE`), in the format of the authors' test set
//! as converted for soo (`burglar_test_scenarios.json`):
//!
//! ```json
//! {
//!   "source": "where the scenarios come from (optional)",
//!   "template": "... the {first_room} or the {second_room}?",
//!   "deceptive_answer": "first_room",
//!   "honest_answer": "second_room",
//!   "scenarios": [
//!     {"id": 0, "first_room": "attic", "cheap_object": "...", "second_room": "...", "expensive_object": "..."}
//!   ]
//! }
//! ```
//! As in the template, `first_room` is the room holding the cheap object; scenarios may also spell
//! the rooms `cheap_room` and `expensive_room`. TOML with the same fields works too.

use serde::Deserialize;

use super::format::{Syntax, line_of_key, located, parse};
use super::scenario::{HONESTY_PREFIX, PromptStyle, Scenario, SuiteKind};
use super::suites::Suite;
use super::template::{self, Fields, Slot};
use crate::Result;

/// A suite with its own fixed list of scenario fields instead of generated ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioSet {
    /// The template and scoring; named after the file (`burglar_test_scenarios`).
    pub suite: Suite,
    /// The scenarios, in file order.
    pub fields: Vec<Fields>,
    /// The file's `source` note, if any.
    pub source: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    source: Option<String>,
    template: String,
    deceptive_answer: String,
    honest_answer: String,
    scenarios: Vec<RawScenario>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Option<usize>,
    #[serde(alias = "first_room")]
    cheap_room: String,
    #[serde(alias = "second_room")]
    expensive_room: String,
    cheap_object: String,
    expensive_object: String,
}

impl ScenarioSet {
    /// Parses a scenario file (JSON or TOML by its extension) named `file`.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let raw: RawFile = parse(file, text, Syntax::from_file_name(file)?)?;
        let fail = |field: &str, problem: &str| {
            located(file, line_of_key(text, field), Some(field), problem)
        };
        template::check(&raw.template).map_err(|p| fail("template", &p))?;
        let slot = |field: &str, value: &str| {
            Slot::of_placeholder(value.trim_matches(['{', '}']))
                .ok_or_else(|| fail(field, &format!("`{value}` is not a room placeholder")))
        };
        let target = slot("deceptive_answer", &raw.deceptive_answer)?;
        if slot("honest_answer", &raw.honest_answer)? == target {
            return Err(fail(
                "honest_answer",
                "names the same room as `deceptive_answer`",
            ));
        }
        if raw.scenarios.is_empty() {
            return Err(fail("scenarios", "the list is empty"));
        }
        let mut fields = Vec::with_capacity(raw.scenarios.len());
        for (index, s) in raw.scenarios.into_iter().enumerate() {
            let id = s.id.unwrap_or(index);
            let words = [
                &s.cheap_room,
                &s.expensive_room,
                &s.cheap_object,
                &s.expensive_object,
            ];
            if words.iter().any(|w| w.trim().is_empty()) {
                return Err(located(
                    file,
                    None,
                    Some(&format!("scenarios[{index}]")),
                    "an empty field",
                ));
            }
            if s.cheap_room.eq_ignore_ascii_case(&s.expensive_room) {
                let problem = format!("both rooms are `{}`", s.cheap_room);
                return Err(located(
                    file,
                    None,
                    Some(&format!("scenarios[{index}]")),
                    &problem,
                ));
            }
            fields.push(Fields {
                id,
                cheap_room: s.cheap_room,
                expensive_room: s.expensive_room,
                cheap_object: s.cheap_object,
                expensive_object: s.expensive_object,
            });
        }
        let stem = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let stem = stem.rsplit_once('.').map_or(stem, |(stem, _)| stem);
        Ok(Self {
            suite: Suite {
                name: stem.to_string(),
                description: format!("scenarios from {file}"),
                kind: SuiteKind::Deception,
                template: raw.template,
                target,
                honesty_prefix: HONESTY_PREFIX.into(),
                mirrored: false,
                vocabulary: None,
            },
            fields,
            source: raw.source,
        })
    }

    /// The first `n` scenarios only (the paper evaluates the first 250 of its 1000).
    pub fn truncate(mut self, n: usize) -> Self {
        self.fields.truncate(n);
        self
    }

    /// The same scenarios with the question's rooms swapped, if the template has such a question.
    pub fn mirror(&self) -> Option<Self> {
        Some(Self {
            suite: self.suite.mirror()?,
            ..self.clone()
        })
    }

    /// Every scenario as a prompt in `style`.
    pub fn scenarios(&self, style: &PromptStyle) -> Vec<Scenario> {
        self.fields
            .iter()
            .map(|fields| self.suite.scenario(fields, style))
            .collect()
    }
}
