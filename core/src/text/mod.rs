//! Text: tokenization and chat templates.
//!
//! - [`Tokenizer`]: text ↔ token ids, from a `tokenizer.json` or from GGUF metadata.
//! - [`ChatTemplate`]: a model's Jinja chat template, rendered as transformers renders it.

pub mod chat_template;
pub mod tokenizer;

pub use chat_template::{ChatTemplate, Message};
pub use tokenizer::{SpecialTokens, Tokenizer};
