//! soo-core: everything in soo that computes.
//!
//! Self-Other Overlap (SOO) fine-tuning trains LoRA adapters so that a model's activations on a
//! self-referencing prompt match those on its other-referencing twin. This crate holds the
//! models, the losses, the evaluation and the training loop. It runs on any burn device (the
//! `flex` CPU backend, or `wgpu` for WebGPU/Vulkan/Metal), compiles natively and to
//! `wasm32-unknown-unknown`, never prints and never touches the DOM: the `soo` command line and
//! the browser app are thin shells around it.

pub mod base;
pub mod device;
pub mod eval;
pub mod experiment;
pub mod generate;
pub mod load;
pub mod loaded;
pub mod lora;
pub mod model;
pub mod organism;
pub mod rl;
pub mod selfcheck;
pub mod steering;
pub mod text;
pub mod train;

pub use base::error::{Error, Result};

/// burn, re-exported so that the shells use the exact version the core was built with.
pub use burn;
