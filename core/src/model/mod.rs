//! Decoder-only transformers (Llama, Mistral, Qwen 2, Gemma 2) that compute what Hugging Face
//! transformers computes, on any burn device, with autodiff.
//!
//! Build a [`Model`] from a config.json and a [`WeightSource`]; run [`Model::forward`] for
//! logits plus the outputs of chosen modules ([`ModulePath`], e.g. `layers.18.self_attn.o_proj`),
//! or [`Model::forward_cached`] to decode a token at a time. [`Model::set_steering`] adds a
//! [`Steering`] vector to one module's output in every pass.

mod attention;
mod decoder;
mod export;
pub mod family;
pub mod hooks;
mod mlp;
mod norm;
pub mod path;
mod positions;
mod projection;
mod rope;
mod shape;
mod steering;
mod weights;

use std::collections::BTreeMap;

use burn::module::{Module, ModuleDisplay};
use burn::tensor::{Device, Int, Tensor};

pub use decoder::KvCache;
pub use family::{Family, ModelConfig};
pub use hooks::Adapter;
pub use path::{ModulePath, Site};
pub use positions::Positions;
pub use rope::RopeConfig;
pub use shape::ModelShape;
pub use steering::Steering;

use crate::load::WeightSource;
use crate::{Error, Result};
use decoder::Decoder;

/// What a forward pass returns.
#[derive(Debug, Clone)]
pub struct ForwardOutput {
    /// `[batch, seq, vocab]`.
    pub logits: Tensor<3>,
    /// The requested module outputs by their [`ModulePath`], each `[batch, seq, width]`, still
    /// attached to the autodiff graph.
    pub captures: BTreeMap<ModulePath, Tensor<3>>,
}

/// A causal language model of any supported family, with an optional adapter of type `A`
/// (in soo: `Model<Lora>`, the adapter being LoRA, `lora::Lora`).
///
/// The base weights are frozen (they never receive gradients) and only an attached adapter
/// trains, unless the model was made with [`Model::load_trainable`] (training from scratch).
#[derive(Module, Debug)]
pub struct Model<A: Adapter> {
    decoder: Decoder,
    adapter: Option<A>,
    /// Added to one module's output in every pass but the base model's; not a parameter.
    #[module(skip)]
    steering: Option<Steering>,
    #[module(skip)]
    family: Family,
    #[module(skip)]
    shape: ModelShape,
    vocab: usize,
    /// The Hugging Face name of every base parameter, for [`Model::export_weights`].
    #[module(skip)]
    names: Vec<weights::NamedParam>,
}

impl<A: Adapter + Module + ModuleDisplay> Model<A> {
    /// Builds the model from its parsed config and weights (Hugging Face names), on `device`.
    /// `weights_file` names the weights in error messages.
    pub fn load(
        config: &ModelConfig,
        weights: &dyn WeightSource,
        weights_file: &str,
        device: &Device,
    ) -> Result<Self> {
        Ok(Self::load_trainable(config, weights, weights_file, device)?.freeze())
    }

    /// [`Model::load`] with every base weight trainable: for training a model from scratch
    /// (the toy-world organism). [`Model::freeze`] makes it an ordinary model again.
    pub fn load_trainable(
        config: &ModelConfig,
        weights: &dyn WeightSource,
        weights_file: &str,
        device: &Device,
    ) -> Result<Self> {
        let spec = config.spec()?;
        let weights = weights::Weights::new(weights, weights_file, device);
        let decoder = Decoder::load(&weights, &spec)?;
        Ok(Model {
            decoder,
            adapter: None,
            steering: None,
            family: config.family(),
            shape: spec.shape(),
            vocab: spec.vocab,
            names: weights.into_names(),
        })
    }

    /// Stops the base weights from receiving gradients (an attached adapter still trains).
    pub fn freeze(mut self) -> Self {
        self.decoder = self.decoder.no_grad();
        self
    }

    /// [`Model::load`] from config.json as a JSON value.
    pub fn from_config_json(
        config: &serde_json::Value,
        weights: &dyn WeightSource,
        weights_file: &str,
        device: &Device,
    ) -> Result<Self> {
        Self::load(
            &ModelConfig::from_json(config)?,
            weights,
            weights_file,
            device,
        )
    }

    /// Which family this is.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Decoder layers.
    pub fn num_layers(&self) -> usize {
        self.decoder.num_layers()
    }

    /// Width of the residual stream.
    pub fn hidden_size(&self) -> usize {
        self.shape.hidden
    }

    /// Layer count and the widths of every projection.
    pub fn shape(&self) -> &ModelShape {
        &self.shape
    }

    /// Attaches an adapter (replacing any other): from now on every forward pass adds its
    /// branches. Fails when the adapter does not fit this model.
    pub fn attach_adapter(&mut self, adapter: A) -> Result<()> {
        adapter.check(&self.shape)?;
        self.adapter = Some(adapter);
        Ok(())
    }

    /// Takes the adapter off, giving it back.
    pub fn detach_adapter(&mut self) -> Option<A> {
        self.adapter.take()
    }

    /// The attached adapter.
    pub fn adapter(&self) -> Option<&A> {
        self.adapter.as_ref()
    }

    /// Sets (or, with `None`, removes) the steering: from now on every forward pass adds its
    /// vector to its module's output, with or without an adapter, except the base model's
    /// ([`Model::forward_base`], the reference that KL-to-base compares with). Fails when the
    /// module is not in this model or the vector is not as wide as its output.
    pub fn set_steering(&mut self, steering: Option<Steering>) -> Result<()> {
        if let Some(steering) = &steering {
            steering.check(&self.shape)?;
        }
        self.steering = steering;
        Ok(())
    }

    /// The steering in effect, if any.
    pub fn steering(&self) -> Option<&Steering> {
        self.steering.as_ref()
    }

    /// Adds the attached adapter's branches (for LoRA `A·B·scaling`) into the base weights and
    /// detaches it: the model computes the same, without a branch. Returns the adapter that
    /// was merged.
    pub fn merge_adapter(&mut self) -> Option<A> {
        let adapter = self.adapter.take()?;
        for (layer, site, delta) in adapter.merged_deltas() {
            self.decoder
                .projection_mut(layer, site)
                .expect("Adapter::check accepted every branch")
                .add_to_weight(delta);
        }
        Some(adapter)
    }

    /// Tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.vocab
    }

    /// Checks that every id in `ids` is a row of the embedding: `Error::Format` naming the
    /// first one outside and the vocabulary's size. Every forward pass runs this on its input
    /// (natively); callers that index logits by token id on the host use it for those ids.
    pub fn check_token_ids(&self, ids: impl IntoIterator<Item = i64>) -> Result<()> {
        match ids
            .into_iter()
            .find(|&id| usize::try_from(id).map_or(true, |id| id >= self.vocab))
        {
            Some(id) => Err(Error::Format {
                file: "input_ids".into(),
                problem: format!(
                    "token id {id} is outside the model's vocabulary of {} tokens (a tokenizer \
                     larger than the model?)",
                    self.vocab
                ),
            }),
            None => Ok(()),
        }
    }

    /// [`Model::check_token_ids`] on a forward pass's input: an id past the embedding would
    /// otherwise panic inside the backend's gather (burn-flex) or read another row (GPU).
    /// The ids are read back, a few hundred integers; natively a synchronous read costs one
    /// short wait. A browser cannot block on the GPU, so there the callers that take ids from
    /// outside (the page's `ids=`) check them with [`Model::check_token_ids`] first.
    fn check_ids_tensor(&self, ids: &Tensor<2, Int>) -> Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let data = ids.clone().into_data().convert::<i64>();
            let values = data
                .as_slice::<i64>()
                .map_err(|e| Error::Readback(format!("{e:?}")))?;
            self.check_token_ids(values.iter().copied())?;
        }
        #[cfg(target_arch = "wasm32")]
        let _ = ids;
        Ok(())
    }

    /// An empty cache for [`Model::forward_cached`].
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.num_layers())
    }

    /// The full forward pass. input_ids: `[batch, seq]`; attention_mask: `[batch, seq]` with 1
    /// for tokens and 0 for padding (`None`: no padding); captures: modules whose outputs to
    /// return. Real tokens never see padding, so right padding leaves their outputs unchanged;
    /// what padded positions compute is finite but unspecified.
    pub fn forward(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
        captures: &[ModulePath],
    ) -> Result<ForwardOutput> {
        self.run(input_ids, attention_mask, None, captures, Mode::Adapted)
    }

    /// [`Model::forward`] while training: the adapter's dropout is on.
    pub fn forward_training(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
        captures: &[ModulePath],
    ) -> Result<ForwardOutput> {
        self.run(input_ids, attention_mask, None, captures, Mode::Training)
    }

    /// The logits `[batch, seq, vocab]` of the base model, without the adapter or the
    /// steering and outside the autodiff graph: the reference for KL-to-base terms and capability checks.
    pub fn forward_base(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
    ) -> Result<Tensor<3>> {
        Ok(self
            .run(input_ids, attention_mask, None, &[], Mode::Base)?
            .logits
            .detach())
    }

    /// The forward pass over new tokens only, attending to those already in `cache` (which
    /// it extends). attention_mask covers the cached and the new positions:
    /// `[batch, cache.len() + seq]`.
    pub fn forward_cached(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
        cache: &mut KvCache,
        captures: &[ModulePath],
    ) -> Result<ForwardOutput> {
        self.run(
            input_ids,
            attention_mask,
            Some(cache),
            captures,
            Mode::Adapted,
        )
    }

    fn run(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
        cache: Option<&mut KvCache>,
        captures: &[ModulePath],
        mode: Mode,
    ) -> Result<ForwardOutput> {
        let (logits, captures) =
            self.pass(input_ids, attention_mask, cache, captures, mode, None)?;
        Ok(ForwardOutput {
            logits: logits.expect("a full pass returns logits"),
            captures,
        })
    }

    /// The checked forward pass; with `last_layer`, it stops after that layer and returns no
    /// logits.
    fn pass(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
        cache: Option<&mut KvCache>,
        captures: &[ModulePath],
        mode: Mode,
        last_layer: Option<usize>,
    ) -> Result<(Option<Tensor<3>>, BTreeMap<ModulePath, Tensor<3>>)> {
        for path in captures {
            path.check(self.num_layers())?;
        }
        let [batch, seq] = input_ids.dims();
        if batch == 0 || seq == 0 {
            return Err(Error::Unsupported("an empty batch of token ids".into()));
        }
        self.check_ids_tensor(&input_ids)?;
        let past = cache.as_ref().map_or(0, |c| c.len());
        if let Some(mask) = &attention_mask
            && mask.dims() != [batch, past + seq]
        {
            return Err(Error::Format {
                file: "attention_mask".into(),
                problem: format!(
                    "shape {:?}, expected [batch, cached + new tokens] = [{batch}, {}]",
                    mask.dims(),
                    past + seq
                ),
            });
        }
        let (adapter, steering) = match mode {
            Mode::Base => (None, None),
            Mode::Adapted | Mode::Training => (
                self.adapter.as_ref().map(|a| a as &dyn Adapter),
                self.steering.as_ref(),
            ),
        };
        let mut hooks = hooks::Hooks::new(captures, adapter, steering, mode == Mode::Training);
        let logits = self.decoder.forward(
            input_ids,
            attention_mask.as_ref(),
            cache,
            &mut hooks,
            last_layer,
        );
        Ok((logits, hooks.taken))
    }

    /// Only the outputs of `captures`, running the layers up to the deepest of them and no
    /// further: what SOO training needs, at a fraction of a full pass's cost (forward and
    /// backward). With `training`, the adapter's dropout is on. Shapes as in [`Model::forward`].
    pub fn activations(
        &self,
        input_ids: Tensor<2, Int>,
        attention_mask: Option<Tensor<2, Int>>,
        captures: &[ModulePath],
        training: bool,
    ) -> Result<BTreeMap<ModulePath, Tensor<3>>> {
        let Some(last) = captures.iter().map(|p| p.layer).max() else {
            return Ok(BTreeMap::new());
        };
        let mode = if training {
            Mode::Training
        } else {
            Mode::Adapted
        };
        let (_, taken) = self.pass(input_ids, attention_mask, None, captures, mode, Some(last))?;
        Ok(taken)
    }
}

/// Whether a forward pass uses the adapter and the steering, and with dropout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Without the adapter or the steering.
    Base,
    /// With the adapter and the steering, deterministic.
    Adapted,
    /// With the adapter (and its dropout) and the steering.
    Training,
}
