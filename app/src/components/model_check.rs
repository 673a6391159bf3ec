//! The model check: a Hugging Face model folder fetched by URL (`?model=…/resolve/main/`), run
//! on token ids from the address (`&ids=1,2,3`), its logits shown. It is how the browser tests
//! compare a model in the page with transformers, and how a user sees that a model loads.

use std::collections::HashMap;

use leptos::prelude::*;
use serde::Serialize;
use soo_core::burn::tensor::{Int, Tensor, TensorData};
use soo_core::device::{BackendKind, SelectedDevice};
use soo_core::load::hf;
use soo_core::selfcheck::read_f32;

use super::now_ms;
use crate::fetch::fetch_bytes;

/// A model's logits on the requested ids, as the tests read it from the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelCheckOutcome {
    backend: BackendKind,
    family: String,
    /// `[seq, vocab]`.
    shape: [usize; 2],
    /// Row-major logits, every position.
    logits: Vec<f32>,
    /// Fetch and build time, milliseconds.
    load_ms: f64,
    /// One forward pass with read-back, milliseconds.
    forward_ms: f64,
}

fn parse_ids(ids: &str) -> Result<Vec<i64>, String> {
    let ids: Vec<i64> = ids
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            part.trim()
                .parse()
                .map_err(|_| format!("'{part}' in ids is not a token id"))
        })
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err("the address gives no token ids (ids=1,2,3)".into());
    }
    Ok(ids)
}

/// Fetches `config.json` and `model.safetensors` from `base_url`, builds the model on the chosen
/// device and runs it on `ids`.
pub async fn run_model_check(
    base_url: &str,
    ids: &str,
    selected: &SelectedDevice,
) -> Result<ModelCheckOutcome, String> {
    let ids = parse_ids(ids)?;
    let base = if base_url.ends_with('/') {
        base_url.to_string()
    } else {
        format!("{base_url}/")
    };
    let started = now_ms();
    let mut files = HashMap::new();
    for name in [hf::CONFIG, hf::SINGLE] {
        files.insert(
            name.to_string(),
            fetch_bytes(&format!("{base}{name}")).await?,
        );
    }
    let model = hf::load_model(files, &selected.device).map_err(|e| e.to_string())?;
    let load_ms = now_ms() - started;

    let started = now_ms();
    let seq = ids.len();
    let input = Tensor::<2, Int>::from_data(TensorData::new(ids, [1, seq]), &selected.device);
    let output = model.forward(input, None, &[]).map_err(|e| e.to_string())?;
    let vocab = model.vocab_size();
    let logits = read_f32(output.logits).await.map_err(|e| e.to_string())?;
    Ok(ModelCheckOutcome {
        backend: selected.kind,
        family: format!("{:?}", model.family()),
        shape: [seq, vocab],
        logits,
        load_ms,
        forward_ms: now_ms() - started,
    })
}

/// The model check's result.
///
/// - `outcome`: `None` while loading and running, then the logits or the error.
#[component]
pub fn ModelCheckPanel(
    outcome: RwSignal<Option<Result<ModelCheckOutcome, String>>>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="model-check-heading">
            <h2 id="model-check-heading">"Model check"</h2>
            {move || match outcome.get() {
                None => view! {
                    <p role="status"><progress aria-label="model loading"></progress>" Loading the model…"</p>
                }.into_any(),
                Some(Err(e)) => view! {
                    <p class="notice error" data-testid="model-check-error" role="alert">"The model could not run: " {e}</p>
                }.into_any(),
                Some(Ok(result)) => {
                    let json = serde_json::to_string(&result).unwrap_or_default();
                    view! {
                        <p>
                            {format!("A {} model ran on {} tokens on {}: loaded in {:.0} ms, one forward pass in {:.0} ms.",
                                result.family, result.shape[0], result.backend.name(), result.load_ms, result.forward_ms)}
                        </p>
                        <details>
                            <summary>"Logits (JSON)"</summary>
                            <pre data-testid="model-check-json">{json}</pre>
                        </details>
                    }.into_any()
                }
            }}
        </section>
    }
}
