//! The training check: SOO fine-tuning of a model fetched by URL (`?model=…&train=N`), N steps
//! on fixed token-id pairs, with a live loss chart and a Stop button. It runs the core's
//! `Trainer`, the same code as `soo train`, one step at a time in the model's worker, so that
//! the page stays responsive and Stop reaches the run between steps. For now it needs no tokenizer, so the
//! tiny fixture models can train in the browser tests; the story around it is to come.

use leptos::prelude::*;
use serde::Serialize;
use soo_core::device::BackendKind;
use soo_core::load::hf;

use crate::client;
use crate::fetch::fetch_bytes;
use crate::protocol::{Event, Files, Point, Reply, Request};

/// Progress and result of the training check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainProgress {
    backend: BackendKind,
    total_steps: usize,
    points: Vec<Point>,
    /// `None` while running; then "finished", "stopped" or the error.
    end: Option<String>,
}

/// Fetches the model; the worker trains it `steps` steps, each published to `progress`, and
/// ends early when Stop (`client::stop`) reaches it between steps.
pub async fn run_train_check(
    base_url: &str,
    steps: usize,
    seed: u64,
    progress: RwSignal<Option<TrainProgress>>,
) -> Result<(), String> {
    let base = format!("{}/", base_url.trim_end_matches('/'));
    let mut files = Files::new();
    for name in [hf::CONFIG, hf::SINGLE] {
        files.insert(
            name.to_string(),
            fetch_bytes(&format!("{base}{name}")).await?,
        );
    }
    let on_event = move |event| match event {
        Event::TrainStarted {
            backend,
            total_steps,
        } => progress.set(Some(TrainProgress {
            backend,
            total_steps,
            points: Vec::new(),
            end: None,
        })),
        Event::Step(point) => progress.update(|p| {
            if let Some(p) = p {
                p.points.push(point);
            }
        }),
        _ => {}
    };
    let result = match client::call(Request::TrainCheck { steps, seed }, files, on_event).await {
        Ok((Reply::Trained(end), _)) => Ok(end),
        Ok((other, _)) => Err(client::unexpected(other)),
        Err(e) => Err(e),
    };
    progress.update(|p| {
        if let Some(p) = p {
            p.end = Some(result.clone().unwrap_or_else(|e| e));
        }
    });
    result.map(|_| ())
}

/// The loss per step as an SVG polyline, scaled to the run's range.
fn loss_chart(points: &[Point], total: usize) -> impl IntoView {
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
/// The Stop button asks the worker to end the run before its next step.
#[component]
pub fn TrainCheckPanel(progress: RwSignal<Option<TrainProgress>>) -> impl IntoView {
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
                                on:click=move |_| client::stop()>"Stop"</button>
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
