//! Training data as token ids: what the trainer runs on, made from text (pairs, neutral
//! sentences, prompt/completion examples) with a model's tokenizer and chat template, or given
//! as ids directly (a model without a tokenizer, a test).

use super::config::{Objective, TrainConfig};
use super::pairs::{Pair, TextExample, neutral_texts};
use crate::Result;
use crate::loaded::LoadedModel;

/// Training examples as token ids.
#[derive(Debug, Clone)]
pub enum Examples {
    /// (self ids, other ids) per pair: the SOO objectives.
    Pairs(Vec<(Vec<u32>, Vec<u32>)>),
    /// Texts for the next-token objectives (exposure, sham, lm), each with the position its
    /// scored part starts at (0: the whole text).
    Texts(Vec<(Vec<u32>, usize)>),
}

impl Examples {
    pub(crate) fn len(&self) -> usize {
        match self {
            Examples::Pairs(p) => p.len(),
            Examples::Texts(t) => t.len(),
        }
    }
}

/// Everything a trainer runs on, tokenized: made from text by [`TokenData::encode`], or
/// directly from ids (a model without a tokenizer, a test).
#[derive(Debug, Clone)]
pub struct TokenData {
    /// What the objective trains on.
    pub examples: Examples,
    /// Neutral texts for the KL-to-base term (empty when `kl_weight` is 0).
    pub neutral: Vec<Vec<u32>>,
    /// Pairs in an epoch: decides the step count of every objective, so that the controls
    /// train for exactly as many steps as SOO on the same pairs.
    pub pairs: usize,
    /// The id that pads batches.
    pub pad: u32,
}

impl TokenData {
    /// Tokenizes `pairs` (or, for the controls, the texts the objective needs; for `lm`,
    /// `texts`) and the neutral texts for `config`.
    pub fn encode(
        config: &TrainConfig,
        loaded: &LoadedModel,
        pairs: &[Pair],
        texts: &[TextExample],
    ) -> Result<Self> {
        let chat = config.data.chat_template;
        let encode = |text: &str| prompt_ids(loaded, text, chat);
        let whole = |texts: &[String]| {
            texts
                .iter()
                .map(|t| Ok((encode(t)?, 0)))
                .collect::<Result<Vec<_>>>()
        };
        let examples = match config.objective {
            Objective::SooMse | Objective::LogitKl => Examples::Pairs(
                pairs
                    .iter()
                    .map(|p| Ok((encode(&p.self_text)?, encode(&p.other)?)))
                    .collect::<Result<_>>()?,
            ),
            Objective::Exposure => Examples::Texts(whole(
                &pairs
                    .iter()
                    .flat_map(|p| [p.self_text.clone(), p.other.clone()])
                    .collect::<Vec<_>>(),
            )?),
            Objective::Sham => Examples::Texts(whole(&neutral_texts())?),
            Objective::Lm => Examples::Texts(
                texts
                    .iter()
                    .map(|e| completion_ids(loaded, e, chat))
                    .collect::<Result<_>>()?,
            ),
        };
        // Only the KL-to-base term reads them.
        let neutral = if config.kl_weight > 0.0 {
            neutral_texts()
                .iter()
                .map(|t| encode(t))
                .collect::<Result<_>>()?
        } else {
            Vec::new()
        };
        Ok(TokenData {
            examples,
            neutral,
            pairs: match config.objective {
                Objective::Lm => texts.len(),
                _ => pairs.len(),
            },
            pad: loaded.pad_token(),
        })
    }
}

/// The token ids of a training text: bare (with the tokenizer's special tokens) as the paper
/// trains, or as one user message in the chat template.
fn prompt_ids(loaded: &LoadedModel, text: &str, chat: bool) -> Result<Vec<u32>> {
    if chat {
        loaded.prompt_ids(text, true)
    } else {
        loaded.tokenizer.encode(text, true)
    }
}

/// A text example's ids and where its scored part starts: the prompt (bare, or as a user message
/// ready for the reply), then the completion and, in chat form, the end-of-turn token.
fn completion_ids(
    loaded: &LoadedModel,
    example: &TextExample,
    chat: bool,
) -> Result<(Vec<u32>, usize)> {
    let mut ids = if example.prompt.is_empty() && !chat {
        loaded.tokenizer.encode("", true)?
    } else {
        prompt_ids(loaded, &example.prompt, chat)?
    };
    let start = ids.len();
    ids.extend(loaded.tokenizer.encode(&example.completion, false)?);
    if chat && let Some(&end) = loaded.stop_tokens().first() {
        ids.push(end);
    }
    Ok((ids, start))
}
