//! `soo logits`: the most likely next tokens after a prompt, with their logits (the last
//! position of one forward pass). `--json` prints `{"model", "backend", "prompt_ids", "top":
//! [{"id", "token", "text", "logit"}]}`.

use clap::Args;
use soo_core::burn::tensor::{Int, Tensor, TensorData};
use soo_core::generate::last_position;
use soo_core::{Error, Result};

use super::loading::{ModelArgs, PromptArgs, load};

/// Options of `soo logits`.
#[derive(Args)]
pub struct LogitsArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    prompt: PromptArgs,
    /// How many of the most likely tokens to show.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the prompt and prints the top tokens.
pub fn run(args: LogitsArgs) -> Result<()> {
    let ready = load(&args.model.source())?;
    let loaded = &ready.loaded;
    let ids = loaded.prompt_ids(&args.prompt.prompt, args.prompt.chat)?;
    if ids.is_empty() {
        return Err(Error::Unsupported("the prompt has no tokens".into()));
    }
    let logits = pollster::block_on(last_logits(loaded, &ids, &ready.device.device))?;
    let mut order: Vec<u32> = (0..logits.len() as u32).collect();
    order.sort_by(|&a, &b| logits[b as usize].total_cmp(&logits[a as usize]));
    order.truncate(args.top);
    let tokens = loaded.tokenizer.tokens(&order);
    let texts = loaded.tokenizer.token_texts(&order)?;
    if args.json {
        let top: Vec<_> = order
            .iter()
            .zip(&tokens)
            .zip(&texts)
            .map(|((&id, token), text)| {
                serde_json::json!({"id": id, "token": token, "text": text, "logit": logits[id as usize]})
            })
            .collect();
        let out = serde_json::json!({
            "model": args.model.model,
            "backend": ready.device.kind,
            "prompt_ids": ids,
            "top": top,
        });
        println!("{out}");
        return Ok(());
    }
    println!(
        "{} prompt tokens; top {} next tokens:",
        ids.len(),
        order.len()
    );
    for ((&id, token), text) in order.iter().zip(&tokens).zip(&texts) {
        let token = token.as_deref().unwrap_or("?");
        println!(
            "{id:>8}  {:>10.4}  {token:<20} {text:?}",
            logits[id as usize]
        );
    }
    Ok(())
}

/// The logits after `ids` (one forward pass), on the host.
pub async fn last_logits(
    loaded: &soo_core::loaded::LoadedModel,
    ids: &[u32],
    device: &soo_core::burn::tensor::Device,
) -> Result<Vec<f32>> {
    let values: Vec<i64> = ids.iter().map(|&t| i64::from(t)).collect();
    let input = Tensor::<2, Int>::from_data(TensorData::new(values, [1, ids.len()]), device);
    let logits = loaded.model.forward(input, None, &[])?.logits;
    last_position(logits).await
}
