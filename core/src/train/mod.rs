//! SOO fine-tuning: the config, the pairs, the losses and the trainer that drives them, on any
//! burn device. The caller runs the loop one step at a time ([`Trainer::step`]), so a browser
//! can yield between steps and stop at any moment; checkpoints are bytes
//! ([`Checkpoint`]) that the caller stores where it can.

pub mod batch;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod loss;
pub mod pairs;
mod trainer;

pub use crate::model::Positions;
pub use batch::TokenBatch;
pub use checkpoint::Checkpoint;
pub use config::{Objective, TrainConfig};
pub use data::{Examples, TokenData};
pub use pairs::Pair;
pub use trainer::{StepReport, StopReason, Trainer};
