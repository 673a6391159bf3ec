//! The experiment `soo run` runs from one TOML file: the base model is evaluated, then for
//! every seed an adapter is trained with SOO (and, when asked, with the exposure and sham
//! controls) and evaluated, and a comparison gives each condition's rates as mean ± sd over
//! seeds beside the base model's. This module holds what is not terminal or file work, so that
//! the command line runs it and the browser app writes it:
//!
//! - [`file`]: the file's types ([`Experiment`], [`EvalSection`]), parsing and writing;
//! - [`plan`]: the conditions, the grid of (condition, seed) runs, each run's `soo train`
//!   settings and the folders everything goes in;
//! - [`comparison`]: the table of the reports;
//! - [`pairs`]: the training pairs a training config asks for.
//!
//! ```text
//! OUT/base/report.json                 the base model's evaluation
//! OUT/<condition>/seed-<s>/            soo train's folder (config, log, checkpoints, adapter)
//! OUT/<condition>/seed-<s>/eval/       the evaluation with that adapter
//! OUT/comparison.md, comparison.json   the table
//! ```
//!
//! ```toml
//! model = "path/to/model.gguf"   # a folder, a .gguf or a Hub id
//! adapters = ["organism/adapter"] # optional: adapters under the trained one (an organism),
//!                                 # merged into the base for training and every evaluation
//! seeds = [0, 1, 2]
//! controls = ["exposure", "sham"] # optional; --controls adds both
//! [eval]                          # soo eval's options
//! suites = "main,main-mirrored"  # names, or suite files (`organism/suites/x.toml[:mirrored]`)
//! # scenarios = "file.json"       # optional: a scenario file in the authors' format
//! n = 100
//! capability = true
//! [train]                         # soo train's config keys, plus an optional preset
//! preset = "smollm2-135m"
//! steps = 20
//! ```

pub mod comparison;
pub mod file;
pub mod pairs;
pub mod plan;

pub use comparison::Comparison;
pub use file::{EvalSection, Experiment};
pub use plan::{Cell, TrainingPlan};
