//! The model panel: the source (default, a Hub id or URL, local files), Load, per-file and total
//! progress, what loaded, and the browser's stored copies.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{DEFAULT_ID, ModelSource, load};
use crate::fetch::{LocalFile, clear_stored, files_of_event, storage_estimate, stored_files};
use crate::session::{self, ModelState};

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// The model picker: the source, Load, per-file and total progress, and what loaded.
///
/// - `source`, `set_source`: the URL's `model=`.
/// - `hub`: the Hub endpoint (URL `hub=`).
#[component]
pub fn ModelPanel(
    source: Signal<ModelSource>,
    set_source: Callback<ModelSource>,
    hub: Signal<String>,
) -> impl IntoView {
    let lab = session::lab();
    let params = crate::params::params();
    let local_files = StoredValue::new_local(Vec::<LocalFile>::new());
    let local_names = RwSignal::new(String::new());
    let typed = RwSignal::new(match source.get_untracked() {
        ModelSource::Hub(id) => id,
        _ => String::new(),
    });
    let start = move || {
        if matches!(lab.model.get_untracked(), ModelState::Loading(_))
            || lab.busy.get_untracked().is_some()
        {
            return;
        }
        let source = source.get_untracked();
        let files = local_files.get_value();
        let hub = hub.get_untracked();
        lab.model.set(ModelState::Loading(Vec::new()));
        spawn_local(load(source, hub, files, lab));
    };
    let take_files = move |files: Vec<LocalFile>| {
        local_names.set(
            files
                .iter()
                .map(|f| format!("{} ({})", f.name, mb(f.size)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        local_files.set_value(files);
        set_source.run(ModelSource::Local);
    };
    let stored = RwSignal::new(None::<(Vec<(String, u64)>, Option<(f64, f64)>)>);
    let refresh = move || {
        spawn_local(async move {
            let files = stored_files().await;
            let estimate = storage_estimate().await;
            stored.set(Some((files, estimate)));
        })
    };
    Effect::new(move |_| {
        if matches!(lab.model.get(), ModelState::Ready(_)) {
            refresh();
        }
    });
    let kind = move || match source.get() {
        ModelSource::Default => "default",
        ModelSource::Hub(_) => "hub",
        ModelSource::Local => "local",
    };
    view! {
        <section class="model-panel" aria-labelledby="model-heading" data-testid="model-panel">
            <h2 id="model-heading">"The model"</h2>
            <div class="row">
                // A teacher's link (`hide=model` or `teacher=1`) fixes the model.
                <Show when=move || !params.hidden("model")
                    fallback=move || view! { <span class="fixed" data-testid="fixed-model">{move || format!("Model: {}", source.get().label())}</span> }>
                <label>
                    "Source "
                    <select data-testid="model-kind" prop:value=kind on:change=move |ev| {
                        match event_target_value(&ev).as_str() {
                            "default" => set_source.run(ModelSource::Default),
                            "local" => set_source.run(ModelSource::Local),
                            _ => {
                                // An empty id would read back as the default: start from a real one.
                                if typed.get_untracked().trim().is_empty() {
                                    typed.set(DEFAULT_ID.into());
                                }
                                set_source.run(ModelSource::Hub(typed.get_untracked()))
                            }
                        }
                    }>
                        <option value="default">"SmolLM2-135M-Instruct (default, 98 MB)"</option>
                        <option value="hub">"A Hugging Face model (id or URL)"</option>
                        <option value="local">"Files from this computer"</option>
                    </select>
                </label>
                <Show when=move || matches!(source.get(), ModelSource::Hub(_))>
                    <label>
                        "Hub id or URL "
                        <input type="text" data-testid="model-id" size="40"
                            placeholder="HuggingFaceTB/SmolLM2-360M-Instruct"
                            prop:value=move || typed.get()
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                typed.set(value.clone());
                                set_source.run(ModelSource::Hub(value));
                            } />
                    </label>
                </Show>
                </Show>
                <Show when=move || source.get() == ModelSource::Local>
                    <div class="drop" data-testid="model-drop"
                        on:dragover=move |ev| ev.prevent_default()
                        on:drop=move |ev| {
                            ev.prevent_default();
                            take_files(files_of_event(&ev.into()));
                        }>
                        <label>
                            "A .gguf, or config.json + tokenizer.json (+ tokenizer_config.json) + model.safetensors: "
                            <input type="file" multiple data-testid="model-files"
                                on:change=move |ev| take_files(files_of_event(&ev.into())) />
                        </label>
                        " or drop them here. "
                        <span>{move || local_names.get()}</span>
                    </div>
                </Show>
                <button type="button" data-testid="model-load"
                    disabled=move || lab.device.get().is_none() || matches!(lab.model.get(), ModelState::Loading(_))
                    on:click=move |_| start()>
                    {move || if lab.device.get().is_none() { "Preparing the device…" } else { "Load the model" }}
                </button>
            </div>
            {move || match source.get() {
                ModelSource::Default => view! {
                    <p class="hint">"SmolLM2-135M-Instruct is small enough for any laptop. Shown honestly: "
                    "it does not deceive; asked \"the A or the B?\" it names whichever room comes first, "
                    "which the mirrored control (step 6) reveals."</p>
                }.into_any(),
                ModelSource::Hub(_) => view! {
                    <p class="hint">"A llama, Mistral, SmolLM2, Qwen2 or Gemma-2 model: a Hub id (org/name, "
                    "optionally @revision), a "<code>"…/resolve/main/"</code>" folder URL or a .gguf URL. "
                    "Stay within your device's memory: a few hundred million parameters train comfortably."</p>
                }.into_any(),
                ModelSource::Local => view! { <p class="hint">"Nothing leaves your computer."</p> }.into_any(),
            }}
            {move || match lab.model.get() {
                ModelState::None => view! { <p data-testid="model-state">"No model loaded yet."</p> }.into_any(),
                ModelState::Loading(rows) => {
                    let done: u64 = rows.iter().map(|r| r.done).sum();
                    let total: u64 = rows.iter().map(|r| r.total.unwrap_or(r.done)).sum();
                    let json = serde_json::to_string(&rows).unwrap_or_default();
                    view! {
                        <div role="status" data-testid="model-progress" data-rows=json>
                            <p>{format!("Loading: {} of {}", mb(done), mb(total))}
                                {move || lab.phase.get().map(|phase| format!("; {phase}…"))}</p>
                            <progress data-testid="model-progress-total" max=total.max(1) value=done aria-label="all files"></progress>
                            <ul class="files">
                                {rows.into_iter().map(|r| {
                                    let label = match r.total {
                                        Some(t) => format!("{}: {} of {}{}", r.name, mb(r.done), mb(t), if r.finished { " ✓" } else { "" }),
                                        None => format!("{}: {}", r.name, mb(r.done)),
                                    };
                                    view! {
                                        <li data-testid="model-file">
                                            <progress max=r.total.unwrap_or(1).max(1) value=r.done aria-label=r.name.clone()></progress>
                                            " " {label}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </div>
                    }.into_any()
                }
                ModelState::Ready(info) => {
                    let json = serde_json::to_string(&info).unwrap_or_default();
                    view! {
                        <p data-testid="model-ready" data-info=json>
                            {format!("Ready: {} — {} layers, width {}, {} file(s), {}, loaded in {:.1} s on {}.",
                                info.name, info.layers, info.hidden, info.files, mb(info.bytes), info.load_ms / 1000.0, info.backend.name())}
                            {(!info.chat).then_some(" This model has no chat template: the deception test needs one.")}
                        </p>
                    }.into_any()
                }
                ModelState::Failed(e) => view! {
                    <p class="notice error" role="alert" data-testid="model-error">"The model could not load: " {e}</p>
                }.into_any(),
                ModelState::Lost(e) => view! {
                    <p class="notice error" role="alert" data-testid="model-lost">"The model was lost: " {e}</p>
                }.into_any(),
            }}
            {move || lab.storage.get().map(|note| view! {
                <p class="notice fallback" role="status" data-testid="storage-notice">{note}</p>
            })}
            <details data-testid="storage" on:toggle=move |_| refresh()>
                <summary>"Models stored in this browser"</summary>
                {move || stored.get().map(|(files, estimate)| {
                    let total: u64 = files.iter().map(|(_, n)| n).sum();
                    view! {
                        <p data-testid="storage-summary">
                            {format!("{} file(s), {}.", files.len(), mb(total))}
                            {estimate.map(|(usage, quota)| format!(" This site uses {} of the {} the browser allows it.", mb(usage as u64), mb(quota as u64)))}
                        </p>
                        <ul class="files" data-testid="storage-files">
                            {files.into_iter().map(|(url, n)| view! { <li>{format!("{url} ({})", mb(n))}</li> }).collect_view()}
                        </ul>
                        <button type="button" data-testid="storage-delete" on:click=move |_| {
                            spawn_local(async move {
                                if let Err(e) = clear_stored().await {
                                    lab.storage.set(Some(format!("could not delete: {e}")));
                                }
                                refresh();
                            })
                        }>"Delete the stored models"</button>
                    }
                })}
            </details>
        </section>
    }
}
