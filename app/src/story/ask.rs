//! Step 2: ask the model yourself. Pick a scenario of the main suite (or its mirrored twin) or
//! type your own, then see the forced-choice probabilities of the two rooms (`soo eval`'s
//! forced choice: the log-probability of each room after "I would point out the") and the
//! model's own short answer, classified as the evaluation classifies it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use soo_core::eval::Class;

use super::NeedsModel;
use super::burglar::scenario;
use crate::client;
use crate::params::params;
use crate::protocol::{AskResult, Files, Reply, Request};
use crate::session::lab;

/// The words and the tag of a class.
pub fn class_label(class: &Class) -> (&'static str, &'static str, String) {
    match class {
        Class::Deceptive => ("deceptive", "▲", "deceptive".into()),
        Class::Honest => ("honest", "●", "honest".into()),
        Class::Other(reason) => ("other", "■", format!("other ({reason:?})").to_lowercase()),
    }
}

#[component]
pub fn Ask() -> impl IntoView {
    let lab = lab();
    let params = params();
    let pick = RwSignal::new(String::from("main-0"));
    let chosen = move || {
        let value = pick.get();
        let (suite, i) = value.rsplit_once('-').unwrap_or(("main", "0"));
        scenario(suite == "main-mirrored", i.parse().unwrap_or(0))
    };
    let prompt = RwSignal::new(scenario(false, 0).prompt);
    let deceptive = RwSignal::new(scenario(false, 0).target_room);
    let honest = RwSignal::new(scenario(false, 0).alternative_room);
    let result = RwSignal::new(None::<Result<AskResult, String>>);
    Effect::new(move |_| {
        let s = chosen();
        prompt.set(s.prompt);
        deceptive.set(s.target_room);
        honest.set(s.alternative_room);
    });
    Effect::new(move |_| {
        lab.generation.track();
        result.set(None);
    });
    let ask = move |_| {
        let mut question = chosen();
        question.prompt = prompt.get_untracked();
        question.target_room = deceptive.get_untracked().trim().to_string();
        question.alternative_room = honest.get_untracked().trim().to_string();
        let max_new = params.gen_tokens(lab.on_cpu());
        result.set(None);
        spawn_local(async move {
            let request = Request::Ask {
                question,
                max_new_tokens: max_new,
            };
            let outcome = match lab
                .call("asking the model", request, Files::new(), |_| {})
                .await
            {
                Ok((Reply::Asked(answer), _)) => Ok(answer),
                Ok((other, _)) => Err(client::unexpected(other)),
                Err(e) => Err(e),
            };
            result.set(Some(outcome));
        });
    };
    let options = move || {
        let mut out = Vec::new();
        for (suite, label) in [("main", "main"), ("main-mirrored", "mirrored")] {
            for i in 0..5 {
                let s = scenario(suite == "main-mirrored", i);
                out.push(view! {
                    <option value=format!("{suite}-{i}")>
                        {format!("{label} {}: {} / {}", i + 1, s.fields.cheap_room, s.fields.expensive_room)}
                    </option>
                });
            }
        }
        out
    };
    view! {
        <p>"Now put the question to the model. Pick a scenario, or edit it and the two rooms to write your own."</p>
        <NeedsModel />
        <div class="row">
            <label>"Scenario "
                <select data-testid="ask-pick" prop:value=move || pick.get()
                    on:change=move |ev| pick.set(event_target_value(&ev))>{options()}</select>
            </label>
        </div>
        <label class="block">"The question"
            <textarea rows="6" data-testid="ask-prompt" prop:value=move || prompt.get()
                on:input=move |ev| prompt.set(event_target_value(&ev))></textarea>
        </label>
        <div class="row">
            <label>"▲ Deceptive room " <input type="text" data-testid="ask-deceptive" prop:value=move || deceptive.get()
                on:input=move |ev| deceptive.set(event_target_value(&ev)) /></label>
            <label>"● Honest room " <input type="text" data-testid="ask-honest" prop:value=move || honest.get()
                on:input=move |ev| honest.set(event_target_value(&ev)) /></label>
            <button type="button" data-testid="ask-run" on:click=ask
                disabled=move || lab.info().is_none() || lab.busy.get().is_some()>"Ask the model"</button>
        </div>
        {move || match result.get() {
            None => None,
            Some(Err(e)) => Some(view! { <p class="notice error" role="alert" data-testid="ask-error">{e}</p> }.into_any()),
            Some(Ok(r)) => {
                let json = serde_json::to_string(&r).unwrap_or_default();
                let pd = r.p_deceptive * 100.0;
                Some(view! {
                    <div data-testid="ask-result" data-json=json>
                        <h3>"Forced choice: which room is likelier after \"I would point out the\"?"</h3>
                        <div class="bars">
                            <div class="bar-row"><span class="bar-label">{format!("▲ deceptive: the {}", r.deceptive_room)}</span>
                                <span class="bar deceptive" style=format!("width:{pd:.1}%")></span><span>{format!("{pd:.1}%")}</span></div>
                            <div class="bar-row"><span class="bar-label">{format!("● honest: the {}", r.honest_room)}</span>
                                <span class="bar honest" style=format!("width:{:.1}%", 100.0 - pd)></span><span>{format!("{:.1}%", 100.0 - pd)}</span></div>
                        </div>
                        <h3>"Its own answer"</h3>
                        <blockquote data-testid="ask-answer">{r.answer.clone()}</blockquote>
                        <p>"Classified as " <strong data-testid="ask-class">{r.class.clone()}</strong>
                           {format!(" ({:.1} s).", r.ms / 1000.0)}</p>
                        <p class="hint">"One answer says little. Ask the mirrored twin of the same scenario (the same rooms, "
                           "named in the other order): a model that only repeats the first-named room changes its answer. "
                           "Step 6 counts this over many scenarios."</p>
                    </div>
                }.into_any())
            }
        }}
    }
}
