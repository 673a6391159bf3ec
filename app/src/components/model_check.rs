//! The model check: a Hugging Face model folder fetched by URL (`?model=…/resolve/main/`), run
//! on token ids from the address (`&ids=1,2,3`), its logits shown. It is how the browser tests
//! compare a model in the page with transformers, and how a user sees that a model loads.

use leptos::prelude::*;
use soo_core::load::hf;

use crate::client;
use crate::clock::now_ms;
use crate::fetch::fetch_bytes;
use crate::protocol::{Files, ModelCheckOutcome, Reply, Request};

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

/// Fetches `config.json` and `model.safetensors` from `base_url`; the worker builds the model
/// on its device and runs it on `ids`.
pub async fn run_model_check(base_url: &str, ids: &str) -> Result<ModelCheckOutcome, String> {
    let ids = parse_ids(ids)?;
    let base = if base_url.ends_with('/') {
        base_url.to_string()
    } else {
        format!("{base_url}/")
    };
    let started = now_ms();
    let mut files = Files::new();
    for name in [hf::CONFIG, hf::SINGLE] {
        files.insert(
            name.to_string(),
            fetch_bytes(&format!("{base}{name}")).await?,
        );
    }
    let fetch_ms = now_ms() - started;
    match client::call(Request::ModelCheck { ids }, files, |_| {}).await? {
        (Reply::ModelCheck(mut outcome), _) => {
            outcome.load_ms += fetch_ms;
            Ok(outcome)
        }
        (other, _) => Err(client::unexpected(other)),
    }
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
