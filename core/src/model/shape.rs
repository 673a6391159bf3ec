//! The sizes of a model that adapters and hooks need: layer count and each projection's widths.

use super::path::Site;

/// Layer count and projection widths of a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelShape {
    /// Decoder layers.
    pub layers: usize,
    /// Residual stream width.
    pub hidden: usize,
    /// Width of q_proj's output (`heads * head_dim`).
    pub q_dim: usize,
    /// Width of k_proj's and v_proj's outputs (`kv_heads * head_dim`).
    pub kv_dim: usize,
    /// MLP width.
    pub intermediate: usize,
}

impl ModelShape {
    /// `(d_in, d_out)` of the module at `site`; `(hidden, hidden)` for the block outputs.
    pub fn dims(&self, site: Site) -> (usize, usize) {
        let ModelShape {
            hidden,
            q_dim,
            kv_dim,
            intermediate,
            ..
        } = *self;
        match site {
            Site::QProj => (hidden, q_dim),
            Site::KProj | Site::VProj => (hidden, kv_dim),
            Site::OProj => (q_dim, hidden),
            Site::GateProj | Site::UpProj => (hidden, intermediate),
            Site::DownProj => (intermediate, hidden),
            Site::SelfAttn | Site::Mlp | Site::Residual => (hidden, hidden),
        }
    }
}
