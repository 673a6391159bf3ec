//! Hugging Face safetensors weights, from bytes: one `model.safetensors`, or shards listed by a
//! `model.safetensors.index.json`. Tensors are decoded to f32 on request (F32, F16, BF16), so a
//! source holds the files' bytes and nothing more.

use std::collections::HashMap;

use burn::tensor::{bf16, f16};
use safetensors::tensor::{Dtype, Metadata, SafeTensors};
use serde::Deserialize;

use super::{HostTensor, WeightSource};
use crate::{Error, Result};

/// One parsed safetensors file: its bytes and the header that says where each tensor lies.
#[derive(Debug)]
struct Shard {
    name: String,
    bytes: Vec<u8>,
    /// Where the tensor data starts: after the 8-byte length and the JSON header.
    data_start: usize,
    metadata: Metadata,
}

impl Shard {
    fn parse(name: &str, bytes: Vec<u8>) -> Result<Self> {
        let (header_len, metadata) =
            SafeTensors::read_metadata(&bytes).map_err(|e| Error::Format {
                file: name.to_string(),
                problem: format!("not a valid safetensors file: {e}"),
            })?;
        Ok(Shard {
            name: name.to_string(),
            bytes,
            data_start: 8 + header_len,
            metadata,
        })
    }

    fn format_error(&self, problem: String) -> Error {
        Error::Format {
            file: self.name.clone(),
            problem,
        }
    }

    fn read(&self, tensor: &str) -> Result<Option<HostTensor>> {
        let Some(info) = self.metadata.info(tensor) else {
            return Ok(None);
        };
        let (begin, end) = info.data_offsets;
        let raw = self
            .bytes
            .get(self.data_start + begin..self.data_start + end)
            .ok_or_else(|| self.format_error(format!("tensor {tensor} ends past the file")))?;
        let count: usize = info.shape.iter().product();
        let width = match info.dtype {
            Dtype::F32 => 4,
            Dtype::F16 | Dtype::BF16 => 2,
            other => {
                return Err(self.format_error(format!(
                    "tensor {tensor} is {other:?}; soo reads F32, F16 and BF16 safetensors"
                )));
            }
        };
        if raw.len() != count * width {
            return Err(self.format_error(format!(
                "tensor {tensor}: shape {:?} needs {} bytes of {:?}, the file has {}",
                info.shape,
                count * width,
                info.dtype,
                raw.len()
            )));
        }
        let data = match info.dtype {
            Dtype::F32 => raw
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => raw
                .chunks_exact(2)
                .map(|b| f16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
                .collect(),
            _ => raw
                .chunks_exact(2)
                .map(|b| bf16::from_bits(u16::from_le_bytes([b[0], b[1]])).to_f32())
                .collect(),
        };
        Ok(Some(HostTensor {
            shape: info.shape.clone(),
            data,
        }))
    }
}

/// Weights from one or more safetensors files held in memory.
#[derive(Debug)]
pub struct SafetensorsSource {
    shards: Vec<Shard>,
    /// Tensor name → index into `shards`.
    location: HashMap<String, usize>,
}

/// The part of `model.safetensors.index.json` that matters: which shard holds each tensor.
#[derive(Debug, Deserialize)]
struct Index {
    weight_map: HashMap<String, String>,
}

fn parse_index(index_name: &str, index_json: &[u8]) -> Result<Index> {
    serde_json::from_slice(index_json).map_err(|e| Error::Format {
        file: index_name.to_string(),
        problem: format!("not a safetensors index (expected a \"weight_map\"): {e}"),
    })
}

/// The shard files a `model.safetensors.index.json` refers to, sorted, each once: what a caller
/// must fetch before calling [`SafetensorsSource::sharded`].
pub fn shard_files(index_name: &str, index_json: &[u8]) -> Result<Vec<String>> {
    let mut files: Vec<String> = parse_index(index_name, index_json)?
        .weight_map
        .into_values()
        .collect();
    files.sort();
    files.dedup();
    Ok(files)
}

impl SafetensorsSource {
    /// A single file (`model.safetensors`); `name` is used in error messages.
    pub fn single(name: &str, bytes: Vec<u8>) -> Result<Self> {
        let shard = Shard::parse(name, bytes)?;
        let location = shard
            .metadata
            .tensors()
            .into_keys()
            .map(|tensor| (tensor, 0))
            .collect();
        Ok(SafetensorsSource {
            shards: vec![shard],
            location,
        })
    }

    /// Shards listed by an index file. `shards` holds (file name, bytes) for every file the
    /// index names (see [`shard_files`]); a missing shard, or an index entry that its shard does
    /// not contain, is an error naming both.
    pub fn sharded(
        index_name: &str,
        index_json: &[u8],
        shards: Vec<(String, Vec<u8>)>,
    ) -> Result<Self> {
        let index = parse_index(index_name, index_json)?;
        let parsed = shards
            .into_iter()
            .map(|(name, bytes)| Shard::parse(&name, bytes))
            .collect::<Result<Vec<_>>>()?;
        let mut location = HashMap::with_capacity(index.weight_map.len());
        for (tensor, file) in index.weight_map {
            let Some(at) = parsed.iter().position(|s| s.name == file) else {
                return Err(Error::Format {
                    file: index_name.to_string(),
                    problem: format!("tensor {tensor} is in shard {file}, which was not given"),
                });
            };
            if parsed[at].metadata.info(&tensor).is_none() {
                return Err(Error::Format {
                    file: file.clone(),
                    problem: format!("{index_name} lists tensor {tensor} here, but it is absent"),
                });
            }
            location.insert(tensor, at);
        }
        Ok(SafetensorsSource {
            shards: parsed,
            location,
        })
    }

    /// Every tensor name, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.location.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The file that holds `tensor`, if any.
    pub fn file_of(&self, tensor: &str) -> Option<&str> {
        self.location
            .get(tensor)
            .map(|&i| self.shards[i].name.as_str())
    }
}

impl WeightSource for SafetensorsSource {
    fn tensor(&self, name: &str) -> Result<Option<HostTensor>> {
        match self.location.get(name) {
            Some(&i) => self.shards[i].read(name),
            None => Ok(None),
        }
    }
}

/// How [`write`] stores values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAs {
    /// 32-bit floats: exact.
    F32,
    /// bfloat16 (round to nearest even): half the size, what most checkpoints on the Hub use.
    Bf16,
}

/// A safetensors file of `tensors` (name, tensor), with `metadata` (key, value) in its header. Names are
/// written sorted, as the format requires.
pub fn write(
    tensors: &[(String, HostTensor)],
    store_as: StoreAs,
    metadata: &[(&str, &str)],
) -> Result<Vec<u8>> {
    let encoded: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let bytes = match store_as {
                StoreAs::F32 => t.data.iter().flat_map(|v| v.to_le_bytes()).collect(),
                StoreAs::Bf16 => t
                    .data
                    .iter()
                    .flat_map(|v| bf16::from_f32(*v).to_bits().to_le_bytes())
                    .collect(),
            };
            (name.clone(), t.shape.clone(), bytes)
        })
        .collect();
    let dtype = match store_as {
        StoreAs::F32 => Dtype::F32,
        StoreAs::Bf16 => Dtype::BF16,
    };
    let views = encoded
        .iter()
        .map(|(name, shape, bytes)| {
            safetensors::tensor::TensorView::new(dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Unsupported(format!("cannot write safetensors: {e}")))?;
    let metadata = (!metadata.is_empty()).then(|| {
        metadata
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    });
    safetensors::tensor::serialize(views, metadata)
        .map_err(|e| Error::Unsupported(format!("cannot write safetensors: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;

    fn file(tensors: &[(&str, Dtype, Vec<usize>, Vec<u8>)]) -> Vec<u8> {
        let views: Vec<(String, TensorView<'_>)> = tensors
            .iter()
            .map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap()))
            .collect();
        safetensors::tensor::serialize(views, None).unwrap()
    }

    #[test]
    fn decodes_f32_f16_bf16() {
        let f32s: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let f16s: Vec<u8> = [0.25f32, 3.0]
            .iter()
            .flat_map(|v| f16::from_f32(*v).to_bits().to_le_bytes())
            .collect();
        let bf16s: Vec<u8> = [-0.5f32, 8.0]
            .iter()
            .flat_map(|v| bf16::from_f32(*v).to_bits().to_le_bytes())
            .collect();
        let bytes = file(&[
            ("a", Dtype::F32, vec![2, 1], f32s),
            ("b", Dtype::F16, vec![2], f16s),
            ("c", Dtype::BF16, vec![1, 2], bf16s),
        ]);
        let source = SafetensorsSource::single("m.safetensors", bytes).unwrap();
        let a = source.tensor("a").unwrap().unwrap();
        assert_eq!((a.shape, a.data), (vec![2, 1], vec![1.5, -2.0]));
        assert_eq!(source.tensor("b").unwrap().unwrap().data, vec![0.25, 3.0]);
        assert_eq!(source.tensor("c").unwrap().unwrap().data, vec![-0.5, 8.0]);
        assert_eq!(source.tensor("d").unwrap(), None);
        assert_eq!(source.names(), vec!["a", "b", "c"]);
    }

    #[test]
    fn sharded_checks_the_index() {
        let one = file(&[("a", Dtype::F32, vec![1], 1f32.to_le_bytes().to_vec())]);
        let two = file(&[("b", Dtype::F32, vec![1], 2f32.to_le_bytes().to_vec())]);
        let index = br#"{"metadata":{},"weight_map":{"a":"s1","b":"s2"}}"#;
        assert_eq!(shard_files("i.json", index).unwrap(), vec!["s1", "s2"]);
        let source = SafetensorsSource::sharded(
            "i.json",
            index,
            vec![("s1".into(), one.clone()), ("s2".into(), two)],
        )
        .unwrap();
        assert_eq!(source.tensor("b").unwrap().unwrap().data, vec![2.0]);
        assert_eq!(source.file_of("a"), Some("s1"));

        let err = SafetensorsSource::sharded("i.json", index, vec![("s1".into(), one)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("i.json") && err.contains("s2"), "{err}");
    }

    #[test]
    fn garbage_is_a_format_error() {
        let err = SafetensorsSource::single("x.safetensors", vec![1, 2, 3])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.safetensors:"), "{err}");
    }
}
