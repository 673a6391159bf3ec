//! `soo steer`: computes the steering baseline's vector (docs/eval.md "Steering baseline"),
//! `v = mean(A_self) − mean(A_other)` over the SOO training pairs at a hook, and writes it to
//! `OUT/steering.safetensors` with its sidecar `OUT/steering.json`. `soo eval --steering OUT
//! --strength 0,2,4,8` applies it.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use soo_core::Result;
use soo_core::base::files::read_text;
use soo_core::model::{ModulePath, Positions};
use soo_core::steering::file::write_dir;
use soo_core::steering::mean_difference;
use soo_core::train::pairs::{self, Pair};

use super::loading::{ModelArgs, load};

/// Options of `soo steer`.
#[derive(Args)]
pub struct SteerArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// The module whose output the vector is computed from and added to, as SOO's `hook`
    /// (`layers.19.self_attn.o_proj` for SmolLM2-135M, the preset's).
    #[arg(long, value_name = "MODULE")]
    hook: ModulePath,
    /// Which positions of each prompt are averaged: `last` (its last token, where the answer is
    /// decided) or `mean` (the mean over its tokens).
    #[arg(long, default_value = "last", value_name = "P")]
    positions: Positions,
    /// A self/other pairs file (as `data.pairs_file` of `soo train`) instead of the built-in
    /// pairs (the paper's three templates over soo's training items, what `soo train` uses).
    #[arg(long, value_name = "FILE")]
    pairs: Option<PathBuf>,
    /// Pairs per forward pass.
    #[arg(long, default_value_t = 8)]
    batch_size: usize,
    /// The folder to write steering.safetensors and steering.json into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Computes the vector and writes it.
pub fn run(args: SteerArgs) -> Result<()> {
    let pairs: Vec<Pair> = match &args.pairs {
        Some(file) => pairs::parse_pairs(&file.display().to_string(), &read_text(file)?)?,
        None => pairs::builtin_pairs(),
    };
    let source = args.model.source();
    let ready = load(&source)?;
    let loaded = &ready.loaded;
    // Tokenized as `soo train` tokenizes them by default: the bare fragments.
    let ids = pairs
        .iter()
        .map(|p| {
            Ok((
                loaded.tokenizer.encode(&p.self_text, true)?,
                loaded.tokenizer.encode(&p.other, true)?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let started = Instant::now();
    let mut vector = pollster::block_on(mean_difference(
        &loaded.model,
        &ids,
        args.hook,
        args.positions,
        args.batch_size,
        loaded.pad_token(),
    ))?;
    vector.info.model = Some(source.model.clone());
    vector.info.adapters = source
        .adapters
        .iter()
        .map(|a| a.display().to_string())
        .collect();
    let info = &vector.info;
    eprintln!(
        "{} pairs at {} ({} positions) in {:.1} s: ‖v‖ = {:.4}; the hook's output norm is {:.4} \
         (‖v‖ is {:.3} of it), the residual stream's {:.4}",
        info.pairs,
        info.hook,
        info.positions,
        started.elapsed().as_secs_f64(),
        info.norm,
        info.activation_norm,
        vector.relative_to_activation(1.0),
        info.residual_norm,
    );
    write_dir(&args.out, &vector)?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}
