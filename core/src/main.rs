//! `soo`: the native command line for full-size runs. Each subcommand is a thin shell over
//! soo-core; `--json` output is for scripts and is kept stable.

use clap::{Parser, Subcommand};
use soo_core::device::{BackendKind, select_device};
use soo_core::selfcheck::{TinyStepConfig, run_tiny_step};

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
    Selfcheck {
        /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
        #[arg(long, default_value = "flex")]
        backend: BackendKind,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    if let Err(message) = run(cli) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Selfcheck { backend, json } => {
            let selected = pollster::block_on(select_device(backend));
            let config = TinyStepConfig::default();
            let started = std::time::Instant::now();
            let report = pollster::block_on(run_tiny_step(&config, &selected.device))
                .map_err(|e| e.to_string())?;
            let elapsed = started.elapsed();
            if json {
                let out = serde_json::json!({
                    "backend": selected.kind,
                    "reason": selected.reason,
                    "config": config,
                    "report": report,
                    "seconds": elapsed.as_secs_f64(),
                });
                println!("{out}");
            } else {
                println!("backend: {} ({})", selected.kind.name(), selected.reason);
                println!("loss before: {:.7}", report.loss_before);
                println!("loss after:  {:.7}", report.loss_after);
                println!("time: {:.1} ms", elapsed.as_secs_f64() * 1e3);
            }
            Ok(())
        }
    }
}
