//! What the files of `soo organism` share: where an organism's files are, which toy world it
//! is, the device, and the error for a file that does not parse.

use std::path::Path;

use soo_core::burn::tensor::Device;
use soo_core::device::{BackendKind, select_device};
use soo_core::load::hub::HubOptions;
use soo_core::load::model_files::ModelFiles;
use soo_core::load::native::resolve;
use soo_core::organism::toy_world::World;
use soo_core::organism::{MANIFEST_FILE, manifest_kind};
use soo_core::{Error, Result};

/// The toy world of the organism in `folder`, if its manifest says it is a toy kind.
pub fn toy_world_of(folder: &Path) -> Option<World> {
    let manifest = std::fs::read(folder.join(MANIFEST_FILE)).ok()?;
    manifest_kind(&manifest)?.toy_world()
}

/// The files of the organism folder `folder`.
pub fn folder_files(folder: &Path) -> Result<ModelFiles> {
    resolve(
        &folder.display().to_string(),
        &HubOptions::from_env()?,
        &mut |_| {},
    )
}

/// The device of `backend` (the CPU when the GPU is not there).
pub fn device(backend: BackendKind) -> Device {
    pollster::block_on(select_device(backend)).device
}

/// The error for `file`, which does not parse.
pub fn format_error(file: &Path, problem: impl ToString) -> Error {
    Error::Format {
        file: file.display().to_string(),
        problem: problem.to_string(),
    }
}
