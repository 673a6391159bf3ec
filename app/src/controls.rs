//! The controls that edit the training settings in the address (`params::STORY_SETTINGS`,
//! `params::TOY_SETTINGS`): one kind of input per [`Input`], each showing its setting's value
//! in the typed config and writing the address when it changes.

use leptos::prelude::*;
use soo_core::train::TrainConfig;

use crate::params::BoundSettings;
use crate::settings::Input;

/// The control of setting `i` of `bound`, labelled, showing its value in `config`; when
/// `hidden` (a link's `hide=` or teacher mode), its value as fixed text instead. `layers` (the
/// model's layer count, once known) bounds a layer input.
///
/// Each control reads its own value through its own memo, so that it is written only when that
/// value changes: writing every input on any change (another control's, the worker reporting
/// in) would wipe what someone is typing into one of them.
pub fn setting_control<const N: usize>(
    bound: BoundSettings<N>,
    i: usize,
    config: Memo<TrainConfig>,
    layers: Option<Memo<usize>>,
    hidden: bool,
) -> AnyView {
    let setting = &bound.table[i];
    let (key, label, test_id) = (setting.key, setting.label, setting.test_id);
    let value = Memo::new(move |_| config.with(|c| (bound.table[i].field.read)(c)));
    if hidden {
        return labelled(key, label, ().into_any(), value, true);
    }
    let on_change = move |ev: leptos::ev::Event| bound.on_change(i, event_target_value(&ev));
    let input = match setting.input {
        Input::Number { step } => view! {
            <input type="number" step=step data-testid=test_id prop:value=value on:change=on_change />
        }
        .into_any(),
        Input::Layer { max } => {
            let max = move || layers.map_or(max, |l| l.get().saturating_sub(1));
            view! {
                <input type="number" min="0" max=max data-testid=test_id prop:value=value on:change=on_change />
            }
            .into_any()
        }
        Input::Choice(options) => view! {
            <select data-testid=test_id prop:value=value on:change=on_change>
                {options.iter().map(|(v, text)| view! { <option value=*v>{*text}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        Input::Toggle => view! {
            <input type="checkbox" data-testid=test_id prop:checked=move || value.get() == "true"
                on:change=move |ev| bound.on_change(i, event_target_checked(&ev).to_string()) />
        }
        .into_any(),
    };
    labelled(key, label, input, value, false)
}

/// A control's `input` with its `label`, or, when `hidden`, its `value` as fixed text (a link
/// that hides a control still sets it, and the reader sees to what).
pub fn labelled(
    key: &'static str,
    label: &'static str,
    input: AnyView,
    value: Memo<String>,
    hidden: bool,
) -> AnyView {
    if hidden {
        view! {
            <span class="fixed" data-testid=format!("fixed-{key}")>{move || format!("{label}: {}", value.get())}</span>
        }
        .into_any()
    } else {
        view! { <label data-testid=format!("control-{key}")>{label} " " {input}</label> }.into_any()
    }
}
