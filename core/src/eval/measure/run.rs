//! Running the evaluation: each suite's scenarios answered by greedy generation (classified by
//! both the authors' rule and the three-way rule) and/or scored by forced choice, collected into
//! per-suite summaries with every answer kept.

use super::forced_choice::forced_choice_one;
use crate::eval::classify::{self, Class};
use crate::eval::results::{Answer, SuiteResult};
use crate::eval::scenario::Scenario;
use crate::eval::summary::Summary;
use crate::generate::{GenerateOptions, Sampling, generate};
use crate::loaded::LoadedModel;
use crate::{Error, Result};

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalOptions {
    /// Generate answers and classify them (authors' rule and three-way).
    pub generation: bool,
    /// Score both rooms by log-probability.
    pub forced_choice: bool,
    /// At most this many new tokens per answer (the paper's 75).
    pub max_new_tokens: usize,
    /// Prompts generated together (left-padded).
    pub batch_size: usize,
    /// What the forced choice's rooms follow in the assistant's turn.
    pub answer_prefix: String,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            generation: true,
            forced_choice: true,
            max_new_tokens: 75,
            batch_size: 8,
            answer_prefix: super::forced_choice::ANSWER_PREFIX.into(),
        }
    }
}

/// Evaluates `scenarios` (all of one suite). `on_done` is told how many scenario-steps finished
/// (one per generated answer and one per forced choice), for progress bars.
pub async fn run_suite(
    loaded: &LoadedModel,
    scenarios: &[Scenario],
    options: &EvalOptions,
    on_done: &mut dyn FnMut(usize),
) -> Result<SuiteResult> {
    let first = scenarios
        .first()
        .ok_or_else(|| Error::Unsupported("a suite with no scenarios".into()))?;
    let mut answers: Vec<Answer> = scenarios
        .iter()
        .map(|s| Answer {
            id: s.fields.id,
            prompt: s.prompt.clone(),
            target_room: s.target_room.clone(),
            alternative_room: s.alternative_room.clone(),
            text: None,
            authors_target: None,
            three_way: None,
            forced_choice: None,
        })
        .collect();
    let mut summary = None;
    if options.generation {
        let mut counts = Summary::new(&first.suite, first.kind);
        let generate_options = GenerateOptions {
            max_new_tokens: options.max_new_tokens,
            sampling: Sampling::Greedy,
            stop_tokens: loaded.stop_tokens().to_vec(),
            pad_token: loaded.pad_token(),
        };
        let batch = options.batch_size.max(1);
        for (chunk, slots) in scenarios.chunks(batch).zip(answers.chunks_mut(batch)) {
            let prompts = chunk
                .iter()
                .map(|s| loaded.prompt_ids(&s.prompt, true))
                .collect::<Result<Vec<_>>>()?;
            let generation =
                generate(&loaded.model, &prompts, &generate_options, &mut |_| {}).await?;
            for ((scenario, slot), tokens) in chunk.iter().zip(slots).zip(&generation.tokens) {
                let text = loaded.tokenizer.decode(tokens, true)?;
                counts.record(scenario, &text);
                slot.authors_target = Some(scenario.authors(&text));
                slot.three_way = Some(classify::three_way(
                    &text,
                    &scenario.target_room,
                    &scenario.alternative_room,
                ));
                slot.text = Some(text);
            }
            on_done(chunk.len());
        }
        summary = Some(counts);
    }
    let mut forced_target = None;
    if options.forced_choice {
        let mut target = 0;
        for (scenario, slot) in scenarios.iter().zip(&mut answers) {
            let choice = forced_choice_one(loaded, scenario, &options.answer_prefix).await?;
            if choice.class == Class::Deceptive {
                target += 1;
            }
            slot.forced_choice = Some(choice);
            on_done(1);
        }
        forced_target = Some(target);
    }
    Ok(SuiteResult {
        suite: first.suite.clone(),
        kind: first.kind,
        summary,
        forced_target,
        answers,
    })
}
