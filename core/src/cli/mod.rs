//! The subcommands of `soo`, one module each. Every subcommand returns the core's error; this
//! module prints it as one line (`error: <file>: <problem>`) and exits with status 1.

mod activations;
mod bench;
mod eval;
mod experiment;
mod export;
mod generate;
mod loading;
mod logits;
mod organism;
mod progress;
mod rl;
mod selfcheck;
mod steer;
mod tokenize;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "soo",
    version,
    about = "Self-Other Overlap fine-tuning toolkit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one training step of a tiny MLP on fixed inputs: checks that the backend computes,
    /// differentiates and optimises correctly (the browser runs the same step).
    Selfcheck(selfcheck::SelfcheckArgs),
    /// Show the token ids (and tokens) a model's tokenizer makes of a text.
    Tokenize(tokenize::TokenizeArgs),
    /// Show the most likely next tokens after a prompt, with their logits.
    Logits(logits::LogitsArgs),
    /// Continue a prompt, streaming the text, and report the speed.
    Generate(generate::GenerateArgs),
    /// Show one module's output at a prompt's last token.
    Activations(activations::ActivationsArgs),
    /// Measure model load time, prefill and decode speed and peak memory.
    Bench(bench::BenchArgs),
    /// Run deception suites on a model and write a report (JSON and Markdown).
    Eval(eval::EvalArgs),
    /// Compute the steering baseline's vector (mean self minus mean other activations over the
    /// SOO pairs at a hook) for `soo eval --steering`.
    Steer(steer::SteerArgs),
    /// Train a LoRA adapter with the SOO loss (or a control) and save it in peft's layout.
    Train(train::TrainArgs),
    /// Check an adapter against its model and copy it, or merge it into full weights.
    Export(export::ExportArgs),
    /// A whole experiment from one TOML file: base eval, training (SOO and controls, several
    /// seeds), eval of every adapter, and a comparison table.
    Run(experiment::RunArgs),
    /// Build a model organism (a model taught to deceive, on purpose) or measure one.
    Organism(organism::OrganismArgs),
    /// The paper's reinforcement-learning experiment: train, SOO fine-tune and measure agents.
    Rl(rl::RlArgs),
}

/// Parses the command line, runs the subcommand and returns the process's exit status.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Selfcheck(args) => selfcheck::run(args),
        Command::Tokenize(args) => tokenize::run(args),
        Command::Logits(args) => logits::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Activations(args) => activations::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Steer(args) => steer::run(args),
        Command::Train(args) => train::run(args),
        Command::Export(args) => export::run(args),
        Command::Run(args) => experiment::run(args),
        Command::Organism(args) => organism::run(args),
        Command::Rl(args) => rl::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
