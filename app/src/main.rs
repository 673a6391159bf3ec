//! soo-app: the soo explainer and in-browser trainer. A thin shell: every number it shows is
//! computed by soo-core; this crate only fetches, asks, waits and draws.
//!
//! The same bundle runs twice: on the page, where it draws and asks, and in a dedicated worker
//! (`worker`), where the model lives and computes, so that the page never freezes.

mod client;
mod clock;
mod components;
mod controls;
mod fetch;
mod model_source;
mod params;
mod protocol;
mod session;
mod settings;
mod story;
mod toy_world;
mod webgpu;
mod worker;

fn main() {
    console_error_panic_hook::set_once();
    if worker::in_worker() {
        worker::serve();
    } else {
        leptos::mount::mount_to_body(components::App);
    }
}
