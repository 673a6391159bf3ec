//! `soo bench`: model load time, prefill and decode speed, and peak memory, for one prompt of a
//! chosen length and a fixed number of greedy new tokens (no early stop); with `--train`, SOO
//! training steps instead (`train.rs`). `--json` prints
//! `{"tool", "model", "backend", "prompt_tokens", "new_tokens", "load_seconds",
//! "prefill_tokens_per_second", "decode_tokens_per_second", "peak_rss_mib", "threads"}`, which
//! scripts/bench/transformers_bench.py reads to print both in one table.

use clap::Args;
use soo_core::generate::{GenerateOptions, Sampling};
use soo_core::{Error, Result};

mod machine;
mod train;

use crate::cli::generate::{rate, timed_generate};
use crate::cli::loading::{ModelArgs, load};
use machine::{matmul_peak_gflops, peak_rss_mib, threads};

/// The text the benchmark prompt repeats (plain prose, so its tokens are ordinary).
const FILLER: &str = "The quick brown fox jumps over the lazy dog while the farmer counts \
                      his sheep in the quiet valley below the old stone bridge. ";

/// Options of `soo bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Prompt length in tokens.
    #[arg(long, default_value_t = 128)]
    prompt_tokens: usize,
    /// New tokens to decode (greedy, never stopping early).
    #[arg(long, default_value_t = 64)]
    new_tokens: usize,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Benchmark SOO training steps instead of generation (see `train.rs`).
    #[arg(long)]
    train: bool,
    /// With --train: timed steps (after 2 untimed ones).
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Threads of the CPU backend (default: every core), to measure how speed scales.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// Runs the benchmark and prints the table.
pub fn run(args: BenchArgs) -> Result<()> {
    if let Some(n) = args.threads {
        machine::set_threads(n)?;
    }
    if args.train {
        return train::run(&args.model.source(), 2, args.steps.max(1), args.json);
    }
    if args.prompt_tokens == 0 || args.new_tokens < 2 {
        return Err(Error::Unsupported(
            "--prompt-tokens must be at least 1 and --new-tokens at least 2".into(),
        ));
    }
    let ready = load(&args.model.source())?;
    let loaded = &ready.loaded;
    let mut ids = Vec::new();
    while ids.len() < args.prompt_tokens {
        ids.extend(loaded.tokenizer.encode(FILLER, false)?);
    }
    ids.truncate(args.prompt_tokens);
    let options = GenerateOptions {
        max_new_tokens: args.new_tokens,
        sampling: Sampling::Greedy,
        stop_tokens: Vec::new(),
        pad_token: loaded.pad_token(),
    };
    let (_, timings) = timed_generate(&loaded.model, &ids, &options, &mut |_| {})?;
    let prefill = rate(timings.prefill_tokens, timings.prefill);
    let decode = rate(timings.decode_tokens, timings.decode);
    let peak = peak_rss_mib();
    let threads = threads();
    let machine_peak = matmul_peak_gflops(&ready.device.device);
    if args.json {
        let out = serde_json::json!({
            "tool": "soo",
            "model": args.model.model,
            "backend": ready.device.kind,
            "prompt_tokens": ids.len(),
            "new_tokens": args.new_tokens,
            "load_seconds": ready.load_time.as_secs_f64(),
            "prefill_tokens_per_second": prefill,
            "decode_tokens_per_second": decode,
            "peak_rss_mib": peak,
            "threads": threads,
            "matmul_peak_gflops": machine_peak,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "soo on {} ({} threads): {} prompt tokens, {} new tokens",
        ready.device.kind.name(),
        threads,
        ids.len(),
        args.new_tokens
    );
    println!(
        "{:<24} {:>12}",
        "model load (s)",
        format!("{:.2}", ready.load_time.as_secs_f64())
    );
    println!(
        "{:<24} {:>12}",
        "prefill (tokens/s)",
        format!("{prefill:.1}")
    );
    println!("{:<24} {:>12}", "decode (tokens/s)", format!("{decode:.1}"));
    println!(
        "{:<24} {:>12}",
        "matmul peak (GFLOP/s)",
        format!("{machine_peak:.1}")
    );
    let peak = peak.map_or("n/a".to_string(), |p| format!("{p:.0}"));
    println!("{:<24} {:>12}", "peak RSS (MiB)", peak);
    Ok(())
}
