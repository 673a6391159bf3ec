//! LoRA (low-rank adaptation): trainable `x · A · B · (alpha / r)` branches beside frozen linear
//! projections of a [`Model`](crate::model::Model), named and initialised the way Python peft
//! does, so that adapters travel between soo and the Python ecosystem ([`peft`]).
//!
//! A [`Lora`] lives outside the model's weights: it is the model's [`Adapter`]. Attach it with
//! [`Model::attach_adapter`](crate::model::Model::attach_adapter) and every forward pass (training,
//! generation, evaluation) goes through it; the base weights never change and
//! [`Model::forward_base`](crate::model::Model::forward_base) still sees the model without it.

mod linear;
pub mod merge;
pub mod peft;
pub mod stack;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use linear::LoraLinear;

use crate::base::rng::SplitMix64;
use crate::model::{Adapter, ModelShape, Site};
use crate::{Error, Result};

/// The linear modules a LoRA branch can sit beside, with their peft names.
pub const TARGETS: [(Site, &str); 7] = [
    (Site::QProj, "q_proj"),
    (Site::KProj, "k_proj"),
    (Site::VProj, "v_proj"),
    (Site::OProj, "o_proj"),
    (Site::GateProj, "gate_proj"),
    (Site::UpProj, "up_proj"),
    (Site::DownProj, "down_proj"),
];

/// Which modules get a branch, and its size. Mirrors peft's `LoraConfig` (`r`, `lora_alpha`,
/// `lora_dropout`, `target_modules`, `layers_to_transform`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoraConfig {
    /// Rank r of `A: [d_in, r]` and `B: [r, d_out]`.
    pub rank: usize,
    /// The branch is scaled by `alpha / rank`.
    pub alpha: f64,
    /// Dropout on the branch's input while training (0 switches it off).
    pub dropout: f64,
    /// Module names: `q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`, `down_proj`.
    pub targets: Vec<String>,
    /// Layer indices; empty means every layer.
    pub layers: Vec<usize>,
}

impl Default for LoraConfig {
    /// `q_proj` and `v_proj` of every layer, r = 8, alpha = 32, no dropout.
    fn default() -> Self {
        LoraConfig {
            rank: 8,
            alpha: 32.0,
            dropout: 0.0,
            targets: vec!["q_proj".into(), "v_proj".into()],
            layers: Vec::new(),
        }
    }
}

impl LoraConfig {
    /// `alpha / rank`, the factor on the branch.
    pub fn scaling(&self) -> f64 {
        self.alpha / self.rank as f64
    }

    /// The target sites, checked.
    pub fn target_sites(&self) -> Result<Vec<Site>> {
        if self.rank == 0 {
            return Err(Error::Unsupported("LoRA rank must be at least 1".into()));
        }
        // No model is wider than this (see SIZE_LIMITS): refuse an absurd rank before a model
        // is even loaded; [`Lora::init`] bounds it by the actual widths.
        let widest = crate::load::hf::MAX_WIDTH;
        if self.rank > widest {
            return Err(Error::Unsupported(format!(
                "LoRA rank {} is wider than any model (at most {widest})",
                self.rank
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(Error::Unsupported(format!(
                "LoRA dropout {} is not in [0, 1)",
                self.dropout
            )));
        }
        if self.targets.is_empty() {
            return Err(Error::Unsupported("LoRA has no target modules".into()));
        }
        self.targets
            .iter()
            .map(|name| {
                site_of(name).ok_or_else(|| {
                    let names: Vec<&str> = TARGETS.iter().map(|(_, n)| *n).collect();
                    Error::Unsupported(format!(
                        "LoRA target '{name}': use one of {}",
                        names.join(", ")
                    ))
                })
            })
            .collect()
    }
}

/// The site of a peft module name (`q_proj`), or of a full one (`self_attn.q_proj`).
pub(crate) fn site_of(name: &str) -> Option<Site> {
    let short = name.rsplit('.').next().unwrap_or(name);
    TARGETS.iter().find(|(_, n)| *n == short).map(|(s, _)| *s)
}

/// The branches of one decoder layer, one slot per target module.
#[derive(Module, Debug)]
pub struct LayerLora {
    branches: Vec<Option<LoraLinear>>,
}

/// A set of LoRA branches for one model.
#[derive(Module, Debug)]
pub struct Lora {
    layers: Vec<LayerLora>,
    rank: usize,
    alpha: f64,
    dropout: f64,
}

impl Lora {
    /// Fresh branches as peft makes them: `A` uniform in ±1/sqrt(d_in) (peft's Kaiming-uniform
    /// with a = sqrt(5)), `B` zero, so the adapted model starts equal to the base. The draws come
    /// from [`SplitMix64`] on the host, so every device starts from the same bits for a seed.
    pub fn init(
        config: &LoraConfig,
        shape: &ModelShape,
        seed: u64,
        device: &Device,
    ) -> Result<Self> {
        let sites = config.target_sites()?;
        // A rank beyond a projection's widths adds nothing a full update would not, and an
        // absurd one (`--set lora.rank=1e11`) must be refused before its branches are allocated.
        for &(site, name) in TARGETS.iter().filter(|(s, _)| sites.contains(s)) {
            let (d_in, d_out) = shape.dims(site);
            if config.rank > d_in.min(d_out) {
                return Err(Error::Unsupported(format!(
                    "lora.rank = {} is wider than {name} ({d_in} → {d_out}): at most {}",
                    config.rank,
                    d_in.min(d_out)
                )));
            }
        }
        let layers = layer_set(config, shape.layers)?;
        let mut rng = SplitMix64::new(seed);
        let mut out = Lora::empty(config, shape.layers);
        for (layer, selected) in layers.iter().enumerate() {
            for (slot, (site, _)) in TARGETS.iter().enumerate() {
                if !selected || !sites.contains(site) {
                    continue;
                }
                let (d_in, d_out) = shape.dims(*site);
                let bound = 1.0 / (d_in as f32).sqrt();
                let a = rng.uniform_vec(d_in * config.rank, bound);
                let b = vec![0.0; config.rank * d_out];
                out.layers[layer].branches[slot] = Some(LoraLinear::from_host(
                    branch_id(layer, *site),
                    (a, d_in),
                    (b, d_out),
                    config.rank,
                    device,
                ));
            }
        }
        Ok(out)
    }

    /// No branches yet, sized for `layers` layers.
    pub(crate) fn empty(config: &LoraConfig, layers: usize) -> Self {
        Lora {
            layers: (0..layers)
                .map(|_| LayerLora {
                    branches: (0..TARGETS.len()).map(|_| None).collect(),
                })
                .collect(),
            rank: config.rank,
            alpha: config.alpha,
            dropout: config.dropout,
        }
    }

    /// Rank r.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// `alpha / r`.
    pub fn scaling(&self) -> f64 {
        self.alpha / self.rank as f64
    }

    /// The config that describes these branches.
    pub fn config(&self) -> LoraConfig {
        let mut targets = Vec::new();
        let mut layers = Vec::new();
        for (index, layer) in self.layers.iter().enumerate() {
            let mut any = false;
            for ((_, name), branch) in TARGETS.iter().zip(&layer.branches) {
                if branch.is_some() {
                    any = true;
                    if !targets.iter().any(|t: &String| t == name) {
                        targets.push(name.to_string());
                    }
                }
            }
            if any {
                layers.push(index);
            }
        }
        if layers.len() == self.layers.len() {
            layers.clear();
        }
        LoraConfig {
            rank: self.rank,
            alpha: self.alpha,
            dropout: self.dropout,
            targets,
            layers,
        }
    }

    /// Number of decoder layers this was made for.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// The branch beside `site` of `layer`, if there is one.
    pub fn branch(&self, layer: usize, site: Site) -> Option<&LoraLinear> {
        let slot = TARGETS.iter().position(|(s, _)| *s == site)?;
        self.layers.get(layer)?.branches[slot].as_ref()
    }

    /// Every branch with its layer and site, in layer order.
    pub fn branches(&self) -> impl Iterator<Item = (usize, Site, &LoraLinear)> {
        self.layers.iter().enumerate().flat_map(|(layer, l)| {
            TARGETS
                .iter()
                .zip(&l.branches)
                .filter_map(move |((site, _), b)| b.as_ref().map(|b| (layer, *site, b)))
        })
    }

    /// Puts `branch` beside `site` of `layer`.
    pub(crate) fn set_branch(&mut self, layer: usize, site: Site, branch: LoraLinear) {
        let slot = TARGETS
            .iter()
            .position(|(s, _)| *s == site)
            .expect("only LoRA target sites are set");
        self.layers[layer].branches[slot] = Some(branch);
    }

    /// The dropout probability used while training.
    pub fn dropout(&self) -> f64 {
        self.dropout
    }

    /// Checks that every branch fits `shape` (a model with these layers and widths).
    pub fn check(&self, shape: &ModelShape) -> Result<()> {
        if self.layers.len() != shape.layers {
            return Err(Error::Unsupported(format!(
                "the adapter is for a model with {} layers, this one has {}",
                self.layers.len(),
                shape.layers
            )));
        }
        for (layer, site, branch) in self.branches() {
            let (d_in, d_out) = shape.dims(site);
            if branch.dims() != (d_in, d_out) {
                let (a, b) = branch.dims();
                return Err(Error::Unsupported(format!(
                    "adapter branch layers.{layer}.{} is {a} → {b}, the model's module is \
                     {d_in} → {d_out}",
                    site.name()
                )));
            }
        }
        Ok(())
    }
}

/// Which layers a config selects, as a mask.
fn layer_set(config: &LoraConfig, layers: usize) -> Result<Vec<bool>> {
    if config.layers.is_empty() {
        return Ok(vec![true; layers]);
    }
    let mut mask = vec![false; layers];
    for &l in &config.layers {
        if l >= layers {
            return Err(Error::Unsupported(format!(
                "LoRA layer {l}: the model has {layers} layers, numbered 0 to {}",
                layers.saturating_sub(1)
            )));
        }
        mask[l] = true;
    }
    Ok(mask)
}

/// A stable parameter id per branch, so that optimizer state saved in a checkpoint finds its
/// parameters again after a restart. `A` gets the even id, `B` the odd one.
pub(crate) fn branch_id(layer: usize, site: Site) -> u64 {
    let slot = TARGETS.iter().position(|(s, _)| *s == site).unwrap_or(0) as u64;
    // "SOO" in the top bytes keeps these apart from burn's random ids; unique per branch.
    0x534F_4F00_0000_0000 + ((layer as u64) * 16 + slot) * 2
}

/// What the model sees of a LoRA: the branch `x · A · B · (alpha / r)` beside each target.
impl Adapter for Lora {
    fn check(&self, shape: &ModelShape) -> Result<()> {
        Lora::check(self, shape)
    }

    fn dropout(&self) -> f64 {
        Lora::dropout(self)
    }

    fn has_branch(&self, layer: usize, site: Site) -> bool {
        self.branch(layer, site).is_some()
    }

    fn delta(&self, layer: usize, site: Site, x: Tensor<3>, dropout: f64) -> Tensor<3> {
        self.branch(layer, site)
            .expect("the hooks ask only where has_branch said yes")
            .delta(x, self.scaling(), dropout)
    }

    fn merged_deltas(&self) -> Vec<(usize, Site, Tensor<2>)> {
        self.branches()
            .map(|(layer, site, branch)| (layer, site, branch.merged_delta(self.scaling())))
            .collect()
    }
}
