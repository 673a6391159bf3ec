//! The measurements that run a model: each takes a loaded [`Model`](crate::model::Model) (and a
//! tokenizer) and returns plain data for the model-free half of [`crate::eval`] to summarise and
//! report.
//!
//! - [`run`] answers a suite: greedy generation, classified by both text rules, and/or
//!   [`forced_choice`] (the likelier room by log-probability), into
//!   [`SuiteResult`](crate::eval::results::SuiteResult)s.
//! - [`latent`] measures latent SOO (docs/method.md §6): the MSE between a model's activations on
//!   self- and other-referencing probes.
//! - [`capability`] measures what SOO fine-tuning may cost: the KL to the base model and the
//!   perplexity on neutral text.
//! - [`batch`] pads token ids into the batches they share.

pub mod batch;
pub mod capability;
pub mod forced_choice;
pub mod latent;
pub mod run;
