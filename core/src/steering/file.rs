//! A steering vector on disk: a folder with `steering.safetensors` (one f32 tensor `vector`,
//! `[width]`) and `steering.json` (its [`VectorInfo`]: model, hook, positions, pairs, norms).
//! Each file is written atomically; reading checks everything a forward pass would otherwise
//! trip over later (a NaN, a width that disagrees with the sidecar, a module the model lacks)
//! and names the file at fault.

#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

use super::vector::{DIRECTION, SteeringVector, VectorInfo};
use crate::Result;
use crate::base::error::format_error;
#[cfg(not(target_arch = "wasm32"))]
use crate::base::files::{io_error, read, write_atomic};
use crate::base::tensor::first_non_finite;
use crate::load::safetensors::{SafetensorsSource, StoreAs, write};
use crate::load::{HostTensor, WeightSource};
use crate::model::{ModelShape, Positions};

/// The vector's file in a steering folder.
pub const VECTOR_FILE: &str = "steering.safetensors";
/// The sidecar's file in a steering folder.
pub const INFO_FILE: &str = "steering.json";
/// The tensor's name inside [`VECTOR_FILE`].
pub const TENSOR: &str = "vector";

/// The two files' bytes: (`steering.safetensors`, `steering.json`).
pub fn encode(vector: &SteeringVector) -> Result<(Vec<u8>, Vec<u8>)> {
    let tensor = HostTensor {
        shape: vec![vector.vector.len()],
        data: vector.vector.clone(),
    };
    let hook = vector.info.hook.to_string();
    let weights = write(
        &[(TENSOR.to_string(), tensor)],
        StoreAs::F32,
        &[("hook", &hook), ("direction", DIRECTION)],
    )?;
    let mut info = serde_json::to_vec_pretty(&vector.info)
        .map_err(|e| format_error(INFO_FILE, format!("does not serialise: {e}")))?;
    info.push(b'\n');
    Ok((weights, info))
}

/// The vector of a folder's two files; `folder` names them in errors.
pub fn decode(folder: &str, weights: Vec<u8>, info: &[u8]) -> Result<SteeringVector> {
    let info_name = format!("{folder}/{INFO_FILE}");
    let weights_name = format!("{folder}/{VECTOR_FILE}");
    let info: VectorInfo = serde_json::from_slice(info)
        .map_err(|e| format_error(&info_name, format!("not a steering sidecar: {e}")))?;
    let bad_info = |problem: String| format_error(&info_name, problem);
    if info.direction != DIRECTION {
        return Err(bad_info(format!(
            "direction '{}': soo writes only '{DIRECTION}'",
            info.direction
        )));
    }
    if info.positions == Positions::All {
        return Err(bad_info(
            "positions 'all': a steering vector uses last or mean".into(),
        ));
    }
    if info.pairs == 0 || info.width == 0 {
        return Err(bad_info("a vector of no pairs or no width".into()));
    }
    for (name, value) in [
        ("norm", info.norm),
        ("activation_norm", info.activation_norm),
        ("residual_norm", info.residual_norm),
    ] {
        if !value.is_finite() || value < 0.0 {
            return Err(bad_info(format!("{name} is {value}")));
        }
    }
    let bad_weights = |problem: String| format_error(&weights_name, problem);
    let source = SafetensorsSource::single(&weights_name, weights)?;
    let tensor = source
        .tensor(TENSOR)?
        .ok_or_else(|| bad_weights(format!("no tensor '{TENSOR}'")))?;
    if tensor.shape != [info.width] {
        return Err(bad_weights(format!(
            "tensor '{TENSOR}' has shape {:?}, but {INFO_FILE} says width {}",
            tensor.shape, info.width
        )));
    }
    if let Some(i) = first_non_finite(&tensor.data) {
        return Err(bad_weights(format!(
            "value #{i} of '{TENSOR}' is {} (not finite)",
            tensor.data[i]
        )));
    }
    let norm = tensor
        .data
        .iter()
        .map(|v| f64::from(*v).powi(2))
        .sum::<f64>()
        .sqrt();
    if (norm - info.norm).abs() > 1e-4 * info.norm.max(1e-6) {
        return Err(bad_weights(format!(
            "the vector's norm is {norm}, but {INFO_FILE} says {} (files from two runs?)",
            info.norm
        )));
    }
    Ok(SteeringVector {
        info,
        vector: tensor.data,
    })
}

/// Writes `vector` into the folder `dir` (created if missing; other files in it are left
/// alone), each file atomically.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_dir(dir: &Path, vector: &SteeringVector) -> Result<()> {
    let (weights, info) = encode(vector)?;
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    write_atomic(&dir.join(VECTOR_FILE), &weights)?;
    write_atomic(&dir.join(INFO_FILE), &info)
}

/// Reads the steering folder `dir`.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_dir(dir: &Path) -> Result<SteeringVector> {
    let weights = read(&dir.join(VECTOR_FILE))?;
    let info = read(&dir.join(INFO_FILE))?;
    decode(&dir.display().to_string(), weights, &info)
}

/// Checks that the vector read from `folder` fits a model of this shape: its hook is one of
/// the model's modules and it is as wide as that module's output. The error names the file.
pub fn check_fits(vector: &SteeringVector, shape: &ModelShape, folder: &str) -> Result<()> {
    vector
        .steering(0.0)
        .and_then(|steering| steering.check(shape))
        .map_err(|e| {
            format_error(
                &format!("{folder}/{INFO_FILE}"),
                format!("does not fit this model: {e}"),
            )
        })
}
