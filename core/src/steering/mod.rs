//! The steering baseline (docs/eval.md "Steering baseline"): difference-of-means activation
//! steering, the representation-engineering method of repeng and "steering vectors", computed
//! from the same self/other pairs SOO trains on at the same hook, and added at inference with a
//! swept strength. What SOO has to beat besides the honesty prompt.
//!
//! - [`vector`] computes `v = mean(A_self) − mean(A_other)` and the norms that give a strength
//!   its meaning.
//! - [`file`] stores it as a small folder (safetensors + JSON sidecar) and reads it back, checked.
//! - [`sweep`] reads a list of strengths and tabulates one report per strength.
//!
//! Applying it is the model's business: [`Model::set_steering`](crate::model::Model::set_steering)
//! with a [`Steering`](crate::model::Steering).

pub mod file;
pub mod sweep;
pub mod vector;

pub use vector::{SteeringVector, VectorInfo, mean_difference};
