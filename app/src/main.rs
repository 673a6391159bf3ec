//! soo-app: the soo explainer and in-browser trainer. A thin shell: every number it shows is
//! computed by soo-core; this crate only fetches, asks, waits and draws.

mod adapter;
mod components;
mod fetch;
mod model_source;
mod params;
mod session;
mod story;
mod toy_world;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::App);
}
