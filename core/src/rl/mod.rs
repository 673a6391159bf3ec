//! The paper's second experiment (§3.2; docs/method.md §7, docs/rl.md): SOO fine-tuning of a
//! deceptive reinforcement-learning agent in a modified Physical Deception world.
//!
//! - [`config`]: typed settings (world, MADDPG, SOO), validated;
//! - [`physics`], [`world`], [`observe`]: the world (MPE's `simple_adversary` physics, checked
//!   against Farama's `mpe2`, and the method's modifications, listed in [`world`]);
//! - [`mlp`], [`replay`], [`maddpg`]: the 64-64 networks and MADDPG;
//! - [`soo`]: the fine-tuning loss and its controls;
//! - [`measures`]: returns, trap rate, mean SOO, behavioural profile, the Table 6 classifier.
//!
//! Everything here runs on the host, single-threaded, without files or printing, so that it
//! compiles for wasm32 and the page can run it live.

pub mod config;
pub mod maddpg;
pub mod measures;
pub mod mlp;
pub mod observe;
pub mod physics;
pub mod replay;
pub mod report;
pub mod soo;
pub mod world;

pub use config::{MaddpgConfig, Reward, RlConfig, SooConfig, SooVariant, WorldConfig};
pub use maddpg::{EpisodeReport, Policies, Trainer, TrainerState};
