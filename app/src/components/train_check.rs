//! The training check: SOO fine-tuning of a model fetched by URL (`?model=…&train=N`), N steps
//! on fixed token-id pairs, with a live loss chart and a Stop button. It runs the core's
//! `Trainer`, the same code as `soo train`, one step at a time, handing the page back to the
//! browser between steps so that it stays responsive. For now it needs no tokenizer, so the
//! tiny fixture models can train in the browser tests; the story around it is to come.

use std::collections::HashMap;

use leptos::prelude::*;
use serde::Serialize;
use soo_core::device::{BackendKind, SelectedDevice};
use soo_core::load::hf;
use soo_core::train::{Examples, TokenData, TrainConfig, Trainer};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::now_ms;
use crate::fetch::fetch_bytes;

/// The pairs: "self" and "other" token ids that differ in a few places and in length, as the
/// paper's pairs do (ids below 128, so every fixture model has them).
const SELF_IDS: [&[u32]; 2] = [&[1, 5, 9, 23, 7, 3], &[1, 8, 2, 4, 17]];
const OTHER_IDS: [&[u32]; 2] = [&[1, 6, 9, 23, 7, 3, 11], &[1, 8, 2, 4, 19]];

/// The run's settings over `soo train`'s defaults: SOO at the second layer of a two-layer
/// model, LoRA r 4 on q/v, a learning rate large enough to see the loss fall in a few steps.
const CONFIG: &str = "hook = \"layers.1.self_attn.o_proj\"\nbatch_size = 2\n\
                      [lora]\nrank = 4\nalpha = 8.0\n[optimizer]\nlr = 1e-2\n";

/// One step as the chart and the tests see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainPoint {
    step: usize,
    loss: f64,
    step_ms: f64,
}

/// Progress and result of the training check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainProgress {
    backend: BackendKind,
    total_steps: usize,
    points: Vec<TrainPoint>,
    /// `None` while running; then "finished", "stopped" or the error.
    end: Option<String>,
}

/// Lets the browser render and handle input before the next step.
async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), 0);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Fetches the model, then trains `steps` steps, publishing every step to `progress` and
/// stopping early when `stop` is set.
pub async fn run_train_check(
    base_url: &str,
    steps: usize,
    seed: u64,
    selected: &SelectedDevice,
    progress: RwSignal<Option<TrainProgress>>,
    stop: RwSignal<bool>,
) -> Result<(), String> {
    let base = format!("{}/", base_url.trim_end_matches('/'));
    let mut files = HashMap::new();
    for name in [hf::CONFIG, hf::SINGLE] {
        files.insert(
            name.to_string(),
            fetch_bytes(&format!("{base}{name}")).await?,
        );
    }
    let mut model = hf::load_model(files, &selected.device).map_err(|e| e.to_string())?;
    let config = TrainConfig::build(
        None,
        Some(("the page's training settings", CONFIG)),
        &[format!("steps={steps}"), format!("seed={seed}")],
    )
    .map_err(|e| e.to_string())?;
    let data = TokenData {
        examples: Examples::Pairs(
            SELF_IDS
                .iter()
                .zip(OTHER_IDS)
                .map(|(s, o)| (s.to_vec(), o.to_vec()))
                .collect(),
        ),
        neutral: Vec::new(),
        pairs: SELF_IDS.len(),
        pad: 0,
    };
    let mut trainer = Trainer::from_tokens(config, &mut model, data, &selected.device)
        .map_err(|e| e.to_string())?;
    progress.set(Some(TrainProgress {
        backend: selected.kind,
        total_steps: trainer.total_steps(),
        points: Vec::new(),
        end: None,
    }));
    let finish = |end: String| {
        progress.update(|p| {
            if let Some(p) = p {
                p.end = Some(end);
            }
        })
    };
    while !trainer.is_finished() {
        yield_to_browser().await;
        if stop.get_untracked() {
            finish("stopped".into());
            return Ok(());
        }
        let started = now_ms();
        let report = match trainer.step(&mut model).await {
            Ok(report) => report,
            Err(e) => {
                finish(e.to_string());
                return Err(e.to_string());
            }
        };
        let point = TrainPoint {
            step: report.step,
            loss: report.loss,
            step_ms: now_ms() - started,
        };
        progress.update(|p| {
            if let Some(p) = p {
                p.points.push(point);
            }
        });
    }
    finish("finished".into());
    Ok(())
}

/// The loss per step as an SVG polyline, scaled to the run's range.
fn loss_chart(points: &[TrainPoint], total: usize) -> impl IntoView {
    let (width, height, pad) = (320.0, 120.0, 8.0);
    let max = points.iter().map(|p| p.loss).fold(f64::MIN, f64::max);
    let min = points.iter().map(|p| p.loss).fold(f64::MAX, f64::min);
    let span = (max - min).max(1e-12);
    let x = |step: usize| {
        pad + (width - 2.0 * pad) * (step.saturating_sub(1)) as f64 / (total.max(2) - 1) as f64
    };
    let y = |loss: f64| pad + (height - 2.0 * pad) * (max - loss) / span;
    let line: Vec<String> = points
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p.step), y(p.loss)))
        .collect();
    let label = |value: f64| {
        if points.is_empty() {
            String::new()
        } else {
            format!("{value:.3e}")
        }
    };
    view! {
        <svg class="loss-chart" viewBox=format!("0 0 {width} {height}") role="img"
             aria-label=format!("SOO loss over {} of {total} steps", points.len())>
            <line x1=pad y1=pad x2=pad y2={height - pad} class="axis" />
            <line x1=pad y1={height - pad} x2={width - pad} y2={height - pad} class="axis" />
            <text x={pad + 4.0} y={pad + 8.0}>{label(max)}</text>
            <text x={pad + 4.0} y={height - pad - 4.0}>{label(min)}</text>
            <text x={width - pad} y={height - pad - 4.0} text-anchor="end">{format!("step {}", points.len())}</text>
            <polyline points=line.join(" ") fill="none" stroke="#0072B2" stroke-width="2" />
        </svg>
    }
}

/// The training check's live view.
///
/// - `progress`: `None` until the model is loaded; then every step as it happens.
/// - `stop`: set by the Stop button; the run ends before its next step.
#[component]
pub fn TrainCheckPanel(
    progress: RwSignal<Option<TrainProgress>>,
    stop: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <section aria-labelledby="train-check-heading">
            <h2 id="train-check-heading">"SOO training"</h2>
            {move || match progress.get() {
                None => view! {
                    <p role="status"><progress aria-label="model loading"></progress>" Loading the model…"</p>
                }.into_any(),
                Some(p) => {
                    let done = p.points.len();
                    let last = p.points.last().map_or(String::from("–"), |pt| format!("{:.6}", pt.loss));
                    let json = serde_json::to_string(&p).unwrap_or_default();
                    view! {
                        <p role="status">
                            {format!("Step {done} of {} on {}: SOO loss {last}", p.total_steps, p.backend.name())}
                        </p>
                        <progress max=p.total_steps value=done aria-label="training progress"></progress>
                        {loss_chart(&p.points, p.total_steps)}
                        <button type="button" data-testid="train-stop"
                                disabled=p.end.is_some()
                                on:click=move |_| stop.set(true)>"Stop"</button>
                        {p.end.clone().map(|end| view! {
                            <p data-testid="train-end">{format!("Training {end}.")}</p>
                            <details>
                                <summary>"Steps (JSON)"</summary>
                                <pre data-testid="train-json">{json.clone()}</pre>
                            </details>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}
