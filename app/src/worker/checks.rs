//! The developer checks in the worker: the self-check step, a model folder's logits, and SOO
//! training of a tokenizer-less model folder on fixed token pairs (the browser tests' fixtures).

use std::collections::HashMap;

use soo_core::base::tensor::read_f32;
use soo_core::burn::tensor::{Int, Tensor, TensorData};
use soo_core::loaded::load_model;
use soo_core::selfcheck::{TinyStepConfig, run_tiny_step};
use soo_core::train::{Examples, TokenData, TrainConfig, Trainer};

use super::training::{announce, reported_step};
use super::{device, reset_stop};
use crate::clock::now_ms;
use crate::protocol::{Files, ModelCheckOutcome, Reply, SelfCheckOutcome};

/// The pairs: "self" and "other" token ids that differ in a few places and in length, as the
/// paper's pairs do (ids below 128, so every fixture model has them).
const SELF_IDS: [&[u32]; 2] = [&[1, 5, 9, 23, 7, 3], &[1, 8, 2, 4, 17]];
const OTHER_IDS: [&[u32]; 2] = [&[1, 6, 9, 23, 7, 3, 11], &[1, 8, 2, 4, 19]];

/// The training check's settings over `soo train`'s defaults: SOO at the second layer of a
/// two-layer model, LoRA r 4 on q/v, a learning rate large enough to see the loss fall in a
/// few steps.
const CONFIG: &str = "hook = \"layers.1.self_attn.o_proj\"\nbatch_size = 2\n\
                      [lora]\nrank = 4\nalpha = 8.0\n[optimizer]\nlr = 1e-2\n";

/// One forward, backward and Adam step of a tiny MLP on the chosen device. `init_ms` is left
/// for the page, which knows how long the device took.
pub async fn self_check() -> Result<Reply, String> {
    let selected = device()?;
    let started = now_ms();
    let report = run_tiny_step(&TinyStepConfig::default(), &selected.device)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Reply::SelfCheck(SelfCheckOutcome {
        backend: selected.kind,
        reason: selected.reason.clone(),
        report,
        init_ms: 0.0,
        step_ms: now_ms() - started,
    }))
}

/// Builds the model folder in `files` and runs it once on `ids`.
pub async fn model_check(files: Files, ids: Vec<i64>) -> Result<Reply, String> {
    let selected = device()?;
    let started = now_ms();
    let model =
        load_model(files.into_iter().collect(), &selected.device).map_err(|e| e.to_string())?;
    let load_ms = now_ms() - started;
    let started = now_ms();
    // In the browser the forward pass cannot read its ids back to check them: check here.
    model
        .check_token_ids(ids.iter().copied())
        .map_err(|e| e.to_string())?;
    let seq = ids.len();
    let input = Tensor::<2, Int>::from_data(TensorData::new(ids, [1, seq]), &selected.device);
    let output = model.forward(input, None, &[]).map_err(|e| e.to_string())?;
    let vocab = model.vocab_size();
    let logits = read_f32(output.logits).await.map_err(|e| e.to_string())?;
    Ok(Reply::ModelCheck(ModelCheckOutcome {
        backend: selected.kind,
        family: format!("{:?}", model.family()),
        shape: [seq, vocab],
        logits,
        load_ms,
        forward_ms: now_ms() - started,
    }))
}

/// Trains the model folder in `files` for `steps` steps on the fixed pairs, reporting every
/// step, until done or stopped.
pub async fn train_check(id: f64, files: Files, steps: usize, seed: u64) -> Result<Reply, String> {
    reset_stop();
    let selected = device()?;
    let files: HashMap<String, Vec<u8>> = files.into_iter().collect();
    let mut model = load_model(files, &selected.device).map_err(|e| e.to_string())?;
    let config = TrainConfig::build(
        None,
        Some(("the page's training settings", CONFIG)),
        &[format!("steps={steps}"), format!("seed={seed}")],
    )
    .map_err(|e| e.to_string())?;
    let data = TokenData {
        examples: Examples::Pairs(
            SELF_IDS
                .iter()
                .zip(OTHER_IDS)
                .map(|(s, o)| (s.to_vec(), o.to_vec()))
                .collect(),
        ),
        neutral: Vec::new(),
        pairs: SELF_IDS.len(),
        pad: 0,
    };
    let mut trainer = Trainer::from_tokens(config, &mut model, data, &selected.device)
        .map_err(|e| e.to_string())?;
    announce(id, selected.kind, &trainer);
    while !trainer.is_finished() {
        if reported_step(id, &mut trainer, &mut model).await?.is_none() {
            return Ok(Reply::Trained("stopped".into()));
        }
    }
    Ok(Reply::Trained("finished".into()))
}
