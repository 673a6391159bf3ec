//! The page. For now: which compute backend runs and why, and the self-check step whose numbers
//! the browser tests compare with the native CLI's.

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use soo_core::device::{BackendKind, select_device};
use soo_core::selfcheck::{TinyStepConfig, TinyStepReport, run_tiny_step};

use crate::adapter::{AdapterReport, detect_webgpu};

/// What the self-check produced, as the tests read it from the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct SelfCheckOutcome {
    backend: BackendKind,
    reason: String,
    report: TinyStepReport,
    /// Device set-up time (WebGPU adapter and runtime), milliseconds.
    init_ms: f64,
    /// The step itself, read-backs included, milliseconds.
    step_ms: f64,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Detects WebGPU, picks the backend and runs the self-check on it.
async fn run_self_check(
    adapter: Result<AdapterReport, String>,
) -> Result<SelfCheckOutcome, String> {
    let started = now_ms();
    let preferred = if adapter.is_ok() {
        BackendKind::Wgpu
    } else {
        BackendKind::Flex
    };
    let mut selected = select_device(preferred).await;
    if let Err(why) = &adapter {
        selected.reason = format!("{why}; running on the CPU backend instead");
    }
    let init_ms = now_ms() - started;
    let started = now_ms();
    let report = run_tiny_step(&TinyStepConfig::default(), &selected.device)
        .await
        .map_err(|e| e.to_string())?;
    Ok(SelfCheckOutcome {
        backend: selected.kind,
        reason: selected.reason,
        report,
        init_ms,
        step_ms: now_ms() - started,
    })
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let adapter = RwSignal::new(None::<Result<AdapterReport, String>>);
    let outcome = RwSignal::new(None::<Result<SelfCheckOutcome, String>>);
    spawn_local(async move {
        let detected = detect_webgpu().await;
        adapter.set(Some(detected.clone()));
        outcome.set(Some(run_self_check(detected).await));
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
            <SelfCheckPanel outcome=outcome />
        </main>
    }
}

/// What the browser reported about WebGPU.
///
/// - `adapter`: `None` while detecting, then the adapter or why there is none.
#[component]
fn AdapterPanel(adapter: RwSignal<Option<Result<AdapterReport, String>>>) -> impl IntoView {
    let mib = |bytes: f64| format!("{:.0} MiB", bytes / (1024.0 * 1024.0));
    view! {
        <section aria-labelledby="adapter-heading">
            <h2 id="adapter-heading">"WebGPU"</h2>
            {move || match adapter.get() {
                None => view! { <p role="status">"Looking for a WebGPU adapter…"</p> }.into_any(),
                Some(Err(why)) => view! {
                    <p class="notice fallback" data-testid="webgpu-missing" role="alert">
                        "WebGPU is not available: " {why}
                        ". soo will run on the CPU backend: the same numbers, more slowly."
                    </p>
                }.into_any(),
                Some(Ok(report)) => view! {
                    <dl data-testid="webgpu-adapter">
                        <dt>"Adapter"</dt><dd data-testid="adapter-name">{report.name.clone()}</dd>
                        <dt>"Software (fallback) adapter"</dt>
                        <dd>{if report.is_fallback { "yes: correct but slow" } else { "no" }}</dd>
                        <dt>"Largest storage buffer binding"</dt><dd>{mib(report.max_storage_buffer_binding_size)}</dd>
                        <dt>"Largest buffer"</dt><dd>{mib(report.max_buffer_size)}</dd>
                        <dt>"Half-precision shaders (shader-f16)"</dt>
                        <dd>{if report.shader_f16 { "yes" } else { "no" }}</dd>
                    </dl>
                }.into_any(),
            }}
        </section>
    }
}

/// The self-check: one forward, backward and Adam step of a tiny MLP on fixed inputs.
///
/// - `outcome`: `None` while running, then the result or the error.
#[component]
fn SelfCheckPanel(outcome: RwSignal<Option<Result<SelfCheckOutcome, String>>>) -> impl IntoView {
    view! {
        <section aria-labelledby="selfcheck-heading">
            <h2 id="selfcheck-heading">"Can this browser train?"</h2>
            <p>"One training step of a tiny network on fixed numbers, the same step the native "
               "command line runs, so that the two can be compared digit by digit."</p>
            {move || match outcome.get() {
                None => view! {
                    <p role="status"><progress aria-label="self-check running"></progress>" Running the step…"</p>
                }.into_any(),
                Some(Err(e)) => view! {
                    <p class="notice error" data-testid="selfcheck-error" role="alert">"The step failed: " {e}</p>
                }.into_any(),
                Some(Ok(result)) => {
                    let json = serde_json::to_string(&result).unwrap_or_default();
                    view! {
                        <p data-testid="backend-line">
                            "Backend: " <strong data-testid="backend">{result.backend.name()}</strong>
                            " — " <span data-testid="backend-reason">{result.reason.clone()}</span>
                        </p>
                        <table>
                            <tr><th scope="row">"Loss before the step"</th><td>{format!("{:.7}", result.report.loss_before)}</td></tr>
                            <tr><th scope="row">"Loss after the step"</th><td>{format!("{:.7}", result.report.loss_after)}</td></tr>
                            <tr><th scope="row">"Device set-up"</th><td>{format!("{:.0} ms", result.init_ms)}</td></tr>
                            <tr><th scope="row">"Step time"</th><td>{format!("{:.0} ms", result.step_ms)}</td></tr>
                        </table>
                        <details>
                            <summary>"All numbers (JSON)"</summary>
                            <pre data-testid="selfcheck-json">{json}</pre>
                        </details>
                    }.into_any()
                }
            }}
        </section>
    }
}
