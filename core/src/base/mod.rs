//! The ground floor: the error type, the host RNG, tensor read-back and (natively) file output.
//! Nothing here imports anything else from the crate; every other module may import from here.

pub mod error;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
#[cfg(not(target_arch = "wasm32"))]
pub mod lock;
pub mod rng;
pub mod tensor;
