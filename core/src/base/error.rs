//! The one error type of the core: every failure names what went wrong in words a user can act on.

/// Anything that can go wrong in soo-core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No compute device could be set up (for example: WebGPU is missing in this browser).
    #[error("no usable compute device: {0}")]
    Device(String),
    /// An input (weights, config, tokenizer, scenario file) is malformed: names the file and the
    /// problem, e.g. `model.gguf: truncated: tensor blk.3.attn_q.weight ends past the file`.
    #[error("{file}: {problem}")]
    Format {
        /// The file (or, for bytes from the browser, the name it was fetched as).
        file: String,
        /// What is wrong with it, in words a user can act on.
        problem: String,
    },
    /// A well-formed input asks for something soo does not support (yet).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A tensor could not be read back from the device.
    #[error("reading a tensor back from the device failed: {0}")]
    Readback(String),
}

/// `Result` with the core's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An [`Error::Format`] naming `file` and the problem.
pub fn format_error(file: &str, problem: impl Into<String>) -> Error {
    Error::Format {
        file: file.to_string(),
        problem: problem.into(),
    }
}
