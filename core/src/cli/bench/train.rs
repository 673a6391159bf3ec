//! `soo bench --train`: the speed and memory of SOO training steps, set up exactly as
//! scripts/bench/peft_soo_bench.py sets up PyTorch + peft (same model, pairs, LoRA, hook,
//! loss and optimizer), so the two rows compare like with like.

use std::time::Instant;

use soo_core::Result;
use soo_core::train::pairs::pairs_from_items;
use soo_core::train::{TrainConfig, Trainer};

use soo_core::model::ModelShape;

use super::machine::{matmul_peak_gflops, peak_rss_mib, threads};
use crate::cli::loading::{ModelSource, load};

/// The items of the benchmark's four pairs (the Python benchmark uses the same).
const ITEMS: [&str; 4] = [
    "jade figurine",
    "gold pocket watch",
    "signed guitar",
    "opal tiara",
];

/// The layer the benchmark hooks (SmolLM2's preset: the paper's 60% depth of 30 layers).
const HOOK_LAYER: usize = 19;
/// Sequences per step: 4 pairs, a self and an other prompt each.
const SEQUENCES: usize = 8;

/// About the matmul FLOPs of one SOO step: every sequence forward through the layers up to the
/// hook, and backward to the inputs (the same products again, transposed; the rank-r LoRA
/// gradients are left out as small): 2 × (2 × tokens × weights + attention). For SmolLM2 with
/// 160 tokens, about 45 GFLOP.
fn step_flops(shape: &ModelShape, tokens: usize) -> f64 {
    let weights_per_layer = shape.hidden * (shape.q_dim + 2 * shape.kv_dim)
        + shape.q_dim * shape.hidden
        + 3 * shape.hidden * shape.intermediate;
    let layers = (HOOK_LAYER + 1).min(shape.layers) as f64;
    let seq = tokens as f64 / SEQUENCES as f64;
    let linear = 2.0 * tokens as f64 * weights_per_layer as f64 * layers;
    // QKᵀ and the weighted sum of V: 2 × seq² × q_dim each, per sequence and layer.
    let attention = 4.0 * seq * seq * shape.q_dim as f64 * SEQUENCES as f64 * layers;
    2.0 * (linear + attention)
}

/// Times `steps` SOO steps after `warmup` untimed ones and prints the row.
pub fn run(model: &ModelSource, warmup: usize, steps: usize, json: bool) -> Result<()> {
    let mut ready = load(model)?;
    let items: Vec<String> = ITEMS.iter().map(|s| s.to_string()).collect();
    let pairs = pairs_from_items(&items);
    let sets: Vec<String> = [
        &*format!("hook=\"layers.{HOOK_LAYER}.self_attn.o_proj\""),
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
    let flops = step_flops(ready.loaded.model.shape(), tokens);
    let achieved = flops / median / 1e9;
    let machine_peak = matmul_peak_gflops(&device);
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
                "step_gflop": flops / 1e9,
                "achieved_gflops": achieved,
                "matmul_peak_gflops": machine_peak,
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
    println!(
        "{:<24} {:>12}",
        "GFLOP/step (matmuls)",
        format!("{:.1}", flops / 1e9)
    );
    println!(
        "{:<24} {:>12}",
        "GFLOP/s achieved",
        format!("{achieved:.1}")
    );
    println!(
        "{:<24} {:>12}",
        "matmul peak (GFLOP/s)",
        format!("{machine_peak:.1}")
    );
    println!(
        "{:<24} {:>12}",
        "share of the peak",
        format!("{:.0}%", 100.0 * achieved / machine_peak)
    );
    let peak = peak.map_or("n/a".to_string(), |p| format!("{p:.0}"));
    println!("{:<24} {:>12}", "peak RSS (MiB)", peak);
    Ok(())
}
