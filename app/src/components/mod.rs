//! The page. For now: which compute backend runs and why, the self-check step, an optional
//! model check (a model fetched by URL, its logits on given token ids) and an optional SOO
//! training run of that model. All state that a shared link should reproduce lives in the URL's
//! query (`?backend=cpu&model=…&ids=…&train=8&seed=0`).

mod adapter_panel;
mod model_check;
mod selfcheck_panel;
mod train_check;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Router;
use leptos_router::hooks::query_signal;
use soo_core::device::{BackendKind, SelectedDevice, select_device};

use crate::adapter::{AdapterReport, detect_webgpu};
use adapter_panel::AdapterPanel;
use model_check::{ModelCheckOutcome, ModelCheckPanel, run_model_check};
use selfcheck_panel::{SelfCheckOutcome, SelfCheckPanel, run_self_check};
use train_check::{TrainCheckPanel, TrainProgress, run_train_check};

/// The app, inside a router so that state can live in the URL.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Page />
        </Router>
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Picks the backend: WebGPU when the browser has an adapter and the URL does not ask for the
/// CPU, otherwise the CPU with the reason in words.
async fn choose_device(adapter: &Result<AdapterReport, String>, wants_cpu: bool) -> SelectedDevice {
    if wants_cpu {
        let mut selected = select_device(BackendKind::Flex).await;
        selected.reason = "the CPU backend was asked for in the address (backend=cpu)".into();
        return selected;
    }
    match adapter {
        Ok(_) => select_device(BackendKind::Wgpu).await,
        Err(why) => {
            let mut selected = select_device(BackendKind::Flex).await;
            selected.reason = format!("{why}; running on the CPU backend instead");
            selected
        }
    }
}

#[component]
fn Page() -> impl IntoView {
    let (backend, _) = query_signal::<String>("backend");
    let (model_url, _) = query_signal::<String>("model");
    let (token_ids, _) = query_signal::<String>("ids");
    let (train_steps, _) = query_signal::<usize>("train");
    let (seed, _) = query_signal::<u64>("seed");

    let adapter = RwSignal::new(None::<Result<AdapterReport, String>>);
    let self_check = RwSignal::new(None::<Result<SelfCheckOutcome, String>>);
    let model_check = RwSignal::new(None::<Result<ModelCheckOutcome, String>>);
    let training = RwSignal::new(None::<TrainProgress>);
    let stop_training = RwSignal::new(false);
    let train_error = RwSignal::new(None::<String>);

    let wants_cpu = backend.get_untracked().as_deref() == Some("cpu");
    let model_request = model_url
        .get_untracked()
        .map(|url| (url, token_ids.get_untracked().unwrap_or_default()));
    let has_model_check = model_request.is_some() && token_ids.get_untracked().is_some();
    let train_request = model_url
        .get_untracked()
        .zip(train_steps.get_untracked())
        .map(|(url, steps)| (url, steps, seed.get_untracked().unwrap_or(0)));
    let has_training = train_request.is_some();
    spawn_local(async move {
        let detected = detect_webgpu().await;
        adapter.set(Some(detected.clone()));
        let started = now_ms();
        let selected = choose_device(&detected, wants_cpu).await;
        let init_ms = now_ms() - started;
        self_check.set(Some(run_self_check(&selected, init_ms).await));
        if let Some((url, ids)) = model_request.filter(|_| has_model_check) {
            model_check.set(Some(run_model_check(&url, &ids, &selected).await));
        }
        if let Some((url, steps, seed)) = train_request {
            let result =
                run_train_check(&url, steps, seed, &selected, training, stop_training).await;
            if let Err(e) = result {
                train_error.set(Some(e));
            }
        }
    });
    view! {
        <header>
            <h1>"soo"</h1>
            <p class="lede">
                "Self-Other Overlap fine-tuning makes a language model's activations when it "
                "thinks about itself match those when it thinks about someone else, which in the "
                "paper made models far less willing to deceive. This page will let you run it in "
                "your browser; for now it checks that your browser can train."
            </p>
        </header>
        <main>
            <AdapterPanel adapter=adapter />
            <SelfCheckPanel outcome=self_check />
            <Show when=move || has_model_check>
                <ModelCheckPanel outcome=model_check />
            </Show>
            <Show when=move || has_training>
                <TrainCheckPanel progress=training stop=stop_training />
                {move || train_error.get().map(|e| view! {
                    <p class="notice error" data-testid="train-error" role="alert">"Training failed: " {e}</p>
                })}
            </Show>
        </main>
    }
}
