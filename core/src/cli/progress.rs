//! Progress on the terminal, on stderr (and nothing when stderr is not a terminal, so scripts
//! and `--json` output stay clean): one indicatif bar per file being downloaded, and the bar of
//! a run of steps (`soo train`, `soo rl`).

use indicatif::{ProgressBar, ProgressStyle};
use soo_core::load::native::LoadEvent;

/// Turns [`LoadEvent`]s into progress bars.
#[derive(Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Shows `event`.
    pub fn show(&mut self, event: LoadEvent) {
        match event {
            LoadEvent::DownloadStarted { file, bytes } => {
                let bar = ProgressBar::new(bytes);
                // The template is a constant: if it ever failed to parse, keep the default look.
                if let Ok(style) = ProgressStyle::with_template(
                    "{msg:30} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({eta})",
                ) {
                    bar.set_style(style);
                }
                bar.set_message(file);
                self.bar = Some(bar);
            }
            LoadEvent::DownloadProgress { done, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(done);
                }
            }
            LoadEvent::DownloadFinished { .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
            }
            LoadEvent::Reading { .. } => {}
        }
    }
}

/// The bar of a run of `total` steps (episodes…) of which `done` are done (a resumed run),
/// labelled `what`.
pub fn steps_bar(what: &str, total: usize, done: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    // The template is built from a constant: if it ever failed to parse, keep the default look.
    let template = format!("{what} [{{elapsed_precise}}] [{{wide_bar}}] {{pos}}/{{len}} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.set_position(done as u64);
    bar
}
