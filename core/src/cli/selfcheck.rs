//! `soo selfcheck`: one training step of a tiny MLP on fixed inputs, to check that a backend
//! computes, differentiates and optimises correctly (the browser runs the same step). The
//! `--json` keys (`backend`, `reason`, `config`, `report`, `seconds`) are read by the browser
//! test: keep them.

use clap::Args;
use soo_core::device::{BackendKind, select_device};
use soo_core::selfcheck::{TinyStepConfig, run_tiny_step};

/// Options of `soo selfcheck`.
#[derive(Args)]
pub struct SelfcheckArgs {
    /// `flex` (CPU) or `wgpu` (GPU; falls back to the CPU with the reason).
    #[arg(long, default_value = "flex")]
    backend: BackendKind,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the step and prints the losses (or the JSON report).
pub fn run(args: SelfcheckArgs) -> soo_core::Result<()> {
    let selected = pollster::block_on(select_device(args.backend));
    let config = TinyStepConfig::default();
    let started = std::time::Instant::now();
    let report = pollster::block_on(run_tiny_step(&config, &selected.device))?;
    let elapsed = started.elapsed();
    if args.json {
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
