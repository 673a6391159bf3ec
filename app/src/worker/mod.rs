//! The worker's side: a dedicated Web Worker runs this same WebAssembly bundle (see
//! `crate::client` for how it starts), owns the compute device and the loaded model, and runs
//! the page's [`Request`]s one message at a time, so that the page never waits on the model.
//!
//! Long operations hand the event loop back between their steps ([`crate::clock::yield_now`]),
//! which is when a [`Request::Stop`] arrives and sets [`stop_requested`].

mod checks;
mod story;
mod toy;
mod training;

use std::cell::{Cell, RefCell};

use js_sys::{Array, Object};
use soo_core::device::{BackendKind, SelectedDevice, select_device};
use soo_core::loaded::LoadedModel;
use wasm_bindgen::prelude::*;

use crate::clock::now_ms;
use crate::protocol::{self, Event, Files, Reply, Request};

#[wasm_bindgen]
extern "C" {
    /// `postMessage` of the worker's global scope (to the page).
    #[wasm_bindgen(js_name = postMessage)]
    fn post_message(message: &JsValue, transfer: &Array);
}

/// A loaded model and what exports call it.
pub struct Session {
    /// The model, its tokenizer and chat template.
    pub loaded: LoadedModel,
    /// What it is called in exports (`base_model_name_or_path`).
    pub name: String,
}

thread_local! {
    static DEVICE: RefCell<Option<SelectedDevice>> = const { RefCell::new(None) };
    static MODEL: RefCell<Option<Session>> = const { RefCell::new(None) };
    static STOP: Cell<bool> = const { Cell::new(false) };
}

/// Whether this code runs in a worker (no `window`) rather than on the page.
pub fn in_worker() -> bool {
    web_sys::window().is_none()
}

/// Listens for requests and tells the page it does.
pub fn serve() {
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|event: JsValue| {
        let data = protocol::get(&event, "data");
        let id = protocol::get(&data, "id").as_f64().unwrap_or(-1.0);
        let files = protocol::files_from_js(&data);
        match protocol::from_js::<Request>(protocol::get(&data, "request")) {
            Ok(Request::Stop) => STOP.with(|s| s.set(true)),
            Ok(request) => wasm_bindgen_futures::spawn_local(async move {
                let answer = handle(id, request, files).await;
                finish(id, answer);
            }),
            Err(e) => finish(id, Err(e)),
        }
    });
    let _ = js_sys::Reflect::set(&js_sys::global(), &"onmessage".into(), on_message.as_ref());
    on_message.forget();
    let ready = Object::new();
    protocol::set(&ready, "ready", &JsValue::TRUE);
    post_message(&ready, &Array::new());
}

/// Sends a progress event of request `id` to the page.
pub fn emit(id: f64, event: Event) {
    let message = Object::new();
    protocol::set(&message, "id", &id.into());
    match protocol::to_js(&event) {
        Ok(value) => protocol::set(&message, "event", &value),
        Err(e) => leptos::logging::error!("{e}"),
    }
    post_message(&message, &Array::new());
}

/// Sends request `id`'s result, and its files as transferred buffers.
fn finish(id: f64, answer: Result<(Reply, Files), String>) {
    let message = Object::new();
    protocol::set(&message, "id", &id.into());
    let (done, files) = match answer {
        Ok((reply, files)) => (Ok::<_, String>(reply), files),
        Err(e) => (Err(e), Files::new()),
    };
    let done = protocol::to_js(&done)
        .or_else(|e| protocol::to_js(&Err::<Reply, String>(e)))
        .unwrap_or(JsValue::UNDEFINED);
    protocol::set(&message, "done", &done);
    let (files, transfer) = protocol::files_to_js(files);
    protocol::set(&message, "files", &files);
    post_message(&message, &transfer);
}

/// Runs one request.
async fn handle(id: f64, request: Request, files: Files) -> Result<(Reply, Files), String> {
    let none = |reply: Reply| Ok((reply, Files::new()));
    match request {
        Request::Init { cpu_because } => none(init(cpu_because).await),
        Request::SelfCheck => none(checks::self_check().await?),
        Request::Load {
            export_name,
            max_binding,
        } => none(story::load(id, files, export_name, max_binding).await?),
        Request::Ask {
            question,
            max_new_tokens,
        } => none(story::ask(question, max_new_tokens).await?),
        Request::Overlap { probes, positions } => none(story::overlap(probes, positions).await?),
        Request::Train { config, every } => none(training::train(id, config, every).await?),
        Request::Stop => none(Reply::Done),
        Request::ExportAdapter => Ok((Reply::Done, story::export_adapter().await?)),
        Request::ImportAdapter => none(story::import_adapter(files).await?),
        Request::Measure {
            adapted,
            n,
            max_new_tokens,
        } => none(story::measure(id, adapted, n, max_new_tokens).await?),
        Request::ToyBase => none(toy::set_base(files)?),
        Request::ToyMeasure => none(toy::measure().await?),
        Request::ToyTrain {
            config,
            trigger_known,
        } => none(toy::train(id, config, trigger_known).await?),
        Request::ToyTeach { steps, world } => none(toy::teach(id, steps, world).await?),
        Request::ModelCheck { ids } => none(checks::model_check(files, ids).await?),
        Request::TrainCheck { steps, seed } => {
            none(checks::train_check(id, files, steps, seed).await?)
        }
    }
}

/// Picks the backend: the CPU when the page says why, else WebGPU if it starts here.
async fn init(cpu_because: Option<String>) -> Reply {
    let started = now_ms();
    let selected = match cpu_because {
        Some(reason) => {
            let mut selected = select_device(BackendKind::Flex).await;
            selected.reason = reason;
            selected
        }
        None => select_device(BackendKind::Wgpu).await,
    };
    let reply = Reply::Device {
        kind: selected.kind,
        reason: selected.reason.clone(),
        init_ms: now_ms() - started,
    };
    DEVICE.with(|d| *d.borrow_mut() = Some(selected));
    reply
}

/// The chosen device, or why there is none yet.
pub fn device() -> Result<SelectedDevice, String> {
    DEVICE
        .with(|d| d.borrow().clone())
        .ok_or_else(|| "the compute device is not ready yet".into())
}

/// Clears the stop flag: a training run calls it as it starts.
pub fn reset_stop() {
    STOP.with(|s| s.set(false));
}

/// Whether the page asked to stop since the run started.
pub fn stop_requested() -> bool {
    STOP.with(|s| s.get())
}

/// Runs `operation` with the model taken out of its cell; it goes back afterwards whatever
/// happens, so that a second operation finds it busy instead of interleaving.
pub async fn with_model<T>(
    operation: impl AsyncFnOnce(&mut Session, &SelectedDevice) -> Result<T, String>,
) -> Result<T, String> {
    let selected = device()?;
    let mut session = MODEL.with(|m| m.borrow_mut().take()).ok_or_else(|| {
        "no model is ready: load one first (or wait for the running operation)".to_string()
    })?;
    let result = operation(&mut session, &selected).await;
    MODEL.with(|m| *m.borrow_mut() = Some(session));
    result
}

/// Puts a (new) model in place.
pub fn put_model(session: Session) {
    MODEL.with(|m| *m.borrow_mut() = Some(session));
}
