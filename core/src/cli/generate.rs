//! `soo generate`: continues a prompt, streaming the text as it comes, then prints the prefill
//! and decode speeds (on stderr, so stdout holds only the text). `--json` prints one object at
//! the end: `{"model", "backend", "prompt_ids", "new_ids", "text", "finish", "prefill_tokens",
//! "prefill_seconds", "decode_tokens", "decode_seconds"}`.

use std::io::Write;
use std::time::{Duration, Instant};

use clap::Args;
use soo_core::generate::{Finish, GenerateEvent, GenerateOptions, Sampling, generate};
use soo_core::{Error, Result};

use super::loading::{ModelArgs, PromptArgs, load};

/// Options of `soo generate`.
#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    prompt: PromptArgs,
    /// At most this many new tokens (fewer when the model ends its reply).
    #[arg(long, default_value_t = 64)]
    max_new_tokens: usize,
    /// Sample at this temperature instead of taking the most likely token.
    #[arg(long)]
    temperature: Option<f32>,
    /// With --temperature: sample only among the most likely tokens holding this much
    /// probability.
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// With --temperature: the seed of the sampler (the same seed gives the same text).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Timings of one generation, measured from the events.
pub struct Timings {
    pub prefill_tokens: usize,
    pub prefill: Duration,
    pub decode_tokens: usize,
    pub decode: Duration,
}

/// Per second, or 0 when nothing was timed.
pub fn rate(tokens: usize, time: Duration) -> f64 {
    if time.is_zero() {
        0.0
    } else {
        tokens as f64 / time.as_secs_f64()
    }
}

/// Runs [`generate`] on one prompt, timing the prefill and the decoding steps (the first new
/// token comes from the prefill's logits; each later one costs one decoding step), and hands
/// each new token to `on_token`.
pub fn timed_generate(
    model: &soo_core::model::Model<soo_core::lora::Lora>,
    ids: &[u32],
    options: &GenerateOptions,
    on_token: &mut dyn FnMut(u32),
) -> Result<(soo_core::generate::Generation, Timings)> {
    let started = Instant::now();
    let mut prefilled = started;
    let mut timings = Timings {
        prefill_tokens: ids.len(),
        prefill: Duration::ZERO,
        decode_tokens: 0,
        decode: Duration::ZERO,
    };
    let generation = pollster::block_on(generate(
        model,
        std::slice::from_ref(&ids.to_vec()),
        options,
        &mut |event| match event {
            GenerateEvent::Prefilled { .. } => {
                prefilled = Instant::now();
                timings.prefill = prefilled - started;
            }
            GenerateEvent::Step { step, tokens } => {
                if step > 0 {
                    timings.decode_tokens = step;
                    timings.decode = prefilled.elapsed();
                }
                if let Some(&Some(token)) = tokens.first() {
                    on_token(token);
                }
            }
        },
    ))?;
    Ok((generation, timings))
}

/// Generates and prints.
pub fn run(args: GenerateArgs) -> Result<()> {
    let sampling = match args.temperature {
        None => Sampling::Greedy,
        Some(t) if t > 0.0 && args.top_p > 0.0 && args.top_p <= 1.0 => Sampling::Sample {
            temperature: t,
            top_p: args.top_p,
            seed: args.seed,
        },
        Some(_) => {
            return Err(Error::Unsupported(
                "--temperature must be above 0 and --top-p in (0, 1]".into(),
            ));
        }
    };
    let ready = load(&args.model.source())?;
    let loaded = &ready.loaded;
    let ids = loaded.prompt_ids(&args.prompt.prompt, args.prompt.chat)?;
    if ids.is_empty() {
        return Err(Error::Unsupported("the prompt has no tokens".into()));
    }
    let options = GenerateOptions {
        max_new_tokens: args.max_new_tokens,
        sampling,
        stop_tokens: loaded.stop_tokens().to_vec(),
        pad_token: loaded.pad_token(),
    };
    // Streaming: print what the tokens so far decode to beyond what is already shown, so that
    // characters split over several tokens appear once complete.
    let mut new_ids = Vec::new();
    let mut shown = String::new();
    let mut stream_error = None;
    let (generation, timings) = timed_generate(&loaded.model, &ids, &options, &mut |token| {
        if args.json {
            return;
        }
        new_ids.push(token);
        match loaded.tokenizer.decode(&new_ids, true) {
            Ok(text) if text.starts_with(&shown) && !text.ends_with('\u{FFFD}') => {
                print!("{}", &text[shown.len()..]);
                let _ = std::io::stdout().flush();
                shown = text;
            }
            Ok(_) => {}
            Err(e) => stream_error = Some(e),
        }
    })?;
    if let Some(e) = stream_error {
        return Err(e);
    }
    let new = &generation.tokens[0];
    let text = loaded.tokenizer.decode(new, true)?;
    let finish = match generation.finish[0] {
        Finish::Stop => "stop",
        Finish::Length => "length",
    };
    if args.json {
        let out = serde_json::json!({
            "model": args.model.model,
            "backend": ready.device.kind,
            "prompt_ids": ids,
            "new_ids": new,
            "text": text,
            "finish": finish,
            "prefill_tokens": timings.prefill_tokens,
            "prefill_seconds": timings.prefill.as_secs_f64(),
            "decode_tokens": timings.decode_tokens,
            "decode_seconds": timings.decode.as_secs_f64(),
        });
        println!("{out}");
        return Ok(());
    }
    if text.len() > shown.len() && text.starts_with(&shown) {
        print!("{}", &text[shown.len()..]);
    }
    println!();
    eprintln!(
        "[{} prompt tokens: {:.1} tokens/s prefill; {} new tokens ({finish}): {:.1} tokens/s decode; {}]",
        timings.prefill_tokens,
        rate(timings.prefill_tokens, timings.prefill),
        new.len(),
        rate(timings.decode_tokens, timings.decode),
        ready.device.kind.name(),
    );
    Ok(())
}
