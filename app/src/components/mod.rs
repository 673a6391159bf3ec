//! The page: the model panel and the story (`crate::story`), then the checks: which compute
//! backend runs (in the model's worker) and why, the self-check step, an optional model check (a model folder fetched
//! by URL, its logits on given token ids: `?model=…&ids=…`) and an optional SOO training check
//! of that model (`?model=…&train=8&seed=0`). All state that a shared link should reproduce
//! lives in the URL's query (see `crate::params`).

mod model_check;
mod selfcheck_panel;
mod train_check;
mod webgpu_panel;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Router;
use soo_core::device::BackendKind;

use crate::client;
use crate::model_source::{ModelPanel, ModelSource};
use crate::params::Params;
use crate::protocol::{Files, ModelCheckOutcome, Reply, Request, SelfCheckOutcome};
use crate::session::Lab;
use crate::story::Story;
use crate::webgpu::{WebGpuReport, detect_webgpu};
use model_check::{ModelCheckPanel, run_model_check};
use selfcheck_panel::SelfCheckPanel;
use train_check::{TrainCheckPanel, TrainProgress, run_train_check};
use webgpu_panel::WebGpuPanel;

/// The app, inside a router so that state can live in the URL.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Page />
        </Router>
    }
}

/// Why the CPU backend must run, if it must: the address asks for it, or the page found no
/// WebGPU adapter. `None`: the worker tries WebGPU.
fn cpu_reason(webgpu: &Result<WebGpuReport, String>, wants_cpu: bool) -> Option<String> {
    if wants_cpu {
        return Some("the CPU backend was asked for in the address (backend=cpu)".into());
    }
    webgpu
        .as_ref()
        .err()
        .map(|why| format!("{why}; running on the CPU backend instead"))
}

/// Starts the model's worker and its device; then the self-check, the whole result for its
/// panel (the device's set-up time included).
async fn start_device(
    webgpu: &Result<WebGpuReport, String>,
    wants_cpu: bool,
    lab: Lab,
) -> Result<SelfCheckOutcome, String> {
    let request = Request::Init {
        cpu_because: cpu_reason(webgpu, wants_cpu),
    };
    let (kind, reason, init_ms) = match client::call(request, Files::new(), |_| {}).await? {
        (
            Reply::Device {
                kind,
                reason,
                init_ms,
            },
            _,
        ) => (kind, reason, init_ms),
        (other, _) => return Err(client::unexpected(other)),
    };
    lab.device.set(Some((kind, reason)));
    match client::call(Request::SelfCheck, Files::new(), |_| {}).await? {
        (Reply::SelfCheck(outcome), _) => Ok(SelfCheckOutcome { init_ms, ..outcome }),
        (other, _) => Err(client::unexpected(other)),
    }
}

#[component]
fn Page() -> impl IntoView {
    let params = Params::new();
    provide_context(params);
    let lab = Lab::new();
    provide_context(lab);
    client::on_crash(move |why| lab.lose_model(why));
    let backend = params.backend.get;
    let model_url = params.model.get;
    let (token_ids, _) = leptos_router::hooks::query_signal::<String>("ids");
    let (train_steps, _) = leptos_router::hooks::query_signal::<usize>("train");

    let webgpu = RwSignal::new(None::<Result<WebGpuReport, String>>);
    let self_check = RwSignal::new(None::<Result<SelfCheckOutcome, String>>);
    let model_check = RwSignal::new(None::<Result<ModelCheckOutcome, String>>);
    let training = RwSignal::new(None::<TrainProgress>);
    let train_error = RwSignal::new(None::<String>);

    let wants_cpu = backend.get_untracked() == Some(BackendKind::Flex);
    let model_request = model_url
        .get_untracked()
        .map(|url| (url, token_ids.get_untracked().unwrap_or_default()));
    let has_model_check = model_request.is_some() && token_ids.get_untracked().is_some();
    let train_request = model_url
        .get_untracked()
        .zip(train_steps.get_untracked())
        .map(|(url, steps)| (url, steps, untrack(|| params.train_config(0, true).seed)));
    let has_training = train_request.is_some();
    spawn_local(async move {
        let detected = detect_webgpu().await;
        webgpu.set(Some(detected.clone()));
        if let Ok(report) = &detected {
            lab.max_binding
                .set(Some(report.max_storage_buffer_binding_size));
        }
        self_check.set(Some(start_device(&detected, wants_cpu, lab).await));
        if let Some((url, ids)) = model_request.filter(|_| has_model_check) {
            model_check.set(Some(run_model_check(&url, &ids).await));
        }
        if let Some((url, steps, seed)) = train_request
            && let Err(e) = run_train_check(&url, steps, seed, training).await
        {
            train_error.set(Some(e));
        }
    });
    // The checks' model folders have no tokenizer: their `model=` is not the story's.
    let checks_only = has_model_check || has_training;
    let source = Signal::derive(move || {
        if checks_only {
            ModelSource::Default
        } else {
            ModelSource::from_param(model_url.get().as_deref())
        }
    });
    let set_source =
        Callback::new(move |source: ModelSource| params.model.set.set(source.to_param()));
    let hub = Signal::derive(move || {
        params
            .hub
            .get
            .get()
            .unwrap_or_else(|| crate::model_source::HUB.into())
    });
    view! {
        <a class="skip" href="#story">"Skip to the story"</a>
        <header>
            <h1>"soo"</h1>
            <p class="lede">
                "Self-Other Overlap (SOO) fine-tuning makes a language model's activations when it "
                "thinks about itself match those when it thinks about someone else, which in the "
                "paper made models far less willing to deceive. Here you can watch it happen: "
                "a real model, trained in your browser, measured before and after."
            </p>
            <p class="backend-line" data-testid="story-backend">
                {move || match lab.device.get() {
                    None => "Preparing the compute device…".to_string(),
                    Some((kind, reason)) => format!(
                        "Running on {}: {reason}.",
                        if kind == BackendKind::Wgpu { "WebGPU" } else { "the CPU (burn's flex backend in WebAssembly)" }
                    ),
                }}
                {move || lab.busy.get().map(|what| format!(" Busy: {what}…"))}
            </p>
        </header>
        <main id="story">
            <ModelPanel source=source set_source=set_source hub=hub />
            <Story />
            <crate::toy_world::ToyWorldLab />
        </main>
        <section class="checks" aria-labelledby="checks-heading">
            <h2 id="checks-heading">"Checks"</h2>
            <WebGpuPanel webgpu=webgpu />
            <SelfCheckPanel outcome=self_check />
            <Show when=move || has_model_check>
                <ModelCheckPanel outcome=model_check />
            </Show>
            <Show when=move || has_training>
                <TrainCheckPanel progress=training />
                {move || train_error.get().map(|e| view! {
                    <p class="notice error" data-testid="train-error" role="alert">"Training failed: " {e}</p>
                })}
            </Show>
        </section>
    }
}
