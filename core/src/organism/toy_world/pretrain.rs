//! Training the toy world's model from scratch: every weight trains, on scenes drawn fresh for
//! every batch (the world is generated, so the model never sees a scene twice), with the loss
//! on the answer only (the facts are random and cannot be predicted).

use burn::config::Config;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::vocab::Vocab;
use super::world::{Scene, World, draw_training};
use crate::base::rng::SplitMix64;
use crate::base::tensor::read_f32;
use crate::lora::Lora;
use crate::model::Model;
use crate::train::config::OptimizerConfig;
use crate::train::loss;
use crate::{Error, Result};

/// Hyperparameters of training the world model.
#[derive(Config, Debug, PartialEq)]
pub struct PretrainConfig {
    /// Optimizer steps (measured here: seed 1 learned the lookup by step 750, seed 0 by 1,500).
    #[config(default = 2000)]
    pub steps: usize,
    /// Scenes per step.
    #[config(default = 32)]
    pub batch_size: usize,
    /// Learning rate (AdamW), reached after `warmup` steps and then held: the lookup is learned
    /// in a sudden transition that a decaying rate delays (measured here: a cosine to a tenth
    /// left the model at chance at step 1,250).
    #[config(default = 3e-3)]
    pub lr: f64,
    /// Steps of linear warm-up.
    #[config(default = 50)]
    pub warmup: usize,
    /// AdamW weight decay.
    #[config(default = 0.01)]
    pub weight_decay: f64,
    /// Seeds the scenes (the initialisation has its own seed).
    #[config(default = 0)]
    pub seed: u64,
    /// Which world the scenes come from.
    #[config(default = "World::Plain")]
    pub world: World,
}

impl PretrainConfig {
    /// The learning rate at `step` (0-based).
    pub fn lr_at(&self, step: usize) -> f64 {
        self.lr * ((step + 1) as f64 / self.warmup.max(1) as f64).min(1.0)
    }
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct PretrainReport {
    /// Steps done (1-based).
    pub step: usize,
    /// Steps planned.
    pub total_steps: usize,
    /// Cross-entropy of the scored tokens.
    pub loss: f64,
    /// Share of the batch's answers the model got right before this step's update.
    pub accuracy: f64,
}

/// Trains a world model a step at a time (the browser runs one step per animation frame).
pub struct Pretrainer {
    config: PretrainConfig,
    vocab: Vocab,
    rng: SplitMix64,
    optimizer: ModuleOptimizer,
    model: Option<Model<Lora>>,
    step: usize,
    device: Device,
}

impl Pretrainer {
    /// Starts training `model` (made with [`Model::load_trainable`]).
    pub fn new(config: PretrainConfig, model: Model<Lora>, device: &Device) -> Self {
        let optimizer = OptimizerConfig {
            lr: config.lr,
            weight_decay: config.weight_decay,
            ..OptimizerConfig::default()
        }
        .init();
        Pretrainer {
            rng: SplitMix64::new(config.seed),
            vocab: Vocab::of(config.world),
            config,
            optimizer,
            model: Some(model),
            step: 0,
            device: device.clone(),
        }
    }

    /// The model as trained so far.
    pub fn model(&self) -> &Model<Lora> {
        self.model
            .as_ref()
            .expect("the model is only taken during a step")
    }

    /// The trained model, frozen (ready for evaluation and SOO).
    pub fn into_model(self) -> Model<Lora> {
        self.model
            .expect("the model is only taken during a step")
            .freeze()
    }

    /// Whether all planned steps are done.
    pub fn is_finished(&self) -> bool {
        self.step >= self.config.steps
    }

    /// One optimizer step on a fresh batch of training scenes.
    pub async fn step(&mut self) -> Result<PretrainReport> {
        let scenes: Vec<Scene> = (0..self.config.batch_size)
            .map(|_| draw_training(&mut self.rng, self.config.world))
            .collect();
        let (ids, answer_at) = training_batch(&self.vocab, &scenes);
        let [batch, width] = [scenes.len(), ids.len() / scenes.len()];
        let ids = Tensor::<2, Int>::from_data(TensorData::new(ids, [batch, width]), &self.device);
        let model = self.model.take().expect("not in a step");
        let logits = model.forward(ids.clone(), None, &[])?.logits;
        let predicted = logits
            .clone()
            .narrow(1, answer_at - 1, 1)
            .argmax(2)
            .reshape([batch]);
        let wanted = ids.clone().narrow(1, answer_at, 1).reshape([batch]);
        let hits = predicted.equal(wanted).int().sum().float();
        let loss = loss::lm(logits, ids, &vec![width; batch], &vec![answer_at; batch]);
        let values = read_f32(Tensor::cat(vec![loss.clone(), hits], 0)).await?;
        if !values[0].is_finite() {
            self.model = Some(model);
            return Err(Error::Unsupported(format!(
                "training the toy world diverged at step {} (loss {})",
                self.step + 1,
                values[0]
            )));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let lr = self.config.lr_at(self.step);
        self.model = Some(self.optimizer.step(lr, model, grads));
        self.step += 1;
        Ok(PretrainReport {
            step: self.step,
            total_steps: self.config.steps,
            loss: values[0] as f64,
            accuracy: values[1] as f64 / batch as f64,
        })
    }
}

/// The scenes as one `[batch, width]` block of ids (every scene has the same length): the
/// prompt and the answer room. Returns the ids and the answer's position.
fn training_batch(vocab: &Vocab, scenes: &[Scene]) -> (Vec<i64>, usize) {
    let mut ids = Vec::new();
    let mut answer_at = 0;
    for scene in scenes {
        let row = vocab.encode(&scene.prompt());
        answer_at = row.len();
        ids.extend(row.iter().map(|&i| i as i64));
        ids.push(vocab.room(scene.answer()) as i64);
    }
    (ids, answer_at)
}
