//! The story: seven steps from the burglar test to what SOO means, each one interactive. A
//! step navigator (a tab list: arrow keys, Home and End move between steps) keeps the current
//! step in the address (`step=`), so a link opens where it was shared.

mod ask;
mod burglar;
mod meaning;
mod measure;
mod overlap;
mod pairs;
mod train;

use leptos::prelude::*;

pub use ask::class_label;

use crate::params::params;
use crate::session::{ModelState, lab};

/// The steps: slug (for the address), short title (for the navigator).
pub const STEPS: [(&str, &str); 7] = [
    ("burglar", "The burglar test"),
    ("ask", "Ask the model"),
    ("pairs", "Self vs other"),
    ("overlap", "Where activations differ"),
    ("train", "Train"),
    ("measure", "Measure again"),
    ("meaning", "What it means"),
];

fn index_of(slug: &str) -> usize {
    STEPS.iter().position(|(s, _)| *s == slug).unwrap_or(0)
}

/// A note shown by steps that need a loaded model.
#[component]
pub fn NeedsModel() -> impl IntoView {
    let lab = lab();
    view! {
        <Show when=move || !matches!(lab.model.get(), ModelState::Ready(_))>
            <p class="notice fallback" data-testid="needs-model">
                "This step runs the model: load one first (the panel above; the default needs nothing from you)."
            </p>
        </Show>
    }
}

/// The navigator and the steps.
#[component]
pub fn Story() -> impl IntoView {
    let params = params();
    let current = Memo::new(move |_| index_of(&params.step.get.get().unwrap_or_default()));
    let go = move |i: usize| {
        let slug = STEPS[i.min(STEPS.len() - 1)].0;
        params.step.set.set((i != 0).then(|| slug.to_string()));
    };
    let focus_tab = |i: usize| {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("tab-{}", STEPS[i].0)))
            && let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el)
        {
            let _ = el.focus();
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let i = current.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" => (i + 1) % STEPS.len(),
            "ArrowLeft" | "ArrowUp" => (i + STEPS.len() - 1) % STEPS.len(),
            "Home" => 0,
            "End" => STEPS.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        go(next);
        focus_tab(next);
    };
    let panel = move |i: usize, body: AnyView| {
        let (slug, title) = STEPS[i];
        view! {
            <section role="tabpanel" id=format!("step-{slug}") class="step"
                aria-labelledby=format!("tab-{slug}") data-testid=format!("step-{slug}")
                hidden=move || current.get() != i>
                <h2 tabindex="-1">{format!("{}. {title}", i + 1)}</h2>
                {body}
            </section>
        }
    };
    view! {
        <nav class="story-nav" aria-label="The story, step by step">
            <div role="tablist" aria-label="Steps" class="steps" on:keydown=on_key>
                {STEPS.iter().enumerate().map(|(i, (slug, title))| view! {
                    <button type="button" role="tab" id=format!("tab-{slug}")
                        data-testid=format!("tab-{slug}")
                        aria-controls=format!("step-{slug}")
                        aria-selected=move || (current.get() == i).to_string()
                        tabindex=move || if current.get() == i { "0" } else { "-1" }
                        on:click=move |_| go(i)>
                        <span class="num">{i + 1}</span> " " {*title}
                    </button>
                }).collect_view()}
            </div>
        </nav>
        {panel(0, view! { <burglar::Burglar /> }.into_any())}
        {panel(1, view! { <ask::Ask /> }.into_any())}
        {panel(2, view! { <pairs::Pairs /> }.into_any())}
        {panel(3, view! { <overlap::Overlap /> }.into_any())}
        {panel(4, view! { <train::Train /> }.into_any())}
        {panel(5, view! { <measure::Measure /> }.into_any())}
        {panel(6, view! { <meaning::Meaning /> }.into_any())}
        <div class="step-buttons">
            <button type="button" data-testid="step-prev" disabled=move || current.get() == 0
                on:click=move |_| go(current.get_untracked().saturating_sub(1))>"← Previous"</button>
            <span>{move || format!("Step {} of {}", current.get() + 1, STEPS.len())}</span>
            <button type="button" data-testid="step-next" disabled=move || current.get() + 1 == STEPS.len()
                on:click=move |_| go(current.get_untracked() + 1)>"Next →"</button>
        </div>
    }
}
