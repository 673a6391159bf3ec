//! `soo export`: an adapter folder in peft's layout, checked against its model and copied
//! cleanly (e.g. out of a checkpoint; `--dtype bf16` halves it), or, with `--merge`, a Hugging
//! Face model folder whose weights have the adapter added in (`model.safetensors` + config,
//! tokenizer and template), loadable by transformers without peft.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use soo_core::Result;
use soo_core::base::files::write_dir_atomic;
use soo_core::load::hub::HubOptions;
use soo_core::load::native::resolve;
use soo_core::load::safetensors::{StoreAs, write};
use soo_core::lora::merge::merged_weights;
use soo_core::lora::peft;
use soo_core::model::ModelConfig;

use super::loading::read_stacked;
use super::progress::Progress;

/// How the written weights (adapter or merged) are stored.
#[derive(Clone, Copy, ValueEnum)]
enum Dtype {
    /// 32-bit floats (exact).
    F32,
    /// bfloat16 (half the size; what most Hub checkpoints use).
    Bf16,
}

/// Options of `soo export`.
#[derive(Args)]
pub struct ExportArgs {
    /// The base model: a folder, a `.gguf` file or a Hub id.
    #[arg(long, value_name = "M")]
    model: String,
    /// The adapter folder (peft layout: what `soo train` writes in DIR/adapter). Given again,
    /// the adapters are stacked into one that applies them all, as `--adapter` repeated does
    /// on other commands (an organism and SOO on top of it, say).
    #[arg(long, value_name = "DIR", required = true)]
    adapter: Vec<PathBuf>,
    /// Write full merged weights instead of the adapter.
    #[arg(long)]
    merge: bool,
    /// Storage type of merged weights; an adapter is copied as it is stored unless `bf16`.
    #[arg(long, value_enum, default_value = "f32")]
    dtype: Dtype,
    /// Output folder (replaced atomically).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Runs `soo export`.
pub fn run(args: ExportArgs) -> Result<()> {
    let hub = HubOptions::from_env()?;
    let mut progress = Progress::default();
    let files = resolve(&args.model, &hub, &mut |event| progress.show(event))?;
    let (adapter, folder) = read_stacked(&args.adapter)?;
    // Checks the adapter fits the model (layers, widths) before anything is written.
    let shape = ModelConfig::from_json(&files.config)?.shape()?;
    let device = soo_core::device::flex_device();
    peft::import(&adapter, &folder, &shape, &device)?;
    let store_as = match args.dtype {
        Dtype::F32 => StoreAs::F32,
        Dtype::Bf16 => StoreAs::Bf16,
    };
    if !args.merge {
        let adapter = match args.dtype {
            Dtype::F32 => adapter,
            Dtype::Bf16 => peft::reencode(&adapter, &folder, store_as)?,
        };
        write_dir_atomic(
            &args.out,
            &[
                (peft::CONFIG_FILE, &adapter.config),
                (peft::WEIGHTS_FILE, &adapter.weights),
            ],
        )?;
        eprintln!(
            "adapter checked against {} and written to {}",
            args.model,
            args.out.display()
        );
        return Ok(());
    }
    let source = files.weight_source()?;
    let tensors = merged_weights(&files.config, source.as_ref(), &adapter, &folder)?;
    let weights = write(&tensors, store_as, &[("format", "pt")])?;
    let mut config = files.config.clone();
    if let Some(object) = config.as_object_mut() {
        let dtype = match args.dtype {
            Dtype::F32 => "float32",
            Dtype::Bf16 => "bfloat16",
        };
        object.insert("torch_dtype".into(), dtype.into());
    }
    let json = |value: &serde_json::Value| {
        serde_json::to_vec_pretty(value).expect("JSON values serialise")
    };
    let tokenizer = files.tokenizer.to_json()?;
    let mut out: Vec<(&str, Vec<u8>)> = vec![
        ("config.json", json(&config)),
        ("model.safetensors", weights),
        ("tokenizer.json", tokenizer.into_bytes()),
    ];
    if let Some(template) = &files.chat_template {
        out.push(("chat_template.jinja", template.clone().into_bytes()));
    }
    if let Some(generation) = &files.generation_config {
        out.push(("generation_config.json", json(generation)));
    }
    let borrowed: Vec<(&str, &[u8])> = out.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    write_dir_atomic(&args.out, &borrowed)?;
    eprintln!(
        "merged {} tensors with the adapter into {}",
        tensors.len(),
        args.out.join("model.safetensors").display()
    );
    Ok(())
}
