//! Turning host tensors from a [`WeightSource`] into burn parameters, checking every shape
//! against what the config implies so that a mismatch is an error naming the tensor, not a
//! panic deep inside a matrix product. Every parameter made here is recorded with its Hugging
//! Face name ([`NamedParam`]), so a trained model can be written back in the same layout.

use std::cell::RefCell;

use burn::module::{Param, ParamId};
use burn::nn::{Embedding, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use crate::load::{HostTensor, WeightSource, transpose};
use crate::{Error, Result};

/// A parameter's Hugging Face name: how [`super::Model::export_weights`] finds it again.
#[derive(Debug, Clone)]
pub(crate) struct NamedParam {
    pub(crate) id: ParamId,
    pub(crate) name: String,
    /// Stored `[d_in, d_out]` in burn, `[d_out, d_in]` in the file.
    pub(crate) transposed: bool,
}

/// A weight source plus what error messages need (the file's name) and where tensors go.
pub(crate) struct Weights<'a> {
    source: &'a dyn WeightSource,
    file: &'a str,
    pub(crate) device: &'a Device,
    named: RefCell<Vec<NamedParam>>,
}

impl<'a> Weights<'a> {
    pub(crate) fn new(source: &'a dyn WeightSource, file: &'a str, device: &'a Device) -> Self {
        Weights {
            source,
            file,
            device,
            named: RefCell::new(Vec::new()),
        }
    }

    /// The names of every parameter made so far.
    pub(crate) fn into_names(self) -> Vec<NamedParam> {
        self.named.into_inner()
    }

    fn named<const D: usize>(
        &self,
        param: Param<Tensor<D>>,
        name: &str,
        transposed: bool,
    ) -> Param<Tensor<D>> {
        self.named.borrow_mut().push(NamedParam {
            id: param.id,
            name: name.to_string(),
            transposed,
        });
        param
    }

    pub(crate) fn error(&self, problem: String) -> Error {
        Error::Format {
            file: self.file.to_string(),
            problem,
        }
    }

    /// The tensor `name` with exactly `shape`, if the source has it.
    pub(crate) fn optional(&self, name: &str, shape: &[usize]) -> Result<Option<HostTensor>> {
        let Some(tensor) = self.source.tensor(name)? else {
            return Ok(None);
        };
        if tensor.shape != shape {
            return Err(self.error(format!(
                "tensor {name} has shape {:?}, but config.json implies {shape:?}",
                tensor.shape
            )));
        }
        if tensor.data.len() != shape.iter().product::<usize>() {
            return Err(self.error(format!(
                "tensor {name}: {} values for shape {shape:?}",
                tensor.data.len()
            )));
        }
        // A cheap pass (well under the cost of decoding) that keeps a corrupt file from loading
        // as a model whose every output is NaN: such a model must fail here, naming the
        // tensor, not score as "honest" downstream.
        if let Some(i) = crate::base::tensor::first_non_finite(&tensor.data) {
            return Err(self.error(format!(
                "tensor {name} holds a non-finite value ({} at index {i}): corrupt weights",
                tensor.data[i]
            )));
        }
        Ok(Some(tensor))
    }

    /// The tensor `name` with exactly `shape`; missing is an error.
    pub(crate) fn required(&self, name: &str, shape: &[usize]) -> Result<HostTensor> {
        self.optional(name, shape)?
            .ok_or_else(|| self.error(format!("tensor {name} is missing")))
    }

    /// A 1-D parameter (norm weight, bias).
    pub(crate) fn vector(&self, name: &str, len: usize) -> Result<Param<Tensor<1>>> {
        let t = self.required(name, &[len])?;
        let param = Param::from_tensor(Tensor::from_data(
            TensorData::new(t.data, [len]),
            self.device,
        ));
        Ok(self.named(param, name, false))
    }

    /// `[vocab, hidden]` embedding table, stored as PyTorch stores it.
    pub(crate) fn embedding(&self, name: &str, vocab: usize, hidden: usize) -> Result<Embedding> {
        let t = self.required(name, &[vocab, hidden])?;
        let weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(t.data, [vocab, hidden]),
            self.device,
        ));
        Ok(Embedding {
            weight: self.named(weight, name, false),
        })
    }

    /// The linear layer `<prefix>.weight` (`[d_out, d_in]` in the file) and, if `bias`,
    /// `<prefix>.bias`. burn keeps the weight as `[d_in, d_out]`, so it is transposed here.
    pub(crate) fn linear(
        &self,
        prefix: &str,
        d_in: usize,
        d_out: usize,
        bias: bool,
    ) -> Result<Linear> {
        let name = format!("{prefix}.weight");
        let w = self.required(&name, &[d_out, d_in])?;
        let weight = Param::from_tensor(Tensor::from_data(
            TensorData::new(transpose(&w.data, d_out, d_in), [d_in, d_out]),
            self.device,
        ));
        Ok(Linear {
            weight: self.named(weight, &name, true),
            bias: if bias {
                Some(self.vector(&format!("{prefix}.bias"), d_out)?)
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<String, HostTensor>);

    impl WeightSource for Map {
        fn tensor(&self, name: &str) -> Result<Option<HostTensor>> {
            Ok(self.0.get(name).cloned())
        }
    }

    #[test]
    fn transposes_and_checks_shapes() {
        let w = HostTensor {
            shape: vec![2, 3],
            data: vec![1., 2., 3., 4., 5., 6.],
        };
        let source = Map(HashMap::from([("l.weight".to_string(), w)]));
        let device = Device::flex();
        let weights = Weights::new(&source, "m.safetensors", &device);
        let linear = weights.linear("l", 3, 2, false).unwrap();
        let got = linear
            .weight
            .val()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        assert_eq!(got, vec![1., 4., 2., 5., 3., 6.]);

        let err = weights.linear("l", 2, 3, false).unwrap_err().to_string();
        assert!(
            err.contains("m.safetensors") && err.contains("[2, 3]"),
            "{err}"
        );
        let err = weights.linear("l", 3, 2, true).unwrap_err().to_string();
        assert!(err.contains("l.bias is missing"), "{err}");
    }
}
