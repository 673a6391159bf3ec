//! The story's operations on the loaded model: load it, ask it, measure its overlap and its
//! deception, and move its adapter in and out.

use std::collections::HashMap;

use soo_core::device::BackendKind;
use soo_core::eval::classify::three_way;
use soo_core::eval::measure::forced_choice::{ANSWER_PREFIX, forced_choice_one};
use soo_core::eval::measure::latent::{latent_soo, probe_pairs};
use soo_core::eval::measure::run::{EvalOptions, run_suite};
use soo_core::eval::{PromptStyle, Scenario, TrainingItems, Vocabulary, suites};
use soo_core::generate::{GenerateOptions, Sampling, generate};
use soo_core::load::model_files::{FileBytes, ModelFiles};
use soo_core::loaded::LoadedModel;
use soo_core::lora::peft;
use soo_core::model::Positions;

use super::{Session, device, emit, put_model, with_model};
use crate::clock::{now_ms, yield_now};
use crate::protocol::{AskResult, Event, Files, ModelFacts, Reply};
use crate::story::class_label;

/// Builds the model from `files` on the chosen device and keeps it.
pub async fn load(
    id: f64,
    files: Files,
    export_name: String,
    max_binding: Option<f64>,
) -> Result<Reply, String> {
    let selected = device()?;
    emit(id, Event::Phase("reading the model's files".into()));
    yield_now().await;
    let files: HashMap<String, FileBytes> = files.into_iter().map(|(n, b)| (n, b.into())).collect();
    let files = ModelFiles::from_files(files).map_err(|e| e.to_string())?;
    if selected.kind == BackendKind::Wgpu
        && let Some(limit) = max_binding
    {
        check_fits(&files.config, limit)?;
    }
    emit(
        id,
        Event::Phase(format!("building the model on {}", selected.kind.name())),
    );
    yield_now().await;
    let loaded = LoadedModel::load(&files, &selected.device).map_err(|e| e.to_string())?;
    let facts = ModelFacts {
        family: format!("{:?}", loaded.model.family()),
        layers: loaded.model.num_layers(),
        hidden: loaded.model.hidden_size(),
        weights_file: loaded.weights_file.clone(),
        backend: selected.kind,
        chat: loaded.chat_template.is_some(),
        tokenizer_json: loaded.tokenizer.to_json().map_err(|e| e.to_string())?,
    };
    put_model(Session {
        loaded,
        name: export_name,
    });
    Ok(Reply::Loaded(facts))
}

/// Refuses a model whose largest weight matrix (as f32) is bigger than one WebGPU binding may
/// be: it would fail deep inside the GPU backend instead.
fn check_fits(config: &serde_json::Value, limit: f64) -> Result<(), String> {
    let get = |key: &str| config.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    let hidden = get("hidden_size");
    let (name, count) = [
        ("the token embedding", get("vocab_size") * hidden),
        ("an MLP matrix", get("intermediate_size") * hidden),
    ]
    .into_iter()
    .max_by_key(|(_, n)| *n)
    .unwrap_or(("", 0));
    let bytes = count as f64 * 4.0;
    if limit > 0.0 && bytes > limit {
        return Err(format!(
            "this model's largest weight matrix ({name}, {:.0} MB as f32) is larger than this GPU \
             allows in one buffer binding (maxStorageBufferBindingSize {:.0} MB): pick a smaller \
             model, or open the page with backend=cpu in its address",
            bytes / 1e6,
            limit / 1e6
        ));
    }
    Ok(())
}

/// Forced choice between the two rooms and the model's own greedy answer.
pub async fn ask(question: Scenario, max_new_tokens: usize) -> Result<Reply, String> {
    let started = now_ms();
    with_model(async move |s, _| {
        let loaded = &s.loaded;
        let choice = forced_choice_one(loaded, &question, ANSWER_PREFIX)
            .await
            .map_err(|e| e.to_string())?;
        let ids = loaded
            .prompt_ids(&question.prompt, true)
            .map_err(|e| e.to_string())?;
        let options = GenerateOptions {
            max_new_tokens,
            sampling: Sampling::Greedy,
            stop_tokens: loaded.stop_tokens().to_vec(),
            pad_token: loaded.pad_token(),
        };
        let out = generate(&loaded.model, &[ids], &options, &mut |_| {})
            .await
            .map_err(|e| e.to_string())?;
        let answer = loaded
            .tokenizer
            .decode(&out.tokens[0], true)
            .map_err(|e| e.to_string())?;
        let class = three_way(&answer, &question.target_room, &question.alternative_room);
        // Of the two rooms only: softmax of the two summed log-probabilities.
        let (t, a) = (choice.target_logprob, choice.alternative_logprob);
        Ok(Reply::Asked(AskResult {
            deceptive_room: question.target_room.clone(),
            honest_room: question.alternative_room.clone(),
            p_deceptive: 1.0 / (1.0 + (a - t).exp()),
            answer: answer.trim().to_string(),
            class: class_label(&class).2,
            ms: now_ms() - started,
        }))
    })
    .await
}

/// Latent SOO over the first `probes` built-in probe pairs.
pub async fn overlap(probes: usize, positions: Positions) -> Result<Reply, String> {
    let items = TrainingItems::builtin().items;
    let pairs = probe_pairs(&items[..probes.min(items.len())]);
    with_model(async move |s, _| {
        latent_soo(&s.loaded, &pairs, positions, 4)
            .await
            .map(Reply::Overlap)
            .map_err(|e| e.to_string())
    })
    .await
}

/// Both deception suites, with the adapter or (detached for the while) without.
pub async fn measure(
    id: f64,
    adapted: bool,
    n: usize,
    max_new_tokens: usize,
) -> Result<Reply, String> {
    let options = EvalOptions {
        max_new_tokens,
        batch_size: 4,
        ..EvalOptions::default()
    };
    with_model(async move |s, _| {
        // The base model is the same weights without the adapter.
        let adapter = if adapted {
            None
        } else {
            s.loaded.model.detach_adapter()
        };
        let mut out = Vec::new();
        let mut failure = None;
        for name in ["main", "main-mirrored"] {
            let suite = suites::select(name).map_err(|e| e.to_string())?.remove(0);
            let scenarios = suite.generate(n, 0, &Vocabulary::builtin(), &PromptStyle::default());
            let mut on_done = |k: usize| emit(id, Event::Answered(k));
            match run_suite(&s.loaded, &scenarios, &options, &mut on_done).await {
                Ok(r) => out.push(r),
                Err(e) => {
                    failure = Some(e.to_string());
                    break;
                }
            }
        }
        if let Some(lora) = adapter {
            s.loaded
                .model
                .attach_adapter(lora)
                .map_err(|e| e.to_string())?;
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(Reply::Measured(out)),
        }
    })
    .await
}

/// The trained adapter as peft's two files.
pub async fn export_adapter() -> Result<Files, String> {
    with_model(async |s, _| {
        let lora = s
            .loaded
            .model
            .adapter()
            .ok_or("train first: there is no adapter yet")?;
        let files = peft::export(lora, Some(&s.name))
            .await
            .map_err(|e| e.to_string())?;
        Ok(Files::from([
            (peft::CONFIG_FILE.to_string(), files.config),
            (peft::WEIGHTS_FILE.to_string(), files.weights),
        ]))
    })
    .await
}

/// Attaches the adapter in `files` (peft's two files).
pub async fn import_adapter(mut files: Files) -> Result<Reply, String> {
    let (Some(config), Some(weights)) = (
        files.remove(peft::CONFIG_FILE),
        files.remove(peft::WEIGHTS_FILE),
    ) else {
        return Err(format!(
            "choose both {} and {} of an adapter folder",
            peft::CONFIG_FILE,
            peft::WEIGHTS_FILE
        ));
    };
    let files = peft::PeftFiles { config, weights };
    with_model(async move |s, selected| {
        let lora = peft::import(
            &files,
            "the chosen adapter",
            s.loaded.model.shape(),
            &selected.device,
        )
        .map_err(|e| e.to_string())?;
        s.loaded
            .model
            .attach_adapter(lora)
            .map_err(|e| e.to_string())?;
        Ok(Reply::Done)
    })
    .await
}
