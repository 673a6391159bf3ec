//! Hooks into a forward pass, where the adapter's branches, the steering vector and the captures
//! meet: the [`Adapter`] trait (the branch beside a projection, which LoRA implements a floor up)
//! and the per-pass state that adds those branches, steers one module's output and hands back
//! the wanted module outputs.
//! Captured tensors are the forward's own tensors, so gradients flow through them; there is no
//! global hook state.

use std::collections::BTreeMap;
use std::fmt;

use burn::tensor::Tensor;

use super::path::{ModulePath, Site};
use super::projection::Projection;
use super::shape::ModelShape;
use super::steering::Steering;
use crate::Result;

/// Trainable branches beside a model's frozen projections: all the model knows of an adapter.
/// LoRA (`lora::Lora`) implements it; a [`Model`](super::Model) is generic over it so that
/// burn sees the adapter's parameters as the model's own (autodiff, `valid()`, optimizers).
pub trait Adapter: fmt::Debug {
    /// Checks that the adapter fits a model of this shape (its layers, each branch's widths).
    fn check(&self, shape: &ModelShape) -> Result<()>;

    /// Dropout probability on the branches' input while training.
    fn dropout(&self) -> f64;

    /// Whether there is a branch beside the projection at `site` of `layer`.
    fn has_branch(&self, layer: usize, site: Site) -> bool;

    /// The branch's output beside the projection at `site` of `layer` (which must have one):
    /// x `[batch, seq, d_in]` → `[batch, seq, d_out]`, with `dropout` on its input.
    fn delta(&self, layer: usize, site: Site, x: Tensor<3>, dropout: f64) -> Tensor<3>;

    /// Every branch as the change `[d_in, d_out]` that merging adds to its projection's weight.
    fn merged_deltas(&self) -> Vec<(usize, Site, Tensor<2>)>;
}

/// What one forward pass does besides computing: it collects the wanted module outputs, adds
/// the adapter's branches (if one is attached) to the projections they sit beside, and adds the
/// steering vector (if one is set) to its module's output.
pub(crate) struct Hooks<'a> {
    wanted: &'a [ModulePath],
    adapter: Option<&'a dyn Adapter>,
    steering: Option<&'a Steering>,
    /// Dropout probability on the branches: the adapter's while training, 0 otherwise.
    dropout: f64,
    /// The layer now running.
    pub(crate) layer: usize,
    pub(crate) taken: BTreeMap<ModulePath, Tensor<3>>,
}

impl<'a> Hooks<'a> {
    pub(crate) fn new(
        wanted: &'a [ModulePath],
        adapter: Option<&'a dyn Adapter>,
        steering: Option<&'a Steering>,
        training: bool,
    ) -> Self {
        Hooks {
            wanted,
            adapter,
            steering,
            dropout: match adapter {
                Some(adapter) if training => adapter.dropout(),
                _ => 0.0,
            },
            layer: 0,
            taken: BTreeMap::new(),
        }
    }

    /// The output of `site` of the current layer as the rest of the pass sees it: `tensor`,
    /// steered if the steering sits there, and kept if that module was asked for (the steered
    /// value: what the next module reads). A clone of a burn tensor shares its data and its
    /// place in the autodiff graph, so keeping it costs nothing.
    pub(crate) fn offer(&mut self, site: Site, tensor: Tensor<3>) -> Tensor<3> {
        let path = ModulePath::new(self.layer, site);
        let tensor = match self.steering.filter(|s| s.site() == path) {
            Some(steering) => steering.apply(tensor),
            None => tensor,
        };
        if self.wanted.contains(&path) {
            self.taken.insert(path, tensor.clone());
        }
        tensor
    }

    /// `projection(x)` plus the adapter's branch at `site` of the current layer, if any;
    /// offered as that site's output ([`Hooks::offer`]: steered there if the steering sits
    /// there). x: `[batch, seq, d_in]` → `[batch, seq, d_out]`.
    pub(crate) fn project(
        &mut self,
        site: Site,
        projection: &Projection,
        x: Tensor<3>,
    ) -> Tensor<3> {
        let out = match self
            .adapter
            .filter(|adapter| adapter.has_branch(self.layer, site))
        {
            Some(adapter) => {
                projection.forward(x.clone()) + adapter.delta(self.layer, site, x, self.dropout)
            }
            None => projection.forward(x),
        };
        self.offer(site, out)
    }
}
