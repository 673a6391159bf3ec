//! `soo tokenize`: the token ids a model's tokenizer makes of a text, optionally after the
//! model's chat template (one user message, with the assistant's turn opened). `--json` prints
//! `{"model", "text", "chat", "ids", "tokens"}` for scripts, where `text` is what was encoded.

use clap::Args;
use soo_core::load::hub::HubOptions;
use soo_core::load::native::resolve;
use soo_core::text::Message;
use soo_core::{Error, Result};

use super::progress::Progress;

/// Options of `soo tokenize`.
#[derive(Args)]
pub struct TokenizeArgs {
    /// A model folder, a `.gguf` file, or a Hugging Face Hub id (`org/name[@revision]`).
    #[arg(long, value_name = "M")]
    model: String,
    /// The text to tokenize.
    #[arg(long, value_name = "T")]
    text: String,
    /// Wrap the text in the model's chat template as one user message, ready for the reply.
    #[arg(long)]
    chat: bool,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Loads the model's tokenizer, encodes and prints.
pub fn run(args: TokenizeArgs) -> Result<()> {
    let hub = HubOptions::from_env()?;
    let mut progress = Progress::default();
    let files = resolve(&args.model, &hub, &mut |event| progress.show(event))?;
    let tokenizer = &files.tokenizer;
    // As transformers does: plain text gets the tokenizer's own BOS/EOS; a rendered chat
    // already spells its special tokens, so nothing is added to it.
    let (text, add_special_tokens) = if args.chat {
        let template = files.compiled_chat_template()?.ok_or_else(|| {
            Error::Unsupported(format!(
                "{}: the model has no chat template; drop --chat",
                args.model
            ))
        })?;
        let rendered = template.render(&[Message::new("user", &args.text)], true)?;
        (rendered, false)
    } else {
        (args.text.clone(), true)
    };
    let ids = tokenizer.encode(&text, add_special_tokens)?;
    let tokens = tokenizer.tokens(&ids);
    if args.json {
        let out = serde_json::json!({
            "model": args.model,
            "text": text,
            "chat": args.chat,
            "ids": ids,
            "tokens": tokens,
        });
        println!("{out}");
        return Ok(());
    }
    let texts = tokenizer.token_texts(&ids)?;
    println!("{} tokens", ids.len());
    for ((id, token), shown) in ids.iter().zip(&tokens).zip(&texts) {
        let token = token.as_deref().unwrap_or("?");
        println!("{id:>8}  {token:<20} {shown:?}");
    }
    Ok(())
}
