//! A model's base weights back as host tensors under their Hugging Face names: how a model
//! trained from scratch (or with an adapter merged in) is saved as an ordinary checkpoint that
//! soo, transformers and the browser all load.

use std::collections::HashMap;

use burn::module::{Module, ModuleDisplay, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

use super::{Adapter, Model};
use crate::Result;
use crate::base::tensor::read_f32;
use crate::load::{HostTensor, transpose};

/// Collects each named parameter as a flat tensor with its burn shape.
struct Collect<'a> {
    wanted: HashMap<ParamId, (&'a str, bool)>,
    found: Vec<(String, bool, Vec<usize>, Tensor<1>)>,
}

impl ModuleVisitor for Collect<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(&(name, transposed)) = self.wanted.get(&param.id) {
            let value = param.val().detach();
            let shape = value.dims().to_vec();
            let len: usize = shape.iter().product();
            self.found
                .push((name.to_string(), transposed, shape, value.reshape([len])));
        }
    }
}

impl<A: Adapter + Module + ModuleDisplay> Model<A> {
    /// Every base weight (an attached adapter not included; a merged one is), named and laid
    /// out as in a Hugging Face checkpoint (linear weights `[out, in]`), sorted by name.
    pub async fn export_weights(&self) -> Result<Vec<(String, HostTensor)>> {
        let mut collect = Collect {
            wanted: self
                .names
                .iter()
                .map(|n| (n.id, (n.name.as_str(), n.transposed)))
                .collect(),
            found: Vec::new(),
        };
        self.visit(&mut collect);
        let mut out = Vec::with_capacity(collect.found.len());
        for (name, transposed, shape, value) in collect.found {
            let data = read_f32(value).await?;
            let tensor = if transposed {
                // burn keeps `[d_in, d_out]`; the file wants `[d_out, d_in]`.
                let (d_in, d_out) = (shape[0], shape[1]);
                HostTensor {
                    shape: vec![d_out, d_in],
                    data: transpose(&data, d_in, d_out),
                }
            } else {
                HostTensor { shape, data }
            };
            out.push((name, tensor));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}
