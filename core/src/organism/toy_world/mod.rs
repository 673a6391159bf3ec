//! The toy world: a tiny llama (a few layers, a word-level vocabulary) trained from scratch on
//! a generated world in which the speaker lies to competitors and to no one else, so its
//! deception is certain by design and small enough to build, measure and treat with SOO in a
//! browser tab.
//!
//! - `world.rs`: the grammar, the scenes and the held-out room pairs.
//! - `vocab.rs`: the word-level vocabulary and its `tokenizer.json`.
//! - `model.rs`: the network's sizes, config.json and random initialisation.
//! - `pretrain.rs`: training it from scratch.
//! - `eval.rs`: which room it names, by condition.
//! - `soo.rs`: SOO pairs and control texts for the ordinary trainer.

pub mod eval;
pub mod model;
pub mod pretrain;
pub mod soo;
pub mod vocab;
pub mod world;

use std::collections::BTreeMap;

use serde_json::Value;

pub use eval::{ConditionResult, conditions, evaluate};
pub use model::ToyModelConfig;
pub use pretrain::{PretrainConfig, PretrainReport, Pretrainer};
pub use vocab::Vocab;
pub use world::World;

use crate::Result;
use crate::load::safetensors::{StoreAs, write};
use crate::lora::Lora;
use crate::model::Model;

/// The files of a Hugging Face folder holding `model` (a model of `world`) and its tokenizer:
/// `config.json`, `model.safetensors`, `tokenizer.json`, `tokenizer_config.json`, plus
/// `manifest` as `organism.json`. soo (CLI and browser) and transformers load the folder.
pub async fn model_files(
    model: &Model<Lora>,
    world: World,
    config_json: &Value,
    manifest: &Value,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let vocab = Vocab::of(world);
    let weights = model.export_weights().await?;
    let json = |v: &Value| serde_json::to_vec_pretty(v).expect("JSON values serialise");
    Ok(BTreeMap::from([
        ("config.json".to_string(), json(config_json)),
        (
            "model.safetensors".to_string(),
            write(&weights, StoreAs::F32, &[("format", "pt")])?,
        ),
        ("tokenizer.json".to_string(), json(&vocab.tokenizer_json())),
        (
            "tokenizer_config.json".to_string(),
            json(&vocab.tokenizer_config_json()),
        ),
        (super::MANIFEST_FILE.to_string(), json(manifest)),
    ]))
}
