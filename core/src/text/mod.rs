//! Text: tokenization and chat templates.
//!
//! - [`Tokenizer`]: text ↔ token ids, from a `tokenizer.json` or from a byte-level BPE
//!   vocabulary in parts ([`ByteLevelBpe`], what a GGUF file carries).
//! - [`ChatTemplate`]: a model's Jinja chat template, rendered as transformers renders it.

pub mod chat_template;
pub mod tokenizer;

pub use chat_template::{ChatTemplate, Message};
pub use tokenizer::{ByteLevelBpe, SpecialTokens, Tokenizer};
