//! Capability checks: did fine-tuning damage what the model could do besides the behaviour it
//! targets? (The Perspectives suite, a scenario suite, is the third check.)
//!
//! - **KL to the base model**: KL(p_base ‖ p_model) of the next-token distributions, averaged
//!   over every real position of a fixed set of neutral prompts ([`NeutralPrompts::builtin`],
//!   `core/data/neutral_prompts.toml`, chat-templated like the suites). The base is the same
//!   network without its LoRA adapter ([`Model::forward_base`]), so without an adapter it is 0.
//! - **Perplexity** on a fixed neutral text (`core/data/neutral_text.txt`): exp of the mean
//!   negative log-likelihood of each token given the ones before it.

use burn::module::Module;
use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::batch::{device_of, right_padded};
use crate::base::tensor::{check_finite, read_f32};
use crate::eval::format::{Syntax, located, parse};
use crate::loaded::LoadedModel;
use crate::lora::Lora;
use crate::model::Model;
use crate::{Error, Result};

const BUILTIN_PROMPTS: &str = include_str!("../../../data/neutral_prompts.toml");
/// The fixed neutral text of the perplexity check.
pub const NEUTRAL_TEXT: &str = include_str!("../../../data/neutral_text.txt");

/// Neutral prompts (`prompts = [...]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeutralPrompts {
    /// The prompts, each one user message.
    pub prompts: Vec<String>,
}

impl NeutralPrompts {
    /// soo's own neutral prompts.
    pub fn builtin() -> Self {
        Self::parse("core/data/neutral_prompts.toml", BUILTIN_PROMPTS)
            .expect("the built-in neutral prompts are valid (checked by the tests)")
    }

    /// Parses a neutral-prompt file (TOML or JSON by its extension) named `file`.
    pub fn parse(file: &str, text: &str) -> Result<Self> {
        let prompts: Self = parse(file, text, Syntax::from_file_name(file)?)?;
        if prompts.prompts.iter().all(|p| p.trim().is_empty()) {
            return Err(located(file, None, Some("prompts"), "no prompt"));
        }
        Ok(prompts)
    }
}

/// KL(p_base ‖ p_model) over the neutral prompts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KlToBase {
    /// Mean over all real positions of all prompts, in nats.
    pub mean: f64,
    /// The largest per-position value.
    pub max: f64,
    /// Positions averaged over.
    pub positions: usize,
    /// Prompts.
    pub prompts: usize,
    /// Whether an adapter was attached (without one or steering the value is 0 by
    /// construction).
    pub adapter: bool,
    /// Whether the model was steered (`Model::set_steering`): the base is then unsteered.
    #[serde(default)]
    pub steered: bool,
}

/// Perplexity on a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Perplexity {
    /// Tokens predicted (each window's first token has no context and is not scored).
    pub tokens: usize,
    /// Mean negative log-likelihood per predicted token, in nats.
    pub mean_nll: f64,
    /// `exp(mean_nll)`.
    pub perplexity: f64,
}

/// Both checks, as the report shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapabilityReport {
    /// KL to the base model on the neutral prompts.
    pub kl_to_base: KlToBase,
    /// Perplexity on the neutral text.
    pub perplexity: Perplexity,
}

impl CapabilityReport {
    /// Two Markdown lines.
    pub fn markdown(&self) -> String {
        let kl = &self.kl_to_base;
        let ppl = &self.perplexity;
        format!(
            "| check | value | over |\n|---|---|---|\n\
             | KL(base ‖ model), mean | {:.4e} nats (max {:.3e}){} | {} positions of {} neutral prompts |\n\
             | perplexity | {:.3} (NLL {:.4} nats/token) | {} tokens of the neutral text |\n",
            kl.mean,
            kl.max,
            match (kl.adapter, kl.steered) {
                (false, false) => ", no adapter",
                (false, true) => ", steered",
                (true, true) => ", adapter and steering",
                (true, false) => "",
            },
            kl.positions,
            kl.prompts,
            ppl.perplexity,
            ppl.mean_nll,
            ppl.tokens,
        )
    }
}

/// Both checks with the built-in prompts and text: `batch` prompts per forward pass, the text
/// in windows of `window` tokens.
pub async fn capability(
    loaded: &LoadedModel,
    batch: usize,
    window: usize,
) -> Result<CapabilityReport> {
    let prompts = NeutralPrompts::builtin()
        .prompts
        .iter()
        .map(|p| loaded.prompt_ids(p, true))
        .collect::<Result<Vec<_>>>()?;
    let text = loaded.prompt_ids(NEUTRAL_TEXT, false)?;
    Ok(CapabilityReport {
        kl_to_base: kl_to_base(&loaded.model, &prompts, batch, loaded.pad_token()).await?,
        perplexity: perplexity(&loaded.model, &text, window).await?,
    })
}

/// KL(p_base ‖ p_model) at every real position of `prompts` (token ids), pooled: `batch` prompts
/// per right-padded forward pass, `pad` filling the padding (never read).
pub async fn kl_to_base(
    model: &Model<Lora>,
    prompts: &[Vec<u32>],
    batch: usize,
    pad: u32,
) -> Result<KlToBase> {
    if prompts.is_empty() {
        return Err(Error::Unsupported(
            "KL to the base model needs at least one prompt".into(),
        ));
    }
    let adapter = model.adapter().is_some();
    let steered = model.steering().is_some();
    let model = model.valid();
    let device = device_of(&model)?;
    let (mut total, mut max, mut positions) = (0.0f64, 0.0f64, 0usize);
    for chunk in prompts.chunks(batch.max(1)) {
        let (ids, lens) = right_padded(chunk, pad, &device)?;
        let [rows, seq] = ids.dims();
        let base = log_softmax(model.forward_base(ids.clone(), None)?, 2);
        let tuned = log_softmax(model.forward(ids, None, &[])?.logits, 2);
        // Σ_v p_base(v) (log p_base(v) − log p_model(v)): [rows, seq, 1] → [rows, seq].
        let kl = (base.clone().exp() * (base - tuned))
            .sum_dim(2)
            .reshape([rows, seq]);
        let values = read_f32(kl).await?;
        // f64::max skips NaN: a NaN KL must fail, not vanish from the maximum.
        check_finite(&values, "KL to the base model")?;
        for (row, &len) in values.chunks(seq).zip(&lens) {
            for &v in &row[..len] {
                total += f64::from(v);
                max = max.max(f64::from(v));
            }
            positions += len;
        }
    }
    Ok(KlToBase {
        mean: total / positions as f64,
        max,
        positions,
        prompts: prompts.len(),
        adapter,
        steered,
    })
}

/// Perplexity of `ids` under the model: the text cut into windows of `window` tokens that do
/// not overlap (each token sees only its own window's earlier tokens, which bounds the memory
/// and keeps the number independent of the model's maximum context).
pub async fn perplexity(model: &Model<Lora>, ids: &[u32], window: usize) -> Result<Perplexity> {
    let window = window.max(2);
    let model = model.valid();
    let device = device_of(&model)?;
    let (mut nll, mut tokens) = (0.0f64, 0usize);
    for piece in ids.chunks(window).filter(|p| p.len() >= 2) {
        let len = piece.len();
        let input: Vec<i64> = piece.iter().map(|&t| i64::from(t)).collect();
        let next = Tensor::<3, Int>::from_data(
            TensorData::new(input[1..].to_vec(), [1, len - 1, 1]),
            &device,
        );
        let input = Tensor::<2, Int>::from_data(TensorData::new(input, [1, len]), &device);
        let logits = model.forward(input, None, &[])?.logits;
        let vocab = logits.dims()[2];
        // log p(token t+1 | tokens ..=t): [1, len - 1, 1]; only these come back.
        let logprobs = log_softmax(logits.slice([0..1, 0..len - 1, 0..vocab]), 2).gather(2, next);
        let logprobs = read_f32(logprobs).await?;
        check_finite(&logprobs, "log-probabilities for perplexity")?;
        nll -= logprobs.iter().map(|&v| f64::from(v)).sum::<f64>();
        tokens += len - 1;
    }
    if tokens == 0 {
        return Err(Error::Unsupported(
            "perplexity needs a text of at least two tokens".into(),
        ));
    }
    let mean_nll = nll / tokens as f64;
    Ok(Perplexity {
        tokens,
        mean_nll,
        perplexity: mean_nll.exp(),
    })
}
