//! What the story's steps share on the page: the signals that show where things stand, and the
//! loaded model's tokenizer. The model itself lives in the worker (`crate::worker`); a step
//! asks it through [`Lab::call`], one operation at a time.

use std::cell::RefCell;

use leptos::prelude::*;
use soo_core::device::BackendKind;
use soo_core::text::Tokenizer;

use crate::client;
use crate::protocol::{Event, Files, Reply, Request};

thread_local! {
    static TOKENIZER: RefCell<Option<Tokenizer>> = const { RefCell::new(None) };
}

/// The loaded model's tokenizer (a copy of the worker's, for showing token splits at once).
pub fn tokenizer() -> Option<Tokenizer> {
    TOKENIZER.with(|t| t.borrow().clone())
}

/// Remembers the loaded model's tokenizer (or forgets it).
pub fn set_tokenizer(tokenizer: Option<Tokenizer>) {
    TOKENIZER.with(|t| *t.borrow_mut() = tokenizer);
}

/// What the model panel shows about the model.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelState {
    /// Nothing loaded yet.
    None,
    /// Downloading or reading: one row per file.
    Loading(Vec<FileProgress>),
    /// Ready.
    Ready(ModelInfo),
    /// Loading failed.
    Failed(String),
    /// The worker holding the model crashed: the page goes on with a fresh worker and no model.
    Lost(String),
}

/// One file's download.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileProgress {
    /// The file name.
    pub name: String,
    /// Bytes so far.
    pub done: u64,
    /// Its size, when the server said.
    pub total: Option<u64>,
    /// Finished.
    pub finished: bool,
}

/// The loaded model, for the page.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelInfo {
    /// Its name.
    pub name: String,
    /// Architecture family.
    pub family: String,
    /// Decoder layers.
    pub layers: usize,
    /// Hidden width.
    pub hidden: usize,
    /// The weights' file.
    pub weights_file: String,
    /// Bytes fetched or read.
    pub bytes: u64,
    /// Files fetched or read.
    pub files: usize,
    /// Fetching and building, milliseconds.
    pub load_ms: f64,
    /// Backend it runs on.
    pub backend: BackendKind,
    /// Has a chat template (the deception test needs one).
    pub chat: bool,
}

/// The signals every step reads; `Copy`, handed round by context.
#[derive(Clone, Copy)]
pub struct Lab {
    /// The device, once chosen: backend and why.
    pub device: RwSignal<Option<(BackendKind, String)>>,
    /// The model's state.
    pub model: RwSignal<ModelState>,
    /// Bumped whenever the model or its adapter changes (steps clear stale results).
    pub generation: RwSignal<u64>,
    /// The operation running now, in words, if any.
    pub busy: RwSignal<Option<String>>,
    /// A LoRA adapter has been trained on the loaded model.
    pub trained: RwSignal<bool>,
    /// The WebGPU adapter's `maxStorageBufferBindingSize`, once known.
    pub max_binding: RwSignal<Option<f64>>,
    /// Why a download could not be kept in the browser's storage, if it could not.
    pub storage: RwSignal<Option<String>>,
    /// What loading does now in the worker (after the downloads), in words.
    pub phase: RwSignal<Option<String>>,
}

impl Lab {
    /// Fresh signals.
    pub fn new() -> Self {
        Self {
            device: RwSignal::new(None),
            model: RwSignal::new(ModelState::None),
            generation: RwSignal::new(0),
            busy: RwSignal::new(None),
            trained: RwSignal::new(false),
            max_binding: RwSignal::new(None),
            storage: RwSignal::new(None),
            phase: RwSignal::new(None),
        }
    }

    /// Whether the page runs on the CPU backend (slower: smaller defaults).
    pub fn on_cpu(&self) -> bool {
        self.device
            .get()
            .is_some_and(|(kind, _)| kind == BackendKind::Flex)
    }

    /// The loaded model's facts, if one is ready.
    pub fn info(&self) -> Option<ModelInfo> {
        match self.model.get() {
            ModelState::Ready(info) => Some(info),
            _ => None,
        }
    }

    /// Sends `request` (with `files`) to the model's worker, marking the page busy with
    /// `what` until the reply; `on_event` gets its progress. Errors come back as text.
    pub async fn call(
        &self,
        what: &str,
        request: Request,
        files: Files,
        on_event: impl FnMut(Event) + 'static,
    ) -> Result<(Reply, Files), String> {
        if self.device.get_untracked().is_none() {
            return Err("the compute device is not ready yet".into());
        }
        if let Some(running) = self.busy.get_untracked() {
            return Err(format!("wait: {running} is still running"));
        }
        self.busy.set(Some(what.to_string()));
        let result = client::call(request, files, on_event).await;
        self.busy.set(None);
        result
    }

    /// The worker crashed and took the model with it (see [`client::on_crash`]): the page
    /// says so and goes on; the next request starts a fresh worker.
    pub fn lose_model(&self, why: String) {
        self.model.set(ModelState::Lost(why));
        self.trained.set(false);
        self.generation.update(|g| *g += 1);
    }
}

/// The lab of the page.
pub fn lab() -> Lab {
    expect_context::<Lab>()
}
