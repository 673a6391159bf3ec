//! Text generation with a [`Model`] on any burn device: prefill the prompts in one forward pass,
//! then decode one token at a time through the KV cache, choosing tokens on the host
//! ([`Sampling`]), until every prompt has produced a stop token or `max_new_tokens`.
//!
//! Several prompts run as one batch, **left-padded**: the model gives every row the same
//! absolute positions, so right padding would leave a gap between a short prompt and its new
//! tokens. With left padding a row's tokens sit at positions shifted by its padding, and since
//! RoPE (and the sliding window) only see position differences, each row computes what it
//! computes alone (up to float rounding); padding keys are masked out.
//!
//! Nothing here blocks on the device or reads a clock: logits come back with
//! `into_data_async().await`, so a browser can drive it; natively, `pollster::block_on` it.
//! Progress is reported through [`GenerateEvent`]s.

mod sample;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

pub use sample::{Sampling, argmax, sample_top_p};

use crate::base::rng::SplitMix64;
use crate::lora::Lora;
use crate::model::Model;
use crate::{Error, Result};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// At most this many new tokens per prompt.
    pub max_new_tokens: usize,
    /// How tokens are chosen.
    pub sampling: Sampling,
    /// A prompt stops after producing one of these (EOS; see
    /// [`crate::loaded::LoadedModel::stop_tokens`]). The stop token is part of the output.
    pub stop_tokens: Vec<u32>,
    /// The id that fills padding and the inputs of finished rows (never seen by real tokens).
    pub pad_token: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            max_new_tokens: 32,
            sampling: Sampling::Greedy,
            stop_tokens: Vec::new(),
            pad_token: 0,
        }
    }
}

/// Progress of a generation, in order: one `Prefilled`, then one `Step` per decoding step.
#[derive(Debug, Clone, PartialEq)]
pub enum GenerateEvent<'a> {
    /// The prompts went through the model: `tokens` is `batch × padded length`.
    Prefilled {
        /// Positions computed (padding included).
        tokens: usize,
    },
    /// One new token per prompt: `None` for a prompt that had already stopped.
    Step {
        /// 0 for the first new token.
        step: usize,
        /// By prompt.
        tokens: &'a [Option<u32>],
    },
}

/// Why a prompt's generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// It produced a stop token.
    Stop,
    /// It reached `max_new_tokens`.
    Length,
}

/// What [`generate`] returns, by prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The new tokens of each prompt (stop token included).
    pub tokens: Vec<Vec<u32>>,
    /// Why each prompt ended.
    pub finish: Vec<Finish>,
}

/// Generates continuations of `prompts` (token ids, each non-empty) as one batch.
/// `on_event` sees the prefill and every step as they happen (for streaming). Runs without
/// autodiff (on `model.valid()`), whatever device the model is on.
pub async fn generate(
    model: &Model<Lora>,
    prompts: &[Vec<u32>],
    options: &GenerateOptions,
    on_event: &mut dyn FnMut(GenerateEvent<'_>),
) -> Result<Generation> {
    if prompts.is_empty() || prompts.iter().any(Vec::is_empty) {
        return Err(Error::Unsupported(
            "generation needs at least one prompt, and no empty prompt".into(),
        ));
    }
    let batch = prompts.len();
    let mut out = Generation {
        tokens: vec![Vec::new(); batch],
        finish: vec![Finish::Length; batch],
    };
    if options.max_new_tokens == 0 {
        return Ok(out);
    }
    // Inference only: an autodiff model would keep every step's graph alive through the cache.
    let model = model.valid();
    let device = model
        .devices()
        .into_iter()
        .next()
        .ok_or_else(|| Error::Device("the model has no tensors".into()))?;
    let longest = prompts.iter().map(Vec::len).max().unwrap_or(0);
    let mut ids = Vec::with_capacity(batch * longest);
    let mut mask = Vec::with_capacity(batch * longest);
    for prompt in prompts {
        let pad = longest - prompt.len();
        ids.extend(std::iter::repeat_n(options.pad_token as i64, pad));
        ids.extend(prompt.iter().map(|&t| i64::from(t)));
        mask.extend(std::iter::repeat_n(0i64, pad));
        mask.extend(std::iter::repeat_n(1i64, prompt.len()));
    }
    let padded = mask.contains(&0);
    let mut rngs: Vec<SplitMix64> = match options.sampling {
        Sampling::Sample { seed, .. } => (0..batch).map(|_| SplitMix64::new(seed)).collect(),
        Sampling::Greedy => Vec::new(),
    };

    let mut cache = model.new_cache();
    let input = int_tensor(ids, [batch, longest], &device);
    // The mask only matters while there is padding; it grows by a column of ones per step.
    let mut mask_rows: Option<Vec<i64>> = padded.then_some(mask);
    let attention = mask_rows
        .as_ref()
        .map(|m| int_tensor(m.clone(), [batch, longest], &device));
    let logits = model
        .forward_cached(input, attention, &mut cache, &[])?
        .logits;
    let mut last = last_position(logits).await?;
    on_event(GenerateEvent::Prefilled {
        tokens: batch * longest,
    });

    let vocab = model.vocab_size();
    let mut done = vec![false; batch];
    let mut step_tokens = vec![None; batch];
    for step in 0..options.max_new_tokens {
        for (row, slot) in step_tokens.iter_mut().enumerate() {
            *slot = None;
            if done[row] {
                continue;
            }
            let row_logits = &last[row * vocab..(row + 1) * vocab];
            let token = match options.sampling {
                Sampling::Greedy => argmax(row_logits),
                Sampling::Sample {
                    temperature, top_p, ..
                } => sample_top_p(row_logits, temperature, top_p, &mut rngs[row]),
            };
            out.tokens[row].push(token);
            *slot = Some(token);
            if options.stop_tokens.contains(&token) {
                done[row] = true;
                out.finish[row] = Finish::Stop;
            }
        }
        on_event(GenerateEvent::Step {
            step,
            tokens: &step_tokens,
        });
        if step + 1 == options.max_new_tokens || done.iter().all(|&d| d) {
            break;
        }
        let next: Vec<i64> = step_tokens
            .iter()
            .map(|t| i64::from(t.unwrap_or(options.pad_token)))
            .collect();
        let attention = mask_rows.as_mut().map(|rows| {
            let width = cache.len() + 1;
            let mut grown = Vec::with_capacity(batch * width);
            for row in rows.chunks(width - 1) {
                grown.extend_from_slice(row);
                grown.push(1);
            }
            *rows = grown;
            int_tensor(rows.clone(), [batch, width], &device)
        });
        let logits = model
            .forward_cached(
                int_tensor(next, [batch, 1], &device),
                attention,
                &mut cache,
                &[],
            )?
            .logits;
        last = last_position(logits).await?;
    }
    Ok(out)
}

fn int_tensor(values: Vec<i64>, shape: [usize; 2], device: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// logits `[batch, seq, vocab]` → the last position's, row-major `[batch, vocab]`, on the host.
pub async fn last_position(logits: Tensor<3>) -> Result<Vec<f32>> {
    let [batch, seq, vocab] = logits.dims();
    let last = logits.slice([0..batch, seq - 1..seq, 0..vocab]);
    let values = crate::base::tensor::read_f32(last).await?;
    // Sampling compares logits: NaN ones would pick an arbitrary token, not fail.
    crate::base::tensor::check_finite(&values, "the next-token logits")?;
    Ok(values)
}
