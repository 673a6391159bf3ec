//! Step 5: train live. The controls of `soo train` (hook layer, positions, LoRA rank and alpha,
//! learning rate, steps, seed, loss) over a preset with the paper's values, all in the address;
//! the core's `Trainer` runs one step at a time in the model's worker, which reads the page's
//! Stop between steps, while the page stays free to draw every step as it comes (`charts.rs`
//! draws them). The experiment exports as the TOML the command line runs, and the adapter as
//! peft's files.

mod charts;

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use soo_core::device::BackendKind;
use soo_core::experiment::Experiment;
use soo_core::lora::peft;
use soo_core::train::TrainConfig;
use soo_core::train::config::PRESETS;

use super::NeedsModel;
use crate::client;
use crate::controls::{labelled, setting_control};
use crate::fetch::{files_of_event, save_file};
use crate::params::params;
use crate::protocol::{Check, Event, Files, Point, Reply, Request};
use crate::session::{Lab, lab};
use crate::settings::STORY_SETTINGS;
use charts::{chart, check_chart, layer_chart};

/// A run's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    backend: BackendKind,
    total_steps: usize,
    points: Vec<Point>,
    checks: Vec<Check>,
    /// `None` while running; then "finished", "stopped" or the error.
    end: Option<String>,
}

/// The experiment file `soo run` reads: the model, the seed, the evaluation and `[train]`.
pub fn experiment_toml(model: &str, config: &TrainConfig, n: usize) -> Result<String, String> {
    let mut experiment = Experiment::new(model);
    experiment.train = config
        .to_toml()
        .parse()
        .map_err(|e: toml::de::Error| e.to_string())?;
    // soo run gives every seed its own run: the seed lives in `seeds`.
    experiment.train.remove("seed");
    experiment.seeds = vec![config.seed];
    experiment.eval.n = n;
    experiment.to_toml().map_err(|e| e.to_string())
}

/// Trains with `config` in the worker, publishing every step to `run`; with `every > 0` a
/// deception check runs before the first step, every `every` steps and at the end. The
/// page's Stop button reaches the worker between steps (`client::stop`).
async fn train(lab: Lab, config: TrainConfig, every: usize, run: RwSignal<Option<Run>>) {
    let on_event = move |event| match event {
        Event::TrainStarted {
            backend,
            total_steps,
        } => {
            // A fresh adapter each run.
            lab.trained.set(false);
            run.set(Some(Run {
                backend,
                total_steps,
                points: Vec::new(),
                checks: Vec::new(),
                end: None,
            }));
        }
        Event::Step(point) => {
            lab.trained.set(true);
            run.update(|r| {
                if let Some(r) = r {
                    r.points.push(point)
                }
            });
        }
        Event::Check(check) => run.update(|r| {
            if let Some(r) = r {
                r.checks.push(check)
            }
        }),
        _ => {}
    };
    let request = Request::Train { config, every };
    let end = match lab.call("training", request, Files::new(), on_event).await {
        Ok((Reply::Trained(end), _)) => end,
        Ok((other, _)) => format!("failed: {}", client::unexpected(other)),
        Err(e) => format!("failed: {e}"),
    };
    if run.get_untracked().is_none() {
        run.set(Some(Run {
            backend: BackendKind::Flex,
            total_steps: 0,
            points: Vec::new(),
            checks: Vec::new(),
            end: None,
        }));
    }
    run.update(|r| {
        if let Some(r) = r {
            r.end = Some(end)
        }
    });
    lab.generation.update(|g| *g += 1);
}

#[component]
pub fn Train() -> impl IntoView {
    let lab = lab();
    let params = params();
    let run = RwSignal::new(None::<Run>);
    let adapter_error = RwSignal::new(None::<String>);
    let adapter_loaded = RwSignal::new(false);
    let layers = Memo::new(move |_| lab.info().map_or(30, |i| i.layers));
    // The typed settings the trainer gets, and whether they are valid.
    let config = Memo::new(move |_| params.train_config(layers.get(), lab.on_cpu()));
    let checked = Memo::new(move |_| {
        config.with(|c| c.validate("the configuration").map_err(|e| e.to_string()))
    });
    let preset = Memo::new(move |_| params.preset_name());
    let every = Memo::new(move |_| params.every(lab.on_cpu()).to_string());
    // Rebuilt only when the link hides or shows controls.
    let controls = move || {
        let p = params;
        let preset_input = view! {
            <select data-testid="input-preset" prop:value=preset on:change=move |ev| {
                let v = event_target_value(&ev);
                // The preset's own values take over: clear what the address set over them.
                p.training.clear(&["layer", "rank", "alpha", "lr", "batch"]);
                p.preset.set.set(Some(v));
            }>
                {PRESETS.iter().map(|(n, _, _)| view! { <option value=*n>{*n}</option> }).collect_view()}
            </select>
        }
        .into_any();
        let every_input = view! {
            <input type="number" step="1" data-testid="input-every" prop:value=every
                on:change=p.every.on_change() />
        }
        .into_any();
        let settings = (0..STORY_SETTINGS.len()).map(move |i| {
            setting_control(
                p.training,
                i,
                config,
                Some(layers),
                p.hidden(STORY_SETTINGS[i].key),
            )
        });
        std::iter::once(labelled(
            "preset",
            "preset",
            preset_input,
            preset,
            p.hidden("preset"),
        ))
        .chain(settings)
        .chain(std::iter::once(labelled(
            "every",
            "deception check every (steps, 0 = off)",
            every_input,
            every,
            p.hidden("every"),
        )))
        .collect::<Vec<_>>()
    };
    let start = move |_| {
        if checked.get_untracked().is_ok() {
            spawn_local(train(
                lab,
                config.get_untracked(),
                params.every(lab.on_cpu()),
                run,
            ));
        }
    };
    let export = move || {
        let name = crate::model_source::ModelSource::from_param(params.model.get.get().as_deref())
            .export_name();
        let n = params.n.get.get().unwrap_or(100).max(100);
        let config = checked.get().map(|()| config.get());
        (
            config.as_ref().map(|c| c.to_toml()).map_err(Clone::clone),
            config.and_then(|c| experiment_toml(&name, &c, n)),
        )
    };
    let download_adapter = move |_| {
        adapter_error.set(None);
        spawn_local(async move {
            let result = lab
                .call(
                    "exporting the adapter",
                    Request::ExportAdapter,
                    Files::new(),
                    |_| {},
                )
                .await
                .and_then(|(_, files)| {
                    for (name, mime) in [
                        (peft::CONFIG_FILE, "application/json"),
                        (peft::WEIGHTS_FILE, "application/octet-stream"),
                    ] {
                        let bytes = files.get(name).ok_or("the adapter came back incomplete")?;
                        save_file(name, bytes, mime)?;
                    }
                    Ok(())
                });
            if let Err(e) = result {
                adapter_error.set(Some(e));
            }
        });
    };
    let import_adapter = move |ev: leptos::ev::Event| {
        let chosen = files_of_event(&ev.into());
        adapter_error.set(None);
        spawn_local(async move {
            let result = async {
                let find = |name: &str| chosen.iter().find(|f| f.name == name).cloned();
                let (Some(config), Some(weights)) =
                    (find(peft::CONFIG_FILE), find(peft::WEIGHTS_FILE))
                else {
                    return Err(format!(
                        "choose both {} and {} of an adapter folder",
                        peft::CONFIG_FILE,
                        peft::WEIGHTS_FILE
                    ));
                };
                let files = Files::from([
                    (peft::CONFIG_FILE.to_string(), config.bytes().await?),
                    (peft::WEIGHTS_FILE.to_string(), weights.bytes().await?),
                ]);
                lab.call("loading the adapter", Request::ImportAdapter, files, |_| {})
                    .await
                    .map(|_| ())
            }
            .await;
            match result {
                Ok(()) => {
                    lab.trained.set(true);
                    lab.generation.update(|g| *g += 1);
                    adapter_loaded.set(true);
                }
                Err(e) => adapter_error.set(Some(e)),
            }
        });
    };
    let hidden_all = move || {
        ["preset", "every"]
            .into_iter()
            .chain(STORY_SETTINGS.iter().map(|s| s.key))
            .all(|key| params.hidden(key))
    };
    view! {
        <p>"Now train. A small LoRA adapter (on the attention's q and v of every layer) learns to make the "
           "activations at the hook layer on each self prompt match those on its other twin, over soo's 52 "
           "training pairs. The presets hold the paper's values; the defaults are "<code>"soo train --preset smollm2-135m"</code>
           "'s. Every control is in the page's address: copy it to share this exact experiment."</p>
        <NeedsModel />
        <Show when=move || lab.on_cpu()>
            <p class="hint">"On the CPU backend one step of a 135M-parameter model takes tens of seconds, so runs "
               "default to 5 steps; with WebGPU they are many times faster."</p>
        </Show>
        <fieldset class="controls" data-testid="train-controls">
            <legend>{move || if hidden_all() { "Settings (fixed by the link)" } else { "Settings" }}</legend>
            {controls}
        </fieldset>
        {move || checked.get().err().map(|e| view! { <p class="notice error" role="alert" data-testid="config-error">{e}</p> })}
        <div class="row">
            <button type="button" data-testid="train-start" on:click=start
                disabled=move || lab.info().is_none() || lab.busy.get().is_some() || checked.get().is_err()>
                {move || if lab.trained.get() { "Train again (a fresh adapter)" } else { "Start training" }}</button>
            <button type="button" data-testid="story-train-stop" on:click=move |_| client::stop()
                disabled=move || !matches!(run.get(), Some(Run { end: None, .. }))>"Stop"</button>
        </div>
        {move || run.get().map(|r| {
            let done = r.points.len();
            let last = r.points.last().map_or("–".to_string(), |p| format!("{:.4e}, {:.0} ms per step", p.loss, p.step_ms));
            let mean_ms = r.points.iter().map(|p| p.step_ms).sum::<f64>() / done.max(1) as f64;
            let left = if r.end.is_none() && done > 0 && done < r.total_steps {
                format!("; about {:.0} s left", mean_ms * (r.total_steps - done) as f64 / 1000.0)
            } else {
                String::new()
            };
            let json = serde_json::to_string(&r).unwrap_or_default();
            view! {
                <p role="status" data-testid="story-train-status">{format!("Step {done} of {} on {}: SOO loss {last}{left}", r.total_steps, r.backend.name())}</p>
                <progress max=r.total_steps.max(1) value=done aria-label="training progress"></progress>
                {chart(&r.points, r.total_steps)}
                <div class="charts">
                    {(!r.checks.is_empty()).then(|| check_chart(&r.checks, r.total_steps))}
                    {layer_chart(&r.checks, config.get_untracked().hook.layer)}
                </div>
                {r.end.clone().map(|end| view! {
                    <p data-testid="story-train-end" data-json=json class:notice=end.starts_with("failed")
                        class:error=end.starts_with("failed")>{format!("Training {end}.")}</p>
                })}
            }
        })}
        <h3>"Take it to the command line"</h3>
        <p>"The same experiment, as files the "<code>"soo"</code>" command line runs unchanged."</p>
        {move || {
            let (config_toml, experiment) = export();
            view! {
                <div class="row">
                    <button type="button" data-testid="export-config" disabled=config_toml.is_err()
                        on:click={let t = config_toml.clone(); move |_| if let Ok(t) = &t { let _ = save_file("config.toml", t.as_bytes(), "application/toml"); }}>
                        "Export config.toml (soo train --config)"</button>
                    <button type="button" data-testid="export-experiment" disabled=experiment.is_err()
                        on:click={let t = experiment.clone(); move |_| if let Ok(t) = &t { let _ = save_file("experiment.toml", t.as_bytes(), "application/toml"); }}>
                        "Export experiment.toml (soo run)"</button>
                    <button type="button" data-testid="download-adapter" on:click=download_adapter
                        disabled=move || !lab.trained.get() || lab.busy.get().is_some()>"Download the adapter (peft)"</button>
                </div>
                <details>
                    <summary>"config.toml"</summary>
                    <pre data-testid="export-config-text">{config_toml.clone().unwrap_or_else(|e| e)}</pre>
                </details>
                <details>
                    <summary>"experiment.toml"</summary>
                    <pre data-testid="export-experiment-text">{experiment.clone().unwrap_or_else(|e| e)}</pre>
                </details>
            }
        }}
        <p>
            <label>"Or load an adapter trained by "<code>"soo train"</code>" (its "<code>"adapter/"</code>
                " folder's adapter_config.json and adapter_model.safetensors): "
                <input type="file" multiple data-testid="adapter-files" on:change=import_adapter
                    disabled=move || lab.info().is_none() || lab.busy.get().is_some() />
            </label>
            {move || adapter_loaded.get().then_some(view! {
                <span data-testid="adapter-loaded">" Adapter loaded: measure it in step 6."</span>
            })}
        </p>
        {move || adapter_error.get().map(|e| view! { <p class="notice error" role="alert" data-testid="adapter-error">{e}</p> })}
    }
}
