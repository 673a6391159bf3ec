//! What the browser reported about WebGPU.

use leptos::prelude::*;

use crate::webgpu::WebGpuReport;

fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / (1024.0 * 1024.0))
}

/// The WebGPU adapter, or a visible notice that there is none and the CPU takes over.
///
/// - `webgpu`: `None` while detecting, then the adapter or why there is none.
#[component]
pub fn WebGpuPanel(webgpu: RwSignal<Option<Result<WebGpuReport, String>>>) -> impl IntoView {
    view! {
        <section aria-labelledby="adapter-heading">
            <h2 id="adapter-heading">"WebGPU"</h2>
            {move || match webgpu.get() {
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
