//! Native file output that never leaves a partial file behind: everything soo writes goes to a
//! temporary name first and is renamed into place, so an interrupted run keeps the old file or
//! gets the whole new one.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// An I/O error as soo reports it: the path and what went wrong.
pub fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Format {
        file: path.display().to_string(),
        problem: e.to_string(),
    }
}

/// `path` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = with_suffix(path, ".tmp");
    std::fs::write(&temp, bytes).map_err(|e| io_error(&temp, e))?;
    std::fs::rename(&temp, path).map_err(|e| io_error(path, e))
}

/// Writes a folder of `files` (name, bytes) at `dir`: built under a temporary name, then
/// renamed into place, replacing an older folder of that name. Leftovers of an interrupted
/// earlier write (`dir.tmp`, `dir.old`) are cleared first.
pub fn write_dir_atomic(dir: &Path, files: &[(&str, &[u8])]) -> Result<()> {
    let temp = with_suffix(dir, ".tmp");
    let old = with_suffix(dir, ".old");
    for leftover in [&temp, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).map_err(|e| io_error(leftover, e))?;
        }
    }
    std::fs::create_dir_all(&temp).map_err(|e| io_error(&temp, e))?;
    for (name, bytes) in files {
        let path = temp.join(name);
        std::fs::write(&path, bytes).map_err(|e| io_error(&path, e))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|e| io_error(dir, e))?;
        std::fs::rename(&temp, dir).map_err(|e| io_error(dir, e))?;
        std::fs::remove_dir_all(&old).map_err(|e| io_error(&old, e))
    } else {
        std::fs::rename(&temp, dir).map_err(|e| io_error(dir, e))
    }
}

/// Reads a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

/// Reads a UTF-8 text file, naming it in the error.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| io_error(path, e))
}
