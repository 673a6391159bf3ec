//! Step 4: where the activations differ. Latent SOO (`soo eval --latent`, docs/method.md §6): the MSE
//! between the outputs of every linear module of every layer on a self probe and its other
//! twin, as a layers × modules heat map; measured again after training, side by side.

use leptos::prelude::*;
use leptos::task::spawn_local;
use soo_core::eval::measure::latent::LatentTable;
use soo_core::model::Positions;

use super::NeedsModel;
use crate::client;
use crate::clock::now_ms;
use crate::params::params;
use crate::protocol::{Files, Reply, Request};
use crate::session::lab;

/// Viridis at `t` in [0, 1] (colour-blind safe, light to dark reads as low to high here
/// inverted: dark = far apart).
fn viridis(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [
        (253.0, 231.0, 37.0),
        (94.0, 201.0, 98.0),
        (33.0, 145.0, 140.0),
        (59.0, 82.0, 139.0),
        (68.0, 1.0, 84.0),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    format!("rgb({},{},{})", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// One heat map; `scale` is the log10 range shared by the maps shown together.
fn heat_map(
    title: &str,
    table: &LatentTable,
    scale: (f64, f64),
    hook: usize,
    testid: &str,
) -> impl IntoView + use<> {
    let (lo, hi) = scale;
    let shade = move |v: f64| {
        let t = (v.max(1e-30).log10() - lo) / (hi - lo).max(1e-9);
        (viridis(t), if t > 0.5 { "#fff" } else { "#000" })
    };
    let json = serde_json::to_string(table).unwrap_or_default();
    view! {
        <figure class="heat" data-testid=testid.to_string() data-json=json>
            <figcaption>{title.to_string()}</figcaption>
            <table class="heat-table">
                <tr><th scope="col">"layer"</th>
                    {table.modules.iter().map(|m| view! { <th scope="col">{m.trim_end_matches("_proj").to_string()}</th> }).collect_view()}
                    <th scope="col">"mean"</th></tr>
                {table.mse.iter().zip(&table.layer_mean).enumerate().map(|(layer, (row, mean))| view! {
                    <tr class:hook=layer == hook>
                        <th scope="row">{if layer == hook { format!("{layer} ◀ hook") } else { layer.to_string() }}</th>
                        {row.iter().chain(std::iter::once(mean)).map(|&v| {
                            let (bg, fg) = shade(v);
                            view! { <td style=format!("background:{bg};color:{fg}") title=format!("{v:.3e}")>{format!("{v:.1e}")}</td> }
                        }).collect_view()}
                    </tr>
                }).collect_view()}
            </table>
        </figure>
    }
}

#[component]
pub fn Overlap() -> impl IntoView {
    let lab = lab();
    let params = params();
    let positions = RwSignal::new(Positions::Last);
    let probes = RwSignal::new(8usize);
    let first = RwSignal::new(None::<LatentTable>);
    let latest = RwSignal::new(None::<(LatentTable, bool)>);
    let error = RwSignal::new(None::<String>);
    let ms = RwSignal::new(0.0);
    Effect::new(move |_| {
        // A new model: forget the old maps (training keeps them: that is the comparison).
        lab.model.track();
        first.set(None);
        latest.set(None);
    });
    let measure = move |_| {
        let request = Request::Overlap {
            probes: probes.get_untracked(),
            positions: positions.get_untracked(),
        };
        let trained = lab.trained.get_untracked();
        error.set(None);
        spawn_local(async move {
            let started = now_ms();
            let result = lab
                .call("measuring the overlap", request, Files::new(), |_| {})
                .await;
            ms.set(now_ms() - started);
            match result {
                Ok((Reply::Overlap(table), _)) => {
                    if !trained || first.get_untracked().is_none() {
                        first.set(Some(table.clone()));
                    }
                    latest.set(Some((table, trained)));
                }
                Ok((other, _)) => error.set(Some(client::unexpected(other))),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <p>"Where inside the model do \"you\" and \"Bob\" differ? For each layer and each of its linear modules "
           "(attention q, k, v, o; MLP gate, up, down) this compares the outputs on a self probe "
           "(\"You want to steal the …\") and its other twin (\"Bob wants to steal the …\"). "
           "Light = close (much overlap), dark = far apart. SOO training pulls the two together at the hook layer; "
           "measure again after step 5 to see where it moved."</p>
        <NeedsModel />
        <div class="row">
            <label>"Positions "
                <select data-testid="overlap-positions" on:change=move |ev| positions.set(
                    event_target_value(&ev).parse().unwrap_or(Positions::Last))>
                    <option value="last">"last token"</option>
                    <option value="all">"aligned prefix"</option>
                    <option value="mean">"mean over each prompt"</option>
                </select>
            </label>
            <label>"Probe pairs " <input type="number" min="1" max="52" data-testid="overlap-probes"
                prop:value=move || probes.get().to_string()
                on:change=move |ev| probes.set(event_target_value(&ev).parse().unwrap_or(8).clamp(1, 52)) /></label>
            <button type="button" data-testid="overlap-run" on:click=measure
                disabled=move || lab.info().is_none() || lab.busy.get().is_some()>
                {move || if lab.trained.get() { "Measure again (with the trained adapter)" } else { "Measure the overlap" }}
            </button>
        </div>
        {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        {move || {
            let hook = params
                .train_config(lab.info().map_or(0, |i| i.layers), lab.on_cpu())
                .hook
                .layer;
            let latest = latest.get()?;
            let first = first.get();
            let tables: Vec<&LatentTable> = first.iter().chain(std::iter::once(&latest.0)).collect();
            let values = tables.iter().flat_map(|t| t.mse.iter().flatten().copied()).filter(|v| *v > 0.0);
            let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v.log10()), hi.max(v.log10())));
            let scale = if lo <= hi { (lo, hi) } else { (0.0, 1.0) };
            let show_first = latest.1 && first.as_ref().is_some_and(|f| *f != latest.0);
            Some(view! {
                <p class="hint">{format!("Measured in {:.1} s. Colour scale: log10 of the MSE from {:.1} (lightest) to {:.1} (darkest).", ms.get() / 1000.0, scale.0, scale.1)}</p>
                <div class="heat-row">
                    {first.filter(|_| show_first).map(|f| heat_map("Before training", &f, scale, hook, "overlap-before"))}
                    {heat_map(if latest.1 { "With the trained adapter" } else { "The base model" }, &latest.0, scale, hook, "overlap-latest")}
                </div>
            })
        }}
    }
}
