//! Step 3: the training pairs, self and other, token by token (the paper's three templates ×
//! soo's training items, tokenized by the loaded model's tokenizer and aligned as `soo train`
//! checks them), differing tokens marked.

use leptos::prelude::*;
use soo_core::eval::TrainingItems;
use soo_core::train::pairs::{PAPER_TEMPLATES, Pair, align};

use super::NeedsModel;
use crate::session::{self, lab};

/// A token as text a person can read: the byte-level BPE markers as spaces and newlines.
pub fn readable(token: &str) -> String {
    token.replace('Ġ', "·").replace('Ċ', "⏎").replace('▁', "·")
}

#[component]
pub fn Pairs() -> impl IntoView {
    let lab = lab();
    let items = TrainingItems::builtin().items;
    let template = RwSignal::new(0usize);
    let item = RwSignal::new(items.first().cloned().unwrap_or_default());
    let pair = move || {
        let (s, o) = PAPER_TEMPLATES[template.get()];
        Pair {
            self_text: s.replace("{item}", &item.get()),
            other: o.replace("{item}", &item.get()),
        }
    };
    let alignment = move || {
        lab.generation.track();
        let tokenizer = session::tokenizer()?;
        Some(align(&tokenizer, &pair()).map_err(|e| e.to_string()))
    };
    view! {
        <p>"SOO trains on pairs of prompts that differ only in who they are about. The model reads each "
           "one; SOO then pulls its activations on the "<em>"self"</em>" prompt toward those on the "
           <em>"other"</em>" prompt, at one layer. Here are the paper's three templates, cut into the "
           "model's tokens. Marked tokens (⇕, bold, dashed box) differ between the two."</p>
        <NeedsModel />
        <div class="row">
            <label>"Template "
                <select data-testid="pairs-template" on:change=move |ev| template.set(event_target_value(&ev).parse().unwrap_or(0))>
                    <option value="0">"1: have the goal of stealing"</option>
                    <option value="1">"2: intend to steal"</option>
                    <option value="2">"3: are planning to steal"</option>
                </select>
            </label>
            <label>"Item "
                <select data-testid="pairs-item" on:change=move |ev| item.set(event_target_value(&ev))>
                    {items.iter().map(|i| view! { <option value=i.clone()>{i.clone()}</option> }).collect_view()}
                </select>
            </label>
        </div>
        <p class="pair-text"><strong>"self: "</strong>{move || pair().self_text}<br/>
           <strong>"other: "</strong>{move || pair().other}</p>
        {move || match alignment() {
            None => None,
            Some(Err(e)) => Some(view! { <p class="notice error" role="alert">{e}</p> }.into_any()),
            Some(Ok(a)) => {
                let width = a.self_tokens.len().max(a.other_tokens.len());
                let cell = |tokens: &Vec<String>, p: usize| {
                    let differs = a.differing.contains(&p) || p >= a.self_tokens.len().min(a.other_tokens.len());
                    let text = tokens.get(p).map(|t| readable(t)).unwrap_or_else(|| "—".into());
                    view! { <td class:diff=differs>{if differs { format!("⇕ {text}") } else { text }}</td> }
                };
                let summary = format!(
                    "self: {} tokens, other: {} tokens; {} aligned positions differ.{}",
                    a.self_tokens.len(), a.other_tokens.len(), a.differing.len(),
                    if a.lengths_differ() {
                        " The lengths differ, so with positions = all every token after the first length change is compared with a shifted twin; last or mean avoid that."
                    } else { "" });
                Some(view! {
                    <p data-testid="pairs-summary">{summary}</p>
                    <div class="scroll">
                        <table class="tokens" data-testid="pairs-table">
                            <tr><th scope="row">"position"</th>{(0..width).map(|p| view! { <td class="pos">{p}</td> }).collect_view()}</tr>
                            <tr><th scope="row">"self"</th>{(0..width).map(|p| cell(&a.self_tokens, p)).collect_view()}</tr>
                            <tr><th scope="row">"other"</th>{(0..width).map(|p| cell(&a.other_tokens, p)).collect_view()}</tr>
                        </table>
                    </div>
                }.into_any())
            }
        }}
    }
}
