//! Fetching a model's files (or reading the user's), with per-file and total progress, keeping
//! downloads in the browser's storage, and moving the bytes to the worker, which builds the model.

use std::collections::HashMap;

use leptos::prelude::*;
use soo_core::load::hf;
use soo_core::model::ModelConfig;
use soo_core::text::Tokenizer;
use web_sys::Response;

use super::{DEFAULT_ID, DEFAULT_LOCAL, ModelSource, Remote, file_name, remote};
use crate::client;
use crate::clock::now_ms;
use crate::fetch::{LocalFile, Started, cached, start_fetch, store};
use crate::protocol::{Event, Reply, Request};
use crate::session::{self, FileProgress, Lab, ModelInfo, ModelState};

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
