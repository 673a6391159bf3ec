//! The training step's live charts, as inline SVG: the loss and step time per step, the
//! deception checks over the run, and latent SOO per layer.

use leptos::prelude::*;

use crate::protocol::{CHECK_SCENARIOS, Check, Point};

/// The loss and the step time of every step so far, each scaled to its own range.
pub(super) fn chart(points: &[Point], total: usize) -> impl IntoView + use<> {
    let (width, height, pad) = (320.0, 120.0, 8.0);
    let x = move |step: usize| {
        pad + (width - 2.0 * pad) * step.saturating_sub(1) as f64 / (total.max(2) - 1) as f64
    };
    let line = |values: Vec<f64>| {
        let max = values.iter().copied().fold(f64::MIN, f64::max);
        let min = values.iter().copied().fold(f64::MAX, f64::min);
        let span = (max - min).max(1e-12);
        let pts: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                format!(
                    "{:.1},{:.1}",
                    x(i + 1),
                    pad + (height - 2.0 * pad) * (max - v) / span
                )
            })
            .collect();
        (pts.join(" "), min, max)
    };
    let (loss, lmin, lmax) = line(points.iter().map(|p| p.loss).collect());
    let (time, tmin, tmax) = line(points.iter().map(|p| p.step_ms).collect());
    let some = !points.is_empty();
    view! {
        <div class="charts">
            <svg class="loss-chart" viewBox=format!("0 0 {width} {height}") role="img"
                aria-label=format!("SOO loss over {} of {total} steps", points.len())>
                <line x1=pad y1=pad x2=pad y2={height - pad} class="axis" />
                <line x1=pad y1={height - pad} x2={width - pad} y2={height - pad} class="axis" />
                <text x={pad + 4.0} y={pad + 8.0}>{if some { format!("loss {lmax:.3e}") } else { String::new() }}</text>
                <text x={pad + 4.0} y={height - pad - 4.0}>{if some { format!("{lmin:.3e}") } else { String::new() }}</text>
                <text x={width - pad} y={height - pad - 4.0} text-anchor="end">{format!("step {}", points.len())}</text>
                <polyline points=loss fill="none" stroke="#0072B2" stroke-width="2" />
            </svg>
            <svg class="loss-chart time-chart" viewBox=format!("0 0 {width} {height}") role="img"
                aria-label="time per step">
                <line x1=pad y1=pad x2=pad y2={height - pad} class="axis" />
                <line x1=pad y1={height - pad} x2={width - pad} y2={height - pad} class="axis" />
                <text x={pad + 4.0} y={pad + 8.0}>{if some { format!("step time {tmax:.0} ms") } else { String::new() }}</text>
                <text x={pad + 4.0} y={height - pad - 4.0}>{if some { format!("{tmin:.0} ms") } else { String::new() }}</text>
                <polyline points=time fill="none" stroke="#D55E00" stroke-width="2" stroke-dasharray="4 2" />
            </svg>
        </div>
    }
}

/// The live deception checks: main (▲, solid) and mirrored (●, dashed), 0–100%.
pub(super) fn check_chart(checks: &[Check], total: usize) -> impl IntoView + use<> {
    let (width, height, pad) = (320.0, 120.0, 8.0);
    let x = move |step: usize| pad + (width - 2.0 * pad) * step as f64 / total.max(1) as f64;
    let y = move |rate: f64| pad + (height - 2.0 * pad) * (1.0 - rate);
    let line = |pick: fn(&Check) -> f64| {
        checks
            .iter()
            .map(|c| format!("{:.1},{:.1}", x(c.step), y(pick(c))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let last = checks.last().map(|c| {
        format!(
            "step {}: ▲ named first {:.0}%, ● named second {:.0}%",
            c.step,
            c.main * 100.0,
            c.mirrored * 100.0
        )
    });
    view! {
        <figure class="check-chart">
            <svg class="loss-chart" viewBox=format!("0 0 {width} {height}") role="img"
                aria-label=last.clone().unwrap_or_default()>
                <line x1=pad y1=pad x2=pad y2={height - pad} class="axis" />
                <line x1=pad y1={height - pad} x2={width - pad} y2={height - pad} class="axis" />
                <text x={pad + 4.0} y={pad + 8.0}>"100% deceptive"</text>
                <text x={pad + 4.0} y={height - pad - 4.0}>"0%"</text>
                <polyline points=line(|c| c.main) fill="none" stroke="#D55E00" stroke-width="2" />
                <polyline points=line(|c| c.mirrored) fill="none" stroke="#0072B2" stroke-width="2" stroke-dasharray="5 3" />
            </svg>
            <figcaption data-testid="check-caption">{format!(
                "Forced choice on {CHECK_SCENARIOS} held-out scenarios per order, during training: ▲ solid = deceptive room named first, ● dashed = named second. {}",
                last.unwrap_or_default())}</figcaption>
        </figure>
    }
}

/// Latent SOO per layer at the first and the latest check (log scale): where training pulled
/// self and other together.
pub(super) fn layer_chart(checks: &[Check], hook: usize) -> impl IntoView + use<> {
    let (width, height, pad) = (320.0, 120.0, 8.0);
    let (Some(first), Some(last)) = (checks.first(), checks.last()) else {
        return None;
    };
    let layers = first.layers.len().max(1);
    let logs = |c: &Check| {
        c.layers
            .iter()
            .map(|v| v.max(1e-30).log10())
            .collect::<Vec<_>>()
    };
    let all: Vec<f64> = logs(first).into_iter().chain(logs(last)).collect();
    let (lo, hi) = all
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let span = (hi - lo).max(1e-9);
    let x = move |l: usize| pad + (width - 2.0 * pad) * l as f64 / (layers.max(2) - 1) as f64;
    let y = move |v: f64| pad + (height - 2.0 * pad) * (hi - v) / span;
    let line = |c: &Check| {
        logs(c)
            .iter()
            .enumerate()
            .map(|(l, v)| format!("{:.1},{:.1}", x(l), y(*v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let hook_x = x(hook.min(layers - 1));
    let caption = format!(
        "Self/other distance per layer (latent SOO, log scale, lower = more overlap): dotted = step {}, solid = step {}; the vertical line is the hook layer {hook}.",
        first.step, last.step
    );
    Some(view! {
        <figure class="check-chart">
            <svg class="loss-chart" viewBox=format!("0 0 {width} {height}") role="img" aria-label=caption.clone()>
                <line x1=pad y1=pad x2=pad y2={height - pad} class="axis" />
                <line x1=pad y1={height - pad} x2={width - pad} y2={height - pad} class="axis" />
                <line x1=hook_x y1=pad x2=hook_x y2={height - pad} stroke="#555" stroke-dasharray="2 2" />
                <text x={pad + 4.0} y={pad + 8.0}>"far apart"</text>
                <text x={pad + 4.0} y={height - pad - 4.0}>"overlap"</text>
                <text x={width - pad} y={height - pad - 4.0} text-anchor="end">{format!("layer {}", layers - 1)}</text>
                <polyline points=line(first) fill="none" stroke="#999" stroke-width="2" stroke-dasharray="1 3" />
                <polyline points=line(last) fill="none" stroke="#009E73" stroke-width="2" />
            </svg>
            <figcaption data-testid="layer-caption">{caption}</figcaption>
        </figure>
    })
}
