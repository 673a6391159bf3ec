//! Everything a training run needs, as one TOML file: saved beside every output, overridable
//! key by key (`--set lora.rank=4`), with presets for the paper's models and for SmolLM2.

use serde::{Deserialize, Serialize};

use crate::lora::LoraConfig;
use crate::model::{ModulePath, Positions, Site};
use crate::{Error, Result};

/// What the run optimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Objective {
    /// SOO: MSE between self and other activations at `hook` (the paper's loss).
    SooMse,
    /// The authors' public code: KL(p_other ‖ p_self) of the logits.
    LogitKl,
    /// Exposure control: next-token loss on the SOO prompt strings themselves, no SOO term.
    Exposure,
    /// Sham control: next-token loss on neutral text, for the same number of steps.
    Sham,
    /// Supervised fine-tuning: next-token loss on `data.texts_file` (on each completion only,
    /// when examples have a prompt).
    Lm,
}

impl Objective {
    /// Whether the loss reads the `hook` module's activations (only SOO's MSE does; the other
    /// objectives work on logits, so a model of any depth can train with them).
    pub fn reads_hook(self) -> bool {
        self == Objective::SooMse
    }

    /// The name config files use (`soo-mse`, `exposure`...).
    pub fn name(self) -> &'static str {
        match self {
            Objective::SooMse => "soo-mse",
            Objective::LogitKl => "logit-kl",
            Objective::Exposure => "exposure",
            Objective::Sham => "sham",
            Objective::Lm => "lm",
        }
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Objective {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "soo-mse" => Ok(Objective::SooMse),
            "logit-kl" => Ok(Objective::LogitKl),
            "exposure" => Ok(Objective::Exposure),
            "sham" => Ok(Objective::Sham),
            "lm" => Ok(Objective::Lm),
            other => Err(format!(
                "objective '{other}': use soo-mse, logit-kl, exposure, sham or lm"
            )),
        }
    }
}

/// AdamW settings (PyTorch's names and meanings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimizerConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
}

impl Default for OptimizerConfig {
    /// The authors' code: AdamW, lr 1e-4, no weight decay.
    fn default() -> Self {
        OptimizerConfig {
            lr: 1e-4,
            weight_decay: 0.0,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

impl OptimizerConfig {
    /// burn's AdamW with these settings (decoupled decay, bias correction, `eps` outside the
    /// square root: PyTorch's `torch.optim.AdamW`).
    pub fn init(&self) -> burn::optim::ModuleOptimizer {
        burn::optim::AdamWConfig::new()
            .with_beta_1(self.beta1 as f32)
            .with_beta_2(self.beta2 as f32)
            .with_epsilon(self.eps as f32)
            .with_weight_decay(self.weight_decay as f32)
            .init()
    }
}

/// Where the training pairs come from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// A file of items (TOML `items = [...]` or a JSON list) to fill the paper's three
    /// templates with, instead of the built-in list.
    pub items_file: Option<String>,
    /// A file of self/other pairs (TOML `[[pairs]] self = ".." other = ".."` or JSON
    /// `[{"self": "..", "other": ".."}]`) used instead of templates × items.
    pub pairs_file: Option<String>,
    /// For `objective = "lm"`: a file of examples (TOML `[[examples]] prompt = ".." completion
    /// = ".."`, or JSON `{"examples": [...]}`; `prompt` may be left out to score whole texts).
    pub texts_file: Option<String>,
    /// Run each prompt through the model's chat template (as a user message, no generation
    /// prompt). The paper trains on the bare fragments.
    pub chat_template: bool,
}

/// Checkpointing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckpointConfig {
    /// Save every this many optimizer steps (0: only at the end).
    pub every: usize,
    /// Keep this many most recent checkpoints.
    pub keep: usize,
}

impl Default for CheckpointConfig {
    fn default() -> Self {
        CheckpointConfig { every: 10, keep: 2 }
    }
}

/// A whole training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Seeds LoRA's initialisation, the data order and dropout.
    pub seed: u64,
    /// What to optimise.
    pub objective: Objective,
    /// The module whose output SOO compares: `layers.L.self_attn.o_proj` (0-based L) in files.
    pub hook: ModulePath,
    /// Which token positions SOO compares.
    pub positions: Positions,
    /// Weight of an added KL-to-base term on neutral text (0: off).
    pub kl_weight: f64,
    /// Pairs per micro-batch.
    pub batch_size: usize,
    /// Micro-batches per optimizer step.
    pub grad_accum: usize,
    /// Passes over the pairs (ignored when `steps` is set).
    pub epochs: usize,
    /// Optimizer steps; overrides `epochs`.
    pub steps: Option<usize>,
    /// Stop once the loss is at most this.
    pub stop_loss: Option<f64>,
    /// Stop once the loss has fallen by this factor from the first step's (e.g. 10).
    pub stop_drop: Option<f64>,
    /// LoRA.
    pub lora: LoraConfig,
    /// AdamW.
    pub optimizer: OptimizerConfig,
    /// Training data.
    pub data: DataConfig,
    /// Checkpoints.
    pub checkpoints: CheckpointConfig,
}

impl Default for TrainConfig {
    /// SOO at the middle of a 30-layer model (SmolLM2-135M), the paper's positions-agnostic
    /// setting (`all`), LoRA on q/v.
    fn default() -> Self {
        TrainConfig {
            seed: 0,
            objective: Objective::SooMse,
            hook: ModulePath::new(19, Site::OProj),
            positions: Positions::All,
            kl_weight: 0.0,
            batch_size: 4,
            grad_accum: 1,
            epochs: 3,
            steps: None,
            stop_loss: None,
            stop_drop: None,
            lora: LoraConfig::default(),
            optimizer: OptimizerConfig::default(),
            data: DataConfig::default(),
            checkpoints: CheckpointConfig::default(),
        }
    }
}

/// The presets: name, what it is, and its TOML (over the defaults).
pub const PRESETS: [(&str, &str, &str); 4] = [
    (
        "mistral-7b",
        "the paper's Mistral-7B-Instruct-v0.2 recipe (layer 19, r 8, alpha 32, dropout 0.2, \
         lr 1e-4, 15 epochs, batch 4, accumulation 4)",
        "hook = \"layers.19.self_attn.o_proj\"\nepochs = 15\nbatch_size = 4\ngrad_accum = 4\n\
         [lora]\nrank = 8\nalpha = 32.0\ndropout = 0.2\n[optimizer]\nlr = 1e-4\n",
    ),
    (
        "gemma-2-27b",
        "the paper's Gemma-2-27b-it recipe (layer 20, r 4, alpha 8, dropout 0.1, lr 9e-4, \
         8 epochs)",
        "hook = \"layers.20.self_attn.o_proj\"\nepochs = 8\nbatch_size = 4\ngrad_accum = 4\n\
         [lora]\nrank = 4\nalpha = 8.0\ndropout = 0.1\n[optimizer]\nlr = 9e-4\n",
    ),
    (
        "calmerys-78b",
        "the paper's CalmeRys-78B-Orpo-v0.1 recipe (layer 57, r 5, alpha 16, dropout 0.111, \
         lr 9e-4, 9 epochs)",
        "hook = \"layers.57.self_attn.o_proj\"\nepochs = 9\nbatch_size = 4\ngrad_accum = 4\n\
         [lora]\nrank = 5\nalpha = 16.0\ndropout = 0.111\n[optimizer]\nlr = 9e-4\n",
    ),
    (
        "smollm2-135m",
        "SmolLM2-135M-Instruct (30 layers): layer 19 (the paper's 60% depth), r 8, alpha 32, \
         lr 1e-3, 5 epochs, batch 4",
        "hook = \"layers.19.self_attn.o_proj\"\nepochs = 5\nbatch_size = 4\ngrad_accum = 1\n\
         [lora]\nrank = 8\nalpha = 32.0\ndropout = 0.0\n[optimizer]\nlr = 1e-3\n",
    ),
];

impl TrainConfig {
    /// Builds a config: the defaults, then a preset, then a TOML file, then `key=value`
    /// overrides, each on top of the last. `file` is `(name, text)`.
    pub fn build(
        preset: Option<&str>,
        file: Option<(&str, &str)>,
        sets: &[String],
    ) -> Result<Self> {
        let mut value = toml::Value::try_from(TrainConfig::default())
            .map_err(|e| Error::Unsupported(format!("config defaults: {e}")))?;
        if let Some(name) = preset {
            let (_, _, text) = PRESETS.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
                let names: Vec<&str> = PRESETS.iter().map(|(n, _, _)| *n).collect();
                Error::Unsupported(format!("preset '{name}': use one of {}", names.join(", ")))
            })?;
            merge(&mut value, parse_toml(&format!("preset {name}"), text)?);
        }
        if let Some((name, text)) = file {
            merge(&mut value, parse_toml(name, text)?);
        }
        for set in sets {
            apply_set(&mut value, set)?;
        }
        let source = file.map_or("the configuration", |(name, _)| name);
        // Through text, so that an error can quote the setting it is about.
        let text = toml::to_string(&value)
            .map_err(|e| Error::Unsupported(format!("config does not serialise: {e}")))?;
        let config: TrainConfig = toml::from_str(&text).map_err(|e| {
            let setting = e
                .span()
                .map(|span| {
                    let start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
                    let end = text[span.start..]
                        .find('\n')
                        .map_or(text.len(), |i| span.start + i);
                    text[start..end].trim()
                })
                .filter(|line| !line.is_empty());
            Error::Format {
                file: source.to_string(),
                problem: match setting {
                    Some(line) => format!("{} (at `{line}`)", e.message()),
                    None => e.message().to_string(),
                },
            }
        })?;
        config.validate(source)?;
        Ok(config)
    }

    /// The config as TOML: what is saved beside every output, and what `--config` reads back.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a TrainConfig always serialises")
    }

    /// Checks the settings' ranges and combinations; `source` names the settings in errors (a
    /// file, or "the page's settings"). [`TrainConfig::build`] runs it: call it yourself on a
    /// config you assembled field by field.
    pub fn validate(&self, source: &str) -> Result<()> {
        let bad = |problem: String| Error::Format {
            file: source.to_string(),
            problem,
        };
        // Every rule is written so that NaN fails it (a comparison with NaN is false).
        let o = &self.optimizer;
        let reals: [(&str, f64, Real); 7] = [
            ("optimizer.lr", o.lr, Real::Positive),
            ("optimizer.weight_decay", o.weight_decay, Real::NonNegative),
            ("optimizer.beta1", o.beta1, Real::Unit),
            ("optimizer.beta2", o.beta2, Real::Unit),
            ("optimizer.eps", o.eps, Real::Positive),
            ("kl_weight", self.kl_weight, Real::NonNegative),
            ("lora.alpha", self.lora.alpha, Real::Positive),
        ];
        let optional = [
            ("stop_loss", self.stop_loss, Real::Positive),
            ("stop_drop", self.stop_drop, Real::AboveOne),
        ];
        let reals = reals.into_iter().chain(
            optional
                .into_iter()
                .filter_map(|(k, v, r)| Some((k, v?, r))),
        );
        for (key, value, rule) in reals {
            if !rule.holds(value) {
                return Err(bad(format!("{key} {value}: must be {}", rule.range())));
            }
        }
        if !(0.0..1.0).contains(&self.lora.dropout) {
            return Err(bad(format!(
                "lora.dropout {}: must be in [0, 1)",
                self.lora.dropout
            )));
        }
        let counts = [
            ("batch_size", self.batch_size, 1, MAX_BATCH),
            ("grad_accum", self.grad_accum, 1, MAX_BATCH),
            ("lora.rank", self.lora.rank, 1, MAX_RANK),
            (
                "epochs",
                self.epochs,
                usize::from(self.steps.is_none()),
                MAX_STEPS,
            ),
            ("steps", self.steps.unwrap_or(1), 1, MAX_STEPS),
            ("checkpoints.every", self.checkpoints.every, 0, MAX_STEPS),
            ("checkpoints.keep", self.checkpoints.keep, 1, MAX_KEEP),
        ];
        for (key, value, lo, hi) in counts {
            if !(lo..=hi).contains(&value) {
                let why = if key == "epochs" {
                    " (nothing to train)"
                } else {
                    ""
                };
                return Err(bad(format!("{key} {value}: must be in [{lo}, {hi}]{why}")));
            }
        }
        if self.objective == Objective::Lm && self.data.texts_file.is_none() {
            return Err(bad("objective \"lm\" needs data.texts_file".into()));
        }
        self.lora
            .target_sites()
            .map_err(|e| bad(format!("lora: {e}")))?;
        Ok(())
    }
}

/// Upper bounds of the counts: far above any sensible run, low enough to catch a typo (an extra
/// digit or two) before it allocates or loops for days.
const MAX_BATCH: usize = 4096;
const MAX_RANK: usize = 4096;
const MAX_STEPS: usize = 10_000_000;
const MAX_KEEP: usize = 1000;

/// The allowed range of a real-valued setting; every one excludes NaN and infinities.
#[derive(Clone, Copy)]
enum Real {
    /// (0, ∞)
    Positive,
    /// [0, ∞)
    NonNegative,
    /// [0, 1)
    Unit,
    /// (1, ∞)
    AboveOne,
}

impl Real {
    fn holds(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Real::Positive => x > 0.0,
                Real::NonNegative => x >= 0.0,
                Real::Unit => (0.0..1.0).contains(&x),
                Real::AboveOne => x > 1.0,
            }
    }

    fn range(self) -> &'static str {
        match self {
            Real::Positive => "positive and finite",
            Real::NonNegative => "at least 0 and finite",
            Real::Unit => "in [0, 1)",
            Real::AboveOne => "greater than 1 and finite",
        }
    }
}

fn parse_toml(name: &str, text: &str) -> Result<toml::Value> {
    text.parse::<toml::Table>()
        .map(toml::Value::Table)
        .map_err(|e| Error::Format {
            file: name.to_string(),
            problem: e.to_string(),
        })
}

/// Overlays `top` on `base`, table by table.
fn merge(base: &mut toml::Value, top: toml::Value) {
    match (base, top) {
        (toml::Value::Table(base), toml::Value::Table(top)) => {
            for (key, value) in top {
                match base.get_mut(&key) {
                    Some(existing) if existing.is_table() && value.is_table() => {
                        merge(existing, value)
                    }
                    _ => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, top) => *base = top,
    }
}

/// Applies `key.path=value`; the value is read as TOML (`4`, `1e-3`, `"last"`, `[1, 2]`),
/// or as a bare string when it is not valid TOML (`positions=last`).
fn apply_set(config: &mut toml::Value, set: &str) -> Result<()> {
    let bad = |problem: String| Error::Format {
        file: format!("--set {set}"),
        problem,
    };
    let (path, raw) = set
        .split_once('=')
        .ok_or_else(|| bad("write key=value, e.g. --set steps=6".into()))?;
    let value = format!("v = {raw}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let keys: Vec<&str> = path.trim().split('.').collect();
    let mut node = config;
    for (i, key) in keys.iter().enumerate() {
        let table = node
            .as_table_mut()
            .ok_or_else(|| bad(format!("{} is not a section", keys[..i].join("."))))?;
        if i + 1 == keys.len() {
            table.insert(key.to_string(), value);
            return Ok(());
        }
        node = table
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(Default::default()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_and_round_trip() {
        let file = "seed = 3\n[lora]\nrank = 4\n";
        let sets = vec![
            "steps=6".to_string(),
            "positions=last".into(),
            "lora.alpha=8".into(),
        ];
        let config =
            TrainConfig::build(Some("gemma-2-27b"), Some(("my.toml", file)), &sets).unwrap();
        assert_eq!(config.seed, 3);
        assert_eq!(config.lora.rank, 4); // the file beats the preset's 4... and keeps its own
        assert_eq!(config.lora.alpha, 8.0); // --set beats both
        assert_eq!(config.lora.dropout, 0.1); // the preset's, untouched
        assert_eq!(config.hook, ModulePath::new(20, Site::OProj));
        assert_eq!(config.steps, Some(6));
        assert_eq!(config.positions, Positions::Last);
        let again = TrainConfig::build(None, Some(("saved", &config.to_toml())), &[]).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn typed_settings_are_written_as_their_names() {
        let config = TrainConfig {
            hook: ModulePath::new(7, Site::OProj),
            positions: Positions::Mean,
            objective: Objective::Exposure,
            ..TrainConfig::default()
        };
        let text = config.to_toml();
        for line in [
            "hook = \"layers.7.self_attn.o_proj\"",
            "positions = \"mean\"",
            "objective = \"exposure\"",
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
        for objective in [
            Objective::SooMse,
            Objective::LogitKl,
            Objective::Exposure,
            Objective::Sham,
            Objective::Lm,
        ] {
            assert_eq!(objective.to_string().parse::<Objective>(), Ok(objective));
        }
        let err = TrainConfig::build(None, None, &["hook=\"layers.3.mlp.fc1\"".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("mlp.fc1") && err.contains("hook"), "{err}");
    }

    #[test]
    fn mistakes_are_named() {
        let cases: [(&[&str], &str); 5] = [
            (&["stpes=3"], "unknown field"),
            (&["steps"], "key=value"),
            (&["batch_size=0"], "batch_size"),
            (&["hook=\"layers.x.mlp\""], "hook"),
            (&["objective=\"honesty\""], "objective"),
        ];
        for (sets, expect) in cases {
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            let err = TrainConfig::build(None, None, &sets)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expect), "{sets:?}: {err}");
        }
        let err = TrainConfig::build(Some("gpt-5"), None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("smollm2-135m"), "{err}");
        let err = TrainConfig::build(None, Some(("bad.toml", "seed = [")), &[]).unwrap_err();
        assert!(err.to_string().contains("bad.toml"), "{err}");
    }

    /// Each bad `--set` and the words its error must hold: the key, the value and the range.
    fn rejects(cases: &[(&str, &[&str])]) {
        for (set, words) in cases {
            let err = TrainConfig::build(None, None, &[set.to_string()])
                .map(|_| panic!("{set} was accepted"))
                .unwrap_err()
                .to_string();
            for word in *words {
                assert!(err.contains(word), "{set}: {err} lacks {word:?}");
            }
        }
    }

    #[test]
    fn optimizer_settings_are_checked_with_their_ranges() {
        rejects(&[
            (
                "optimizer.beta1=5",
                &["optimizer.beta1 5: must be in [0, 1)"],
            ),
            ("optimizer.beta1=1", &["optimizer.beta1", "[0, 1)"]),
            ("optimizer.beta2=-0.1", &["optimizer.beta2 -0.1", "[0, 1)"]),
            ("optimizer.beta2=nan", &["optimizer.beta2 NaN", "[0, 1)"]),
            ("optimizer.lr=0", &["optimizer.lr 0", "positive"]),
            ("optimizer.lr=inf", &["optimizer.lr inf", "finite"]),
            ("optimizer.lr=nan", &["optimizer.lr NaN"]),
            ("optimizer.eps=0", &["optimizer.eps 0", "positive"]),
            ("optimizer.eps=-1e-8", &["optimizer.eps", "positive"]),
            ("optimizer.eps=nan", &["optimizer.eps NaN"]),
            (
                "optimizer.weight_decay=-1",
                &["optimizer.weight_decay -1", "at least 0"],
            ),
            (
                "optimizer.weight_decay=nan",
                &["optimizer.weight_decay NaN"],
            ),
        ]);
    }

    #[test]
    fn loss_weights_and_stop_rules_are_checked() {
        rejects(&[
            ("kl_weight=nan", &["kl_weight NaN", "at least 0"]),
            ("kl_weight=-0.5", &["kl_weight -0.5", "at least 0"]),
            ("kl_weight=inf", &["kl_weight inf", "finite"]),
            ("stop_loss=0", &["stop_loss 0", "positive"]),
            ("stop_loss=nan", &["stop_loss NaN"]),
            ("stop_loss=-1", &["stop_loss -1"]),
            ("stop_drop=1", &["stop_drop 1", "greater than 1"]),
            ("stop_drop=0.5", &["stop_drop 0.5", "greater than 1"]),
            ("stop_drop=nan", &["stop_drop NaN"]),
            ("stop_drop=inf", &["stop_drop inf", "finite"]),
        ]);
    }

    #[test]
    fn lora_settings_are_checked() {
        rejects(&[
            ("lora.alpha=0", &["lora.alpha 0", "positive"]),
            ("lora.alpha=nan", &["lora.alpha NaN"]),
            ("lora.alpha=-8", &["lora.alpha -8"]),
            ("lora.dropout=1", &["lora.dropout 1", "[0, 1)"]),
            ("lora.dropout=nan", &["lora.dropout NaN", "[0, 1)"]),
            ("lora.dropout=-0.1", &["lora.dropout -0.1"]),
            ("lora.rank=0", &["lora.rank 0", "[1, 4096]"]),
            ("lora.rank=100000", &["lora.rank 100000", "[1, 4096]"]),
            ("lora.targets=[]", &["no target modules"]),
        ]);
    }

    #[test]
    fn counts_are_checked() {
        rejects(&[
            ("batch_size=0", &["batch_size 0", "[1, 4096]"]),
            ("batch_size=100000", &["batch_size 100000"]),
            ("grad_accum=0", &["grad_accum 0", "[1, 4096]"]),
            ("steps=0", &["steps 0", "[1, 10000000]"]),
            ("steps=100000000", &["steps 100000000"]),
            ("epochs=0", &["epochs 0", "nothing to train"]),
            ("checkpoints.keep=0", &["checkpoints.keep 0", "[1, 1000]"]),
            ("checkpoints.every=100000000", &["checkpoints.every"]),
            ("steps=-1", &["steps"]),
        ]);
        // `steps` set: `epochs` is ignored, so 0 is fine.
        TrainConfig::build(None, None, &["steps=3".into(), "epochs=0".into()]).unwrap();
        for preset in PRESETS.map(|(name, _, _)| name) {
            TrainConfig::build(Some(preset), None, &[]).unwrap();
        }
    }
}
