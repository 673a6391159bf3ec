//! Where the model comes from, and the panel that loads it with progress per file and in total.
//!
//! The URL's `model=` names the source (see [`ModelSource::from_param`]); `hub=` can point Hub
//! ids at another server with the Hub's URL layout (the tests' local server, a mirror).

use std::collections::HashMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use soo_core::load::hf;
use soo_core::model::ModelConfig;
use soo_core::text::Tokenizer;

use crate::client;
use crate::clock::now_ms;
use crate::fetch::{
    LocalFile, Started, cached, clear_stored, files_of_event, start_fetch, storage_estimate, store,
    stored_files,
};
use crate::protocol::{Event, Reply, Request};
use crate::session::{self, FileProgress, Lab, ModelInfo, ModelState};
use web_sys::Response;

/// The Hub the ids resolve against unless the URL says `hub=…`.
pub const HUB: &str = "https://huggingface.co";
/// The default model's id.
pub const DEFAULT_ID: &str = "HuggingFaceTB/SmolLM2-135M-Instruct";
/// Where `scripts/serve.sh` serves the default model (relative to the page), in the Hub's
/// layout: a classroom needs no internet.
pub const DEFAULT_LOCAL: &str =
    "models/HuggingFaceTB/SmolLM2-135M-Instruct/resolve/main/SmolLM2-135M-Instruct.Q4_1.gguf";

/// A model source the user can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// SmolLM2-135M-Instruct: the Q4_1 GGUF served beside the page by `scripts/serve.sh`,
    /// else the Hub's safetensors folder.
    Default,
    /// A Hub id (`org/name`, optionally `@revision`) or a URL: a `resolve/main/` folder or
    /// one `.gguf` file.
    Hub(String),
    /// Files the user picked or dropped (they cannot travel in a link).
    Local,
    // TOY-WORLD: the lead adds the built-in organism here, e.g. `ToyWorld`, a tiny llama trained
    // from scratch (core/src/organism/toy_world). Give it a `from_param`/`to_param` name
    // ("toy-world"), a label and export name, an `<option>` and an `on:change` arm in
    // `ModelPanel`'s select, a hint, and a branch in `load` that gives its files (fetched beside
    // the page like DEFAULT_LOCAL, or built in the page). The compiler points at every `match`
    // that needs an arm; every place is also marked TOY-WORLD.
}

impl ModelSource {
    /// The source the URL's `model=` names: none or `default`, `local`, else a Hub id or URL.
    pub fn from_param(param: Option<&str>) -> Self {
        match param.map(str::trim) {
            None | Some("") | Some("default") => Self::Default,
            Some("local") => Self::Local,
            Some(other) => Self::Hub(other.to_string()),
        }
    }

    /// The value of `model=` for this source.
    pub fn to_param(&self) -> Option<String> {
        match self {
            Self::Default => None,
            Self::Hub(id) => Some(id.clone()),
            Self::Local => Some("local".into()),
        }
    }

    /// What the user sees.
    pub fn label(&self) -> String {
        match self {
            Self::Default => format!("{DEFAULT_ID} (the default)"),
            Self::Hub(id) => id.clone(),
            Self::Local => "files from this computer".into(),
        }
    }

    /// The name exports use for `model = …` and `base_model_name_or_path`.
    pub fn export_name(&self) -> String {
        match self {
            Self::Default => DEFAULT_ID.into(),
            Self::Hub(id) => id.clone(),
            Self::Local => "path/to/your/model".into(),
        }
    }
}

/// What to fetch for a Hub id or URL: a single GGUF, or a folder's base URL.
enum Remote {
    Gguf(String),
    Folder(String),
}

fn remote(id: &str, hub: &str) -> Remote {
    let id = id.trim();
    let is_url = id.contains("://") || id.starts_with('/') || id.starts_with("./");
    if is_url {
        let url = id.replace("/blob/", "/resolve/");
        if url.ends_with(".gguf") {
            return Remote::Gguf(url);
        }
        return Remote::Folder(format!("{}/", url.trim_end_matches('/')));
    }
    let (repo, revision) = id.split_once('@').unwrap_or((id, "main"));
    Remote::Folder(format!(
        "{}/{}/resolve/{revision}/",
        hub.trim_end_matches('/'),
        repo.trim_matches('/')
    ))
}

fn file_name(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

/// Where one file's bytes come from.
enum Origin {
    /// The browser's storage (an earlier visit).
    Stored(Response, Option<u64>),
    /// The network: the request is on its way.
    Network(Started),
}

/// Downloads `names` under `base` side by side (or takes them from the browser's storage),
/// updating `rows`; `optional` files may be missing (404). Keeps what it downloads in the
/// browser's storage; when that fails (quota) it says so and goes on in memory.
async fn fetch_files(
    base: &str,
    names: &[(&str, bool)],
    lab: Lab,
    rows: &mut Vec<FileProgress>,
) -> Result<HashMap<String, Vec<u8>>, String> {
    let mut origins = Vec::new();
    for (name, optional) in names {
        let url = format!("{base}{name}");
        let origin = match cached(&url).await {
            Some((response, length)) => Origin::Stored(response, length),
            None => Origin::Network(start_fetch(&url)?),
        };
        origins.push((*name, *optional, url, origin));
    }
    let first = rows.len();
    for (name, _, _, origin) in &origins {
        rows.push(FileProgress {
            name: match origin {
                Origin::Stored(..) => format!("{name} (stored in this browser)"),
                Origin::Network(_) => name.to_string(),
            },
            done: 0,
            total: None,
            finished: false,
        });
    }
    lab.model.set(ModelState::Loading(rows.clone()));
    // Every size first, so that the total is known before the big file streams.
    let mut responses = Vec::new();
    for (i, (name, optional, url, origin)) in origins.iter().enumerate() {
        let answer = match origin {
            Origin::Stored(response, length) => Some((Clone::clone(response), *length)),
            Origin::Network(request) => request.response().await?,
        };
        match answer {
            Some((response, length)) => {
                rows[first + i].total = length;
                responses.push(Some((response, length)));
            }
            None if *optional => {
                rows[first + i].finished = true;
                rows[first + i].name = format!("{name} (not in this repository: fine)");
                responses.push(None);
            }
            None => return Err(format!("{url}: HTTP 404 Not Found")),
        }
    }
    lab.model.set(ModelState::Loading(rows.clone()));
    let mut out = HashMap::new();
    for (i, ((name, _, url, origin), response)) in origins.iter().zip(responses).enumerate() {
        let Some((response, length)) = response else {
            continue;
        };
        let mut last_shown = 0u64;
        let bytes = crate::fetch::read_body(url, &response, length, &mut |done, total| {
            // Redraw every 1 MiB, not every chunk.
            if done - last_shown >= 1 << 20 || Some(done) == total {
                last_shown = done;
                rows[first + i].done = done;
                rows[first + i].total = total;
                lab.model.set(ModelState::Loading(rows.clone()));
            }
        })
        .await?;
        rows[first + i].done = bytes.len() as u64;
        rows[first + i].total = Some(bytes.len() as u64);
        rows[first + i].finished = true;
        lab.model.set(ModelState::Loading(rows.clone()));
        if matches!(origin, Origin::Network(_))
            && let Err(why) = store(url, &bytes).await
        {
            lab.storage.set(Some(format!(
                "{name} could not be kept in this browser ({why}): the model stays in memory for \
                 this visit and will be downloaded again next time. Delete stored models below \
                 to make room."
            )));
        }
        out.insert(name.to_string(), bytes);
    }
    Ok(out)
}

/// Fetches a remote model's files, checking `config.json` before the weights.
async fn fetch_remote(target: Remote, lab: Lab) -> Result<HashMap<String, Vec<u8>>, String> {
    let mut rows = Vec::new();
    match target {
        Remote::Gguf(url) => {
            let name = file_name(&url);
            let base = url[..url.len() - name.len()].to_string();
            fetch_files(&base, &[(name.as_str(), false)], lab, &mut rows).await
        }
        Remote::Folder(base) => {
            let mut files = fetch_files(&base, &[(hf::CONFIG, false)], lab, &mut rows).await?;
            // An unsupported family is refused before the big download.
            ModelConfig::from_bytes(&files[hf::CONFIG]).map_err(|e| e.to_string())?;
            let small = [
                ("tokenizer.json", false),
                ("tokenizer_config.json", true),
                ("generation_config.json", true),
                (hf::SINGLE, true),
            ];
            files.extend(fetch_files(&base, &small, lab, &mut rows).await?);
            if !files.contains_key(hf::SINGLE) {
                let index = fetch_files(&base, &[(hf::INDEX, false)], lab, &mut rows).await?;
                let parsed: serde_json::Value = serde_json::from_slice(&index[hf::INDEX])
                    .map_err(|e| format!("{}: {e}", hf::INDEX))?;
                let mut shards: Vec<String> = parsed["weight_map"]
                    .as_object()
                    .map(|m| {
                        m.values()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                shards.sort();
                shards.dedup();
                let names: Vec<(&str, bool)> = shards.iter().map(|s| (s.as_str(), false)).collect();
                files.extend(index);
                files.extend(fetch_files(&base, &names, lab, &mut rows).await?);
            }
            Ok(files)
        }
    }
}

/// Reads local files, with progress.
async fn read_local(chosen: &[LocalFile], lab: Lab) -> Result<HashMap<String, Vec<u8>>, String> {
    if chosen.is_empty() {
        return Err(
            "no files were chosen: pick a .gguf, or a model folder's config.json, \
                    tokenizer.json and model.safetensors"
                .into(),
        );
    }
    let mut rows: Vec<FileProgress> = chosen
        .iter()
        .map(|f| FileProgress {
            name: f.name.clone(),
            done: 0,
            total: Some(f.size),
            finished: false,
        })
        .collect();
    lab.model.set(ModelState::Loading(rows.clone()));
    let mut out = HashMap::new();
    for (i, file) in chosen.iter().enumerate() {
        let bytes = file.bytes().await?;
        rows[i].done = bytes.len() as u64;
        rows[i].finished = true;
        lab.model.set(ModelState::Loading(rows.clone()));
        out.insert(file.name.clone(), bytes);
    }
    Ok(out)
}

/// Loads `source`: the files are fetched (or read) here, then moved to the worker, which
/// builds the model on its device and keeps it.
pub async fn load(source: ModelSource, hub: String, local: Vec<LocalFile>, lab: Lab) {
    let started = now_ms();
    let result = async {
        let files = match &source {
            ModelSource::Default => {
                // The copy beside the page first (scripts/serve.sh); else the Hub.
                let local = fetch_remote(Remote::Gguf(DEFAULT_LOCAL.into()), lab).await;
                match local {
                    Ok(files) => files,
                    Err(_) => fetch_remote(remote(DEFAULT_ID, &hub), lab).await?,
                }
            }
            ModelSource::Hub(id) => fetch_remote(remote(id, &hub), lab).await?,
            ModelSource::Local => read_local(&local, lab).await?,
            // TOY-WORLD: `ModelSource::ToyWorld => …` goes here: the organism's files as
            // name → bytes (fetched beside the page like DEFAULT_LOCAL, or built in the page).
        };
        let bytes: u64 = files.values().map(|b| b.len() as u64).sum();
        let count = files.len();
        session::set_tokenizer(None);
        let request = Request::Load {
            export_name: source.export_name(),
            max_binding: lab.max_binding.get_untracked(),
        };
        let on_event = move |event| {
            if let Event::Phase(phase) = event {
                lab.phase.set(Some(phase));
            }
        };
        let (reply, _) = lab
            .call(
                "loading the model",
                request,
                files.into_iter().collect(),
                on_event,
            )
            .await?;
        let Reply::Loaded(facts) = reply else {
            return Err(client::unexpected(reply));
        };
        let tokenizer = Tokenizer::from_json("tokenizer.json", facts.tokenizer_json.as_bytes())
            .map_err(|e| e.to_string())?;
        session::set_tokenizer(Some(tokenizer));
        Ok::<_, String>(ModelInfo {
            name: source.label(),
            family: facts.family,
            layers: facts.layers,
            hidden: facts.hidden,
            weights_file: facts.weights_file,
            bytes,
            files: count,
            load_ms: now_ms() - started,
            backend: facts.backend,
            chat: facts.chat,
        })
    }
    .await;
    lab.phase.set(None);
    lab.trained.set(false);
    lab.generation.update(|g| *g += 1);
    match result {
        Ok(info) => lab.model.set(ModelState::Ready(info)),
        Err(e) => lab.model.set(ModelState::Failed(e)),
    }
}

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
    // TOY-WORLD: `ModelSource::ToyWorld => "toy-world"`.
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
                            // TOY-WORLD: "toy-world" => set_source.run(ModelSource::ToyWorld),
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
                        // TOY-WORLD: <option value="toy-world">"Toy world (a tiny llama taught to deceive)"</option>
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
