//! The self-check: one forward, backward and Adam step of a tiny MLP on fixed inputs, the same
//! step `soo selfcheck` runs natively, so that the browser tests can compare them digit by digit.
//! It runs in the model's worker, on the device every operation uses.

use leptos::prelude::*;

use crate::protocol::SelfCheckOutcome;

/// The self-check's result, or a progress indicator while it runs.
///
/// - `outcome`: `None` while running, then the result or the error.
#[component]
pub fn SelfCheckPanel(
    outcome: RwSignal<Option<Result<SelfCheckOutcome, String>>>,
) -> impl IntoView {
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
