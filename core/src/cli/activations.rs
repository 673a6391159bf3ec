//! `soo activations`: the output of one module (`layers.18.self_attn.o_proj`) at the prompt's
//! last token. Prints a summary and the first values; `--json` prints every value:
//! `{"model", "backend", "module", "prompt_ids", "width", "values"}`.

use clap::Args;
use soo_core::base::tensor::read_f32;
use soo_core::burn::tensor::{Int, Tensor, TensorData};
use soo_core::model::ModulePath;
use soo_core::{Error, Result};

use super::loading::{ModelArgs, PromptArgs, load};

/// Values shown without `--json`.
const SHOWN: usize = 8;

/// Options of `soo activations`.
#[derive(Args)]
pub struct ActivationsArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    prompt: PromptArgs,
    /// The module: `layers.<N>.<module>`, e.g. `layers.18.self_attn.o_proj` or `layers.3.mlp`.
    #[arg(long, value_name = "PATH")]
    module: ModulePath,
    /// Print the result as JSON, with every value.
    #[arg(long)]
    json: bool,
}

/// Runs the prompt, capturing the module, and prints its output at the last token.
pub fn run(args: ActivationsArgs) -> Result<()> {
    let ready = load(&args.model.source())?;
    let loaded = &ready.loaded;
    let ids = loaded.prompt_ids(&args.prompt.prompt, args.prompt.chat)?;
    if ids.is_empty() {
        return Err(Error::Unsupported("the prompt has no tokens".into()));
    }
    let values: Vec<i64> = ids.iter().map(|&t| i64::from(t)).collect();
    let input = Tensor::<2, Int>::from_data(
        TensorData::new(values, [1, ids.len()]),
        &ready.device.device,
    );
    let name = args.module.to_string();
    let mut out = loaded.model.forward(input, None, &[args.module])?;
    let captured = out
        .captures
        .remove(&args.module)
        .ok_or_else(|| Error::Unsupported(format!("module '{name}' produced no output")))?;
    let [_, seq, width] = captured.dims(); // [1, seq, width]
    let last = captured.slice([0..1, seq - 1..seq, 0..width]);
    let values = pollster::block_on(read_f32(last))?;
    if args.json {
        let out = serde_json::json!({
            "model": args.model.model,
            "backend": ready.device.kind,
            "module": name,
            "prompt_ids": ids,
            "width": width,
            "values": values,
        });
        println!("{out}");
        return Ok(());
    }
    let norm = values
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        .sqrt();
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / width as f64;
    println!(
        "{name} at token {} of {}: width {width}, L2 norm {norm:.4}, mean {mean:.6}",
        seq - 1,
        seq
    );
    let head: Vec<String> = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("{v:.5}"))
        .collect();
    println!("first {}: [{}]", head.len(), head.join(", "));
    Ok(())
}
