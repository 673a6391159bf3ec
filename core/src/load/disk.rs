//! Reading a model's files from disk, natively: large files memory-mapped, each read reported
//! as a [`LoadEvent`], and the checks that keep names read from a model's own files inside its
//! folder. Shared by local folders ([`super::native`]) and the Hub cache ([`super::hub`]).

use std::path::Path;

use super::model_files::FileBytes;
use crate::base::files::io_error;
use crate::{Error, Result};

/// Files at least this large are memory-mapped rather than read into memory.
const MAP_FROM: u64 = 1 << 20;

/// What happens while a model is loaded, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadEvent {
    /// A local (or cached) file is being opened.
    Reading {
        /// Its path.
        file: String,
        /// Its size.
        bytes: u64,
    },
    /// A download starts.
    DownloadStarted {
        /// The file within the repo.
        file: String,
        /// Its size, when the server said.
        bytes: u64,
    },
    /// More of a download arrived.
    DownloadProgress {
        /// The file within the repo.
        file: String,
        /// Bytes so far.
        done: u64,
        /// Bytes in all.
        total: u64,
    },
    /// A download finished.
    DownloadFinished {
        /// The file within the repo.
        file: String,
    },
}

/// A file's bytes: memory-mapped when large, read otherwise.
pub fn read_file(path: &Path, on_event: &mut dyn FnMut(LoadEvent)) -> Result<FileBytes> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    on_event(LoadEvent::Reading {
        file: path.display().to_string(),
        bytes: len,
    });
    if len < MAP_FROM {
        return std::fs::read(path)
            .map(FileBytes::from)
            .map_err(|e| io_error(path, e));
    }
    // SAFETY: the map is only read. Like every loader that maps weights (llama.cpp,
    // safetensors), we rely on nobody truncating or rewriting the file while it is mapped;
    // the Hub cache never rewrites a finished blob.
    //
    // What is covered and what is not: a file truncated *before* this point is mapped at its
    // new length, and every header is then checked against that length before a tensor is read
    // (`Gguf::parse` puts each tensor's range inside the data section and refuses overlaps;
    // safetensors' header must end exactly at the end of the file), so it is a Format error
    // naming the file. A file truncated *while* mapped, between here and the last tensor read,
    // still kills the process with SIGBUS: the pages are gone, and recovering would need a
    // process-wide SIGBUS handler that unwinds out of arbitrary Rust frames (undefined
    // behaviour) or reading the whole file into memory instead (a second copy of every model,
    // gigabytes, for a race the user causes). The window is the load itself (and `soo
    // export`'s own pass over the weights): once they are on the device the map is not read.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| io_error(path, e))?;
    Ok(FileBytes::new(map))
}

/// Checks that `name`, a file name read from a model's own files (an index's shard), stays
/// inside the model's folder: a crafted index must not make us read or write elsewhere.
pub(crate) fn check_inside(listed_by: &str, name: &str) -> Result<()> {
    let path = Path::new(name);
    let inside = !name.is_empty()
        && !name.contains('\\')
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if inside {
        Ok(())
    } else {
        Err(Error::Format {
            file: listed_by.into(),
            problem: format!("names the file {name:?}, which is outside the model's folder"),
        })
    }
}

/// Prefixes the file named in a Format error with `place` (a folder, or a Hub repo), so that
/// `config.json: ...` becomes `models/smollm/config.json: ...`.
pub(crate) fn located(e: Error, place: &str) -> Error {
    match e {
        Error::Format { file, problem } if !file.contains('/') => Error::Format {
            file: format!("{}/{file}", place.trim_end_matches('/')),
            problem,
        },
        other => other,
    }
}
