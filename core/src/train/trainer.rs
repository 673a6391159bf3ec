//! The training loop, one optimizer step at a time (on the tokenized data of `data.rs`): the caller decides when to run the next
//! step, when to save and when to stop, so the same code serves the CLI and a browser tab.

use burn::optim::{GradientsAccumulator, GradientsParams, ModuleOptimizer};
use burn::tensor::{Bytes, Device, Tensor};

use super::batch::TokenBatch;
use super::checkpoint::Checkpoint;
use super::config::{Objective, TrainConfig};
use super::data::{Examples, TokenData};
use super::loss;
use super::pairs::{Pair, TextExample};
use crate::base::rng::SplitMix64;
use crate::base::tensor::read_f32;
use crate::loaded::LoadedModel;
use crate::lora::{Lora, peft};
use crate::model::Model;
use crate::{Error, Result};

/// What one optimizer step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Steps done, this one included (1-based).
    pub step: usize,
    /// Steps the run will take unless it stops early.
    pub total_steps: usize,
    /// The loss that was optimised (objective + `kl_weight` × KL), averaged over micro-batches.
    pub loss: f64,
    /// The objective alone (SOO MSE, logit KL or LM loss).
    pub objective: f64,
    /// The KL-to-base term, when `kl_weight > 0`.
    pub kl: Option<f64>,
    /// Real tokens the step ran through (forward passes with gradients).
    pub tokens: usize,
    /// Why the run should stop now, if it should.
    pub stop: Option<StopReason>,
}

/// Why training ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// All planned steps are done.
    Finished,
    /// The loss reached `stop_loss`.
    LossTarget(f64),
    /// The loss fell by `stop_drop` from the first step's.
    LossDrop(f64),
}

/// Runs a training configuration on a model, a step at a time.
pub struct Trainer {
    config: TrainConfig,
    examples: Examples,
    /// Neutral texts for the KL-to-base term.
    neutral: Vec<Vec<u32>>,
    pad: u32,
    optimizer: ModuleOptimizer,
    step: usize,
    total_steps: usize,
    first_loss: Option<f64>,
    device: Device,
}

impl Trainer {
    /// Prepares a run on text: tokenizes `pairs` or `examples` (see [`TokenData::encode`]) and
    /// attaches a fresh LoRA adapter (seeded) to `loaded.model`.
    pub fn new(
        config: TrainConfig,
        loaded: &mut LoadedModel,
        pairs: &[Pair],
        examples: &[TextExample],
        device: &Device,
    ) -> Result<Self> {
        let data = TokenData::encode(&config, loaded, pairs, examples)?;
        Self::from_tokens(config, &mut loaded.model, data, device)
    }

    /// Prepares a run on token ids and attaches a fresh LoRA adapter (seeded) to `model`.
    pub fn from_tokens(
        config: TrainConfig,
        model: &mut Model<Lora>,
        data: TokenData,
        device: &Device,
    ) -> Result<Self> {
        let lora = Lora::init(&config.lora, model.shape(), config.seed, device)?;
        model.attach_adapter(lora)?;
        Self::prepare(config, model, data, device)
    }

    /// Continues a run from `checkpoint`: its adapter is attached to `loaded.model` and the
    /// optimizer state and step count are restored, so the run goes on exactly as if it had
    /// never stopped.
    pub fn resume(
        config: TrainConfig,
        loaded: &mut LoadedModel,
        pairs: &[Pair],
        examples: &[TextExample],
        checkpoint: &Checkpoint,
        device: &Device,
    ) -> Result<Self> {
        let data = TokenData::encode(&config, loaded, pairs, examples)?;
        let mut trainer = Self::prepare(config, &loaded.model, data, device)?;
        trainer.restore(&mut loaded.model, checkpoint, device)?;
        Ok(trainer)
    }

    /// Puts a run back to `checkpoint`: its adapter on `model`, its optimizer state and step.
    pub fn restore(
        &mut self,
        model: &mut Model<Lora>,
        checkpoint: &Checkpoint,
        device: &Device,
    ) -> Result<()> {
        let lora = peft::import(&checkpoint.adapter, "checkpoint", model.shape(), device)?;
        let optimizer = self
            .config
            .optimizer
            .init()
            .from_bytes(Bytes::from_bytes_vec(checkpoint.optimizer.clone()))
            .map_err(|e| Error::Format {
                file: "checkpoint optimizer state".into(),
                problem: format!("{e:?}"),
            })?;
        model.attach_adapter(lora)?;
        self.optimizer = optimizer;
        self.step = checkpoint.step;
        self.first_loss = checkpoint.first_loss;
        Ok(())
    }

    fn prepare(
        config: TrainConfig,
        model: &Model<Lora>,
        data: TokenData,
        device: &Device,
    ) -> Result<Self> {
        if config.objective.reads_hook() {
            config.hook.check(model.num_layers())?;
        }
        if data.examples.len() == 0 {
            return Err(Error::Unsupported("no training examples".into()));
        }
        if config.kl_weight > 0.0 && data.neutral.is_empty() {
            return Err(Error::Unsupported(
                "kl_weight > 0 needs neutral texts".into(),
            ));
        }
        let per_step = config.batch_size * config.grad_accum;
        let total_steps = config.steps.unwrap_or_else(|| {
            (config.epochs * data.pairs.max(1))
                .div_ceil(per_step)
                .max(1)
        });
        Ok(Trainer {
            examples: data.examples,
            neutral: data.neutral,
            pad: data.pad,
            optimizer: config.optimizer.init(),
            step: 0,
            total_steps,
            first_loss: None,
            device: device.clone(),
            config,
        })
    }

    /// Steps done so far.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// Steps planned.
    pub fn total_steps(&self) -> usize {
        self.total_steps
    }

    /// The configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Whether all planned steps are done.
    pub fn is_finished(&self) -> bool {
        self.step >= self.total_steps
    }

    /// Whether the run stops after the step just done, whose loss was `loss`: a stop rule
    /// (`stop_loss`, `stop_drop`) met, or every planned step done. A resumed run asks it of its
    /// checkpoint's step, so that a run stopped early stays stopped.
    pub fn stop_reason(&self, loss: f64) -> Option<StopReason> {
        let first = self.first_loss.unwrap_or(loss);
        if self.config.stop_loss.is_some_and(|target| loss <= target) {
            Some(StopReason::LossTarget(loss))
        } else if self
            .config
            .stop_drop
            .is_some_and(|factor| self.step > 1 && loss * factor <= first)
        {
            Some(StopReason::LossDrop(first / loss))
        } else if self.is_finished() {
            Some(StopReason::Finished)
        } else {
            None
        }
    }

    /// Runs one optimizer step (`grad_accum` micro-batches) on the adapter attached to `model`.
    /// A loss that is not finite leaves the adapter unchanged and returns an error: the last
    /// checkpoint is the last good state.
    pub async fn step(&mut self, model: &mut Model<Lora>) -> Result<StepReport> {
        if self.is_finished() {
            return Err(Error::Unsupported("training has already finished".into()));
        }
        if model.adapter().is_none() {
            return Err(Error::Unsupported("no LoRA adapter is attached".into()));
        }
        if model.adapter().is_some_and(|l| l.dropout() > 0.0) {
            // Dropout masks come from the device's generator: seeding it per step makes a
            // resumed run draw the same masks as an uninterrupted one.
            self.device
                .seed(SplitMix64::new(self.config.seed ^ (self.step as u64) << 20).next_u64());
        }
        let accum = self.config.grad_accum;
        let mut accumulator = GradientsAccumulator::<Lora>::new();
        let (mut total, mut objective, mut kl_sum, mut tokens) = (0.0, 0.0, 0.0, 0);
        for micro in 0..accum {
            let rows = self.rows(self.step * accum + micro);
            let parts = self.micro_loss(model, &rows)?;
            tokens += parts.tokens;
            let mut loss = parts.objective.clone();
            if let Some(kl) = &parts.kl {
                loss = loss + kl.clone() * self.config.kl_weight;
            }
            let values = read_f32(Tensor::cat(
                [Some(loss.clone()), Some(parts.objective), parts.kl]
                    .into_iter()
                    .flatten()
                    .collect(),
                0,
            ))
            .await?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(diverged(
                    &format!("the loss became {}", values[0]),
                    self.step + 1,
                ));
            }
            total += values[0] as f64 / accum as f64;
            objective += values[1] as f64 / accum as f64;
            kl_sum += values.get(2).copied().unwrap_or(0.0) as f64 / accum as f64;
            let lora = model.adapter().expect("checked above");
            let grads = GradientsParams::from_grads((loss / accum as f64).backward(), lora);
            accumulator.accumulate(lora, grads);
        }
        let grads = accumulator.grads();
        let lora = model.detach_adapter().expect("checked above");
        // Kept (tensors are shared, not copied) so that an update that breaks the adapter can
        // be undone: a checkpoint must never hold NaN weights.
        let before = lora.clone();
        let optimizer_before = self.optimizer.clone();
        let lora = self.optimizer.step(self.config.optimizer.lr, lora, grads);
        if !all_finite(&lora).await? {
            model.attach_adapter(before)?;
            self.optimizer = optimizer_before;
            return Err(diverged(
                "the update made the adapter's weights NaN or infinite",
                self.step + 1,
            ));
        }
        model.attach_adapter(lora)?;
        self.step += 1;
        self.first_loss.get_or_insert(total);
        let stop = self.stop_reason(total);
        Ok(StepReport {
            step: self.step,
            total_steps: self.total_steps,
            loss: total,
            objective,
            kl: (self.config.kl_weight > 0.0).then_some(kl_sum),
            tokens,
            stop,
        })
    }

    /// The state to save: adapter, optimizer, step.
    pub async fn checkpoint(&self, model: &Model<Lora>) -> Result<Checkpoint> {
        let lora = model
            .adapter()
            .ok_or_else(|| Error::Unsupported("no LoRA adapter is attached".into()))?;
        let optimizer = self.optimizer.into_bytes().map_err(|e| {
            Error::Unsupported(format!("cannot serialise the optimizer state: {e:?}"))
        })?;
        Ok(Checkpoint {
            step: self.step,
            first_loss: self.first_loss,
            adapter: peft::export(lora, None).await?,
            optimizer: optimizer.to_vec(),
            config: self.config.to_toml(),
        })
    }

    /// The example indices of micro-batch `micro` (counted from the start of training): the
    /// examples in a seeded order that is reshuffled every epoch, `batch_size` at a time.
    fn rows(&self, micro: usize) -> Vec<usize> {
        let n = self.examples.len();
        let start = micro * self.config.batch_size;
        // A batch spans at most a few epochs: each one's order is drawn once.
        let mut order: Option<(usize, Vec<usize>)> = None;
        (start..start + self.config.batch_size)
            .map(|position| {
                let epoch = position / n;
                if order.as_ref().is_none_or(|(e, _)| *e != epoch) {
                    order = Some((epoch, epoch_order(self.config.seed, epoch as u64, n)));
                }
                order.as_ref().map_or(0, |(_, o)| o[position % n])
            })
            .collect()
    }

    /// The objective (and KL term) of one micro-batch.
    fn micro_loss(&self, model: &Model<Lora>, rows: &[usize]) -> Result<LossParts> {
        let device = &self.device;
        let (objective, tokens) = match &self.examples {
            Examples::Pairs(pairs) => {
                let selves: Vec<Vec<u32>> = rows.iter().map(|&i| pairs[i].0.clone()).collect();
                let others: Vec<Vec<u32>> = rows.iter().map(|&i| pairs[i].1.clone()).collect();
                let selves = TokenBatch::new(&selves, self.pad, device)?;
                let others = TokenBatch::new(&others, self.pad, device)?;
                let value = match self.config.objective {
                    Objective::LogitKl => {
                        let s = model.forward_training(selves.ids, Some(selves.mask), &[])?;
                        let o = model.forward_training(others.ids, Some(others.mask), &[])?;
                        loss::logit_kl(s.logits, &selves.lengths, o.logits, &others.lengths)
                    }
                    _ => {
                        // Layers after the hook cannot change the loss: they are not run.
                        let hook = [self.config.hook];
                        let mut s =
                            model.activations(selves.ids, Some(selves.mask), &hook, true)?;
                        let mut o =
                            model.activations(others.ids, Some(others.mask), &hook, true)?;
                        loss::soo_mse(
                            s.remove(&self.config.hook).expect("the hook was captured"),
                            &selves.lengths,
                            o.remove(&self.config.hook).expect("the hook was captured"),
                            &others.lengths,
                            self.config.positions,
                        )
                    }
                };
                (value, selves.lengths.iter().chain(&others.lengths).sum())
            }
            Examples::Texts(texts) => {
                let starts: Vec<usize> = rows.iter().map(|&i| texts[i].1).collect();
                let rows: Vec<Vec<u32>> = rows.iter().map(|&i| texts[i].0.clone()).collect();
                let batch = TokenBatch::new(&rows, self.pad, device)?;
                let tokens = batch.tokens();
                let out = model.forward_training(batch.ids.clone(), Some(batch.mask), &[])?;
                (
                    loss::lm(out.logits, batch.ids, &batch.lengths, &starts),
                    tokens,
                )
            }
        };
        let kl = if self.config.kl_weight > 0.0 {
            let n = self.neutral.len();
            let texts: Vec<Vec<u32>> = rows
                .iter()
                .map(|&i| self.neutral[(i + self.step) % n].clone())
                .collect();
            let batch = TokenBatch::new(&texts, self.pad, device)?;
            let base = model.forward_base(batch.ids.clone(), Some(batch.mask.clone()))?;
            let tuned = model.forward_training(batch.ids, Some(batch.mask), &[])?;
            Some(loss::kl_to_base(base, tuned.logits, &batch.lengths))
        } else {
            None
        };
        Ok(LossParts {
            objective,
            kl,
            tokens,
        })
    }
}

struct LossParts {
    objective: Tensor<1>,
    kl: Option<Tensor<1>>,
    tokens: usize,
}

/// The error of a run that cannot go on; the model keeps the adapter of the step before.
fn diverged(what: &str, step: usize) -> Error {
    Error::Unsupported(format!(
        "training diverged at step {step}: {what}. The adapter is left as it was after step {}, \
         and the last checkpoint is intact (try a lower learning rate, or a larger optimizer.eps)",
        step - 1
    ))
}

/// Whether every weight of `lora` is finite (one reduction, one read-back): `w - w` is 0 for
/// a finite weight and NaN otherwise, and unlike a sum of the weights it cannot overflow.
async fn all_finite(lora: &Lora) -> Result<bool> {
    let zero = |t: Tensor<2>| (t.clone() - t).sum();
    let sums: Vec<Tensor<1>> = lora
        .branches()
        .flat_map(|(_, _, b)| [zero(b.a()), zero(b.b())])
        .collect();
    let total = read_f32(Tensor::cat(sums, 0).sum()).await?;
    Ok(total.iter().all(|v| v.is_finite()))
}

/// A seeded permutation of `0..n` for one epoch (Fisher–Yates on [`SplitMix64`]).
fn epoch_order(seed: u64, epoch: u64, n: usize) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}
