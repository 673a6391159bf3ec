//! `soo bench --train`: the speed and memory of SOO training steps, set up exactly as
//! scripts/bench/peft_soo_bench.py sets up PyTorch + peft (same model, pairs, LoRA, hook,
//! loss and optimizer), so the two rows compare like with like.

use std::time::Instant;

use soo_core::Result;
use soo_core::train::pairs::pairs_from_items;
use soo_core::train::{TrainConfig, Trainer};

use super::machine::{peak_rss_mib, threads};
use crate::cli::loading::{ModelSource, load};

/// The items of the benchmark's four pairs (the Python benchmark uses the same).
const ITEMS: [&str; 4] = [
    "jade figurine",
    "gold pocket watch",
    "signed guitar",
    "opal tiara",
];

/// Times `steps` SOO steps after `warmup` untimed ones and prints the row.
pub fn run(model: &ModelSource, warmup: usize, steps: usize, json: bool) -> Result<()> {
    let mut ready = load(model)?;
    let items: Vec<String> = ITEMS.iter().map(|s| s.to_string()).collect();
    let pairs = pairs_from_items(&items);
    let sets: Vec<String> = [
        "hook=\"layers.19.self_attn.o_proj\"",
        "positions=\"all\"",
        "batch_size=4",
        "grad_accum=1",
        "lora.rank=8",
        "lora.alpha=32.0",
        "lora.dropout=0.0",
        "optimizer.lr=1e-4",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("steps={}", warmup + steps)])
    .collect();
    let config = TrainConfig::build(None, None, &sets)?;
    let device = ready.device.device.clone();
    let mut trainer = Trainer::new(config, &mut ready.loaded, &pairs, &[], &device)?;
    let mut times = Vec::new();
    let mut tokens = 0;
    for step in 0..warmup + steps {
        let started = Instant::now();
        let report = pollster::block_on(trainer.step(&mut ready.loaded.model))?;
        if step >= warmup {
            times.push(started.elapsed().as_secs_f64());
            tokens = report.tokens;
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let peak = peak_rss_mib();
    let threads = threads();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "tool": "soo",
                "backend": ready.device.kind,
                "median_step_seconds": median,
                "tokens_per_step": tokens,
                "tokens_per_second": tokens as f64 / median,
                "peak_rss_mib": peak,
                "threads": threads,
            })
        );
        return Ok(());
    }
    println!(
        "soo SOO step on {} ({threads} threads): batch 4 pairs, {tokens} tokens/step, \
         LoRA r 8 on q/v, hook layers.19.self_attn.o_proj, median of {steps} steps",
        ready.device.kind.name()
    );
    println!("{:<24} {:>12}", "step (s)", format!("{median:.3}"));
    println!(
        "{:<24} {:>12}",
        "tokens/s",
        format!("{:.1}", tokens as f64 / median)
    );
    let peak = peak.map_or("n/a".to_string(), |p| format!("{p:.0}"));
    println!("{:<24} {:>12}", "peak RSS (MiB)", peak);
    Ok(())
}
