//! Activation steering: a fixed vector added to one module's output at every position of every
//! forward pass (the representation-engineering baseline of docs/eval.md "Steering baseline").
//! It is a setting of the [`Model`](super::Model), beside and independent of the adapter, so
//! every path that runs the model (forced choice, generation, latent SOO, capability) is steered
//! without a path of its own.

use burn::tensor::{Tensor, TensorData};

use super::path::ModulePath;
use super::shape::ModelShape;
use crate::{Error, Result};

/// `output[b, t, :] += strength · vector` at the module `site`, for every batch row `b` and every
/// position `t` (prompt and generated tokens alike, padding included: padded positions are never
/// read). The module's captured output is the steered one, and so is everything after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Steering {
    site: ModulePath,
    /// `[width]`, the width of `site`'s output.
    vector: Vec<f32>,
    strength: f32,
}

impl Steering {
    /// Steering at `site` by `strength · vector` (`vector`: `[width]`). Fails on an empty vector
    /// or a value that is not finite (a NaN would silently poison every logit); whether the
    /// width fits a model is [`Steering::check`]'s question.
    pub fn new(site: ModulePath, vector: Vec<f32>, strength: f32) -> Result<Self> {
        if vector.is_empty() {
            return Err(Error::Unsupported(format!(
                "steering at {site}: the vector is empty"
            )));
        }
        if let Some(i) = vector.iter().position(|v| !v.is_finite()) {
            return Err(Error::Unsupported(format!(
                "steering at {site}: value #{i} of the vector is {} (not finite)",
                vector[i]
            )));
        }
        if !strength.is_finite() {
            return Err(Error::Unsupported(format!(
                "steering at {site}: the strength {strength} is not finite"
            )));
        }
        Ok(Steering {
            site,
            vector,
            strength,
        })
    }

    /// The module whose output is steered.
    pub fn site(&self) -> ModulePath {
        self.site
    }

    /// The direction, `[width]`, before the strength.
    pub fn vector(&self) -> &[f32] {
        &self.vector
    }

    /// The factor on the vector.
    pub fn strength(&self) -> f32 {
        self.strength
    }

    /// Checks that `site` is a module of a model of this shape and that the vector is as wide
    /// as its output.
    pub fn check(&self, shape: &ModelShape) -> Result<()> {
        self.site.check(shape.layers)?;
        let (_, width) = shape.dims(self.site.site);
        if self.vector.len() != width {
            return Err(Error::Unsupported(format!(
                "steering at {}: the vector has {} values, but the module's output is {width} \
                 wide (a vector made for another model?)",
                self.site,
                self.vector.len()
            )));
        }
        Ok(())
    }

    /// x: `[batch, seq, width]` → `x + strength · vector`, the vector broadcast over batch and
    /// positions. Strength 0 adds exact zeros, so the output equals `x` exactly.
    pub(crate) fn apply(&self, x: Tensor<3>) -> Tensor<3> {
        let width = self.vector.len();
        let added: Vec<f32> = self.vector.iter().map(|v| self.strength * v).collect();
        let added = Tensor::<3>::from_data(TensorData::new(added, [1, 1, width]), &x.device());
        x + added
    }
}
