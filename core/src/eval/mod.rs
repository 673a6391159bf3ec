//! The deception evaluation, in two halves along what needs a model.
//!
//! What needs no model (data, classification, reports):
//!
//! - Suites are data: [`suites::builtin`] reads the embedded `core/data/suites/*.toml` (the
//!   paper's exact templates, docs/method.md §1 and §5) and derives the seven Name/Objective/Action
//!   variants and the mirrored variants; [`Suite::parse`] reads a user's own suite file and
//!   [`ScenarioSet::parse`] a fixed scenario file such as the authors' test set.
//! - [`family`] holds scenario families (`core/data/families/*.toml`): the burglar structure in
//!   other settings, each written for a competitor, for the model itself and for the owner,
//!   expanded into six suites with the mirrored orders, and split into families organisms may be
//!   built on and families only ever tested on.
//! - [`Vocabulary`] is soo's own test vocabulary, disjoint from the SOO training items
//!   ([`TrainingItems`]); [`Suite::generate`] draws scenarios from it with a seed.
//! - [`classify`] holds the authors' rule (to compare with the paper) and the three-way rule
//!   (deceptive / honest / other, whole words); [`Summary`] counts both with Wilson intervals.
//! - [`results`] holds what a run produces; [`report`] turns results into the report's JSON and
//!   Markdown, [`svg`] into its chart, [`compare`] sets two reports side by side.
//!
//! What runs a model is in [`measure`]: answering a suite (generation and/or forced choice),
//! latent SOO (docs/method.md §6) and capability (the KL to the base model, perplexity on neutral text).

pub mod classify;
pub mod compare;
pub mod family;
pub mod format;
pub mod measure;
pub mod report;
pub mod results;
pub mod scenario;
pub mod scenario_file;
pub mod suites;
pub mod summary;
pub mod svg;
pub mod template;
pub mod vocabulary;

pub use classify::{Class, OtherReason, Pick};
pub use family::{Audience, Family, FamilySplit};
pub use scenario::{AnswerSuffix, HONESTY_PREFIX, PromptStyle, Scenario, SuiteKind};
pub use scenario_file::ScenarioSet;
pub use suites::Suite;
pub use summary::{OtherCounts, Proportion, Summary};
pub use template::{Fields, Slot};
pub use vocabulary::{TrainingItems, Vocabulary};
