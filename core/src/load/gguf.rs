//! Reading GGUF files (llama.cpp's single-file model format, versions 2 and 3) from bytes.
//!
//! Layout (all little-endian):
//!
//! ```text
//! "GGUF" | version: u32 | tensor_count: u64 | kv_count: u64
//! kv_count × (key: string, value_type: u32, value)          metadata
//! tensor_count × (name: string, n_dims: u32, dims: n_dims × u64, type: u32, offset: u64)
//! padding to `general.alignment` (default 32)
//! tensor data; each tensor at data_start + offset
//! ```
//!
//! A string is `len: u64` then `len` UTF-8 bytes; an array is `item_type: u32, len: u64, items`.
//! GGUF lists a tensor's dims innermost first (`ne[0]` is the row length); [`TensorInfo::shape`]
//! turns them around into PyTorch order. Version 1 (32-bit counts) and big-endian files are
//! refused with a clear error.
//!
//! Every read is bounds-checked: a malformed file gives [`Error::Format`] naming the file and the
//! problem, never a panic.

use std::collections::{BTreeMap, HashMap};

mod meta;
mod tokenizer;

pub use meta::MetaValue;
use meta::Reader;

use super::HostTensor;
use super::dequant::{self, GgmlType};
pub(crate) use crate::base::error::format_error;
use crate::{Error, Result};

/// The 4 bytes every GGUF file starts with.
const MAGIC: &[u8; 4] = b"GGUF";
/// Alignment of the tensor data when `general.alignment` is absent.
const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dims; allow some slack, refuse nonsense.
const MAX_DIMS: u32 = 8;

/// Where one tensor lives in the file, and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// The GGUF name (`blk.0.attn_q.weight`).
    pub name: String,
    /// Dims as GGUF lists them: innermost (row length) first.
    pub dims: Vec<usize>,
    /// Storage type.
    pub ty: GgmlType,
    /// Absolute byte offset of the data in the file.
    pub start: usize,
    /// Byte length of the data; 0 for a type soo cannot size.
    pub len: usize,
}

impl TensorInfo {
    /// The shape in PyTorch order (outermost first): GGUF `[576, 192]` is `[192, 576]`.
    pub fn shape(&self) -> Vec<usize> {
        self.dims.iter().rev().copied().collect()
    }

    /// Number of values.
    pub fn n_values(&self) -> usize {
        self.dims.iter().product()
    }
}

/// A parsed GGUF header: metadata and tensor directory. The tensor data stays in the caller's
/// bytes; [`Gguf::tensor`] decodes one tensor from them on demand.
#[derive(Debug, Clone)]
pub struct Gguf {
    /// The file name used in error messages.
    pub file: String,
    /// The format version (2 or 3).
    pub version: u32,
    /// Alignment of the tensor data (`general.alignment`, default 32).
    pub alignment: usize,
    /// Absolute offset of the tensor data section.
    pub data_start: usize,
    /// All metadata, by key.
    pub metadata: BTreeMap<String, MetaValue>,
    /// Tensors in file order.
    pub tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
}

impl Gguf {
    /// Parses the header of the GGUF file `bytes`; `file` names it in errors. Checks that every
    /// tensor of a known type lies inside `bytes` and has as many bytes as its shape needs.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self> {
        let mut r = Reader {
            file,
            bytes,
            pos: 0,
        };
        let magic = r.take(4, &|| "the magic number".into())?;
        if magic != MAGIC {
            return Err(format_error(
                file,
                format!("not a GGUF file: it starts with {magic:02x?}, not \"GGUF\""),
            ));
        }
        let version = r.u32(&|| "the version".into())?;
        match version {
            2 | 3 => {}
            1 => {
                return Err(Error::Unsupported(format!(
                    "{file}: GGUF version 1 (re-convert the model)"
                )));
            }
            v if v.swap_bytes() <= 3 => {
                return Err(Error::Unsupported(format!("{file}: big-endian GGUF files")));
            }
            v => return Err(format_error(file, format!("unknown GGUF version {v}"))),
        }
        let n_tensors = r.count(&|| "the tensor count".into())?;
        let n_kv = r.count(&|| "the metadata count".into())?;

        let mut metadata = BTreeMap::new();
        for i in 0..n_kv {
            let key = r.string(&|| format!("metadata key #{i}"))?;
            let what = || format!("metadata value {key:?}");
            let ty = r.u32(&what)?;
            let value = r.value(ty, 0, &what)?;
            metadata.insert(key, value);
        }

        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(v) => match v.as_u64() {
                Some(a) if a.is_power_of_two() => a,
                _ => {
                    return Err(format_error(
                        file,
                        format!("general.alignment {v:?} is not a power of two"),
                    ));
                }
            },
        };
        let alignment = usize::try_from(alignment)
            .map_err(|_| format_error(file, "general.alignment does not fit in memory"))?;

        let mut raw = Vec::with_capacity(n_tensors.min(1 << 16));
        for i in 0..n_tensors {
            let name = r.string(&|| format!("the name of tensor #{i}"))?;
            let what = || format!("the info of tensor {name}");
            let n_dims = r.u32(&what)?;
            if n_dims > MAX_DIMS {
                return Err(format_error(
                    file,
                    format!("tensor {name} claims {n_dims} dims"),
                ));
            }
            let mut dims = Vec::with_capacity(n_dims as usize);
            for _ in 0..n_dims {
                let d = r.u64(&what)?;
                dims.push(
                    usize::try_from(d).map_err(|_| {
                        format_error(file, format!("tensor {name} has a dim of {d}"))
                    })?,
                );
            }
            let ty = GgmlType::from_id(r.u32(&what)?);
            let offset = r.u64(&what)?;
            raw.push((name, dims, ty, offset));
        }
        // The data section starts at the next multiple of the alignment after the header.
        let data_start = r.pos.div_ceil(alignment).saturating_mul(alignment);

        let mut tensors = Vec::with_capacity(raw.len());
        let mut by_name = HashMap::with_capacity(raw.len());
        for (name, dims, ty, offset) in raw {
            let info = locate(
                file,
                bytes.len(),
                data_start,
                alignment,
                name,
                dims,
                ty,
                offset,
            )?;
            if by_name.insert(info.name.clone(), tensors.len()).is_some() {
                return Err(format_error(
                    file,
                    format!("tensor {} appears twice", info.name),
                ));
            }
            tensors.push(info);
        }
        check_disjoint(file, &tensors)?;
        Ok(Self {
            file: file.to_string(),
            version,
            alignment,
            data_start,
            metadata,
            tensors,
            by_name,
        })
    }

    /// The metadata value under `key`.
    pub fn get(&self, key: &str) -> Option<&MetaValue> {
        self.metadata.get(key)
    }

    /// The tensor called `name` (GGUF naming).
    pub fn info(&self, name: &str) -> Option<&TensorInfo> {
        self.by_name.get(name).and_then(|&i| self.tensors.get(i))
    }

    /// Decodes the tensor `name` (GGUF naming) from `bytes` (the file this header was parsed
    /// from) into f32, shape in PyTorch order. `Ok(None)` when there is no such tensor;
    /// [`Error::Unsupported`] for a storage type soo does not decode.
    pub fn tensor(&self, bytes: &[u8], name: &str) -> Result<Option<HostTensor>> {
        let Some(info) = self.info(name) else {
            return Ok(None);
        };
        if info.ty.block().is_none() {
            return Err(Error::Unsupported(format!(
                "{}: tensor {name} is stored as {}, which soo cannot decode (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q6_K)",
                self.file,
                info.ty.name()
            )));
        }
        let raw = info
            .start
            .checked_add(info.len)
            .and_then(|end| bytes.get(info.start..end))
            .ok_or_else(|| {
                format_error(
                    &self.file,
                    format!("tensor {name} ends past the end of the file"),
                )
            })?;
        let mut data = Vec::new();
        dequant::dequantize(info.ty, raw, &mut data)
            .map_err(|p| format_error(&self.file, format!("tensor {name}: {p}")))?;
        if data.len() != info.n_values() {
            return Err(format_error(
                &self.file,
                format!(
                    "tensor {name} decodes to {} values, its shape needs {}",
                    data.len(),
                    info.n_values()
                ),
            ));
        }
        Ok(Some(HostTensor {
            shape: info.shape(),
            data,
        }))
    }
}

/// Checks that no two tensors share bytes. Each already lies inside the data section
/// ([`locate`]); an overlap means a corrupt directory (an offset moved onto its neighbour), whose
/// tensors would decode into garbage, NaN included, rather than fail.
fn check_disjoint(file: &str, tensors: &[TensorInfo]) -> Result<()> {
    // Tensors of a type soo cannot size (len 0) take no bytes that we would read.
    let mut sized: Vec<&TensorInfo> = tensors.iter().filter(|t| t.len > 0).collect();
    sized.sort_by_key(|t| t.start);
    for pair in sized.windows(2) {
        let [a, b] = pair else { continue };
        // start + len cannot overflow: locate checked it against the file's length.
        if a.start + a.len > b.start {
            return Err(format_error(
                file,
                format!(
                    "tensors {} (bytes {}..{}) and {} (from byte {}) overlap: corrupt tensor offsets",
                    a.name,
                    a.start,
                    a.start + a.len,
                    b.name,
                    b.start
                ),
            ));
        }
    }
    Ok(())
}

/// Checks one tensor's directory entry against the file and computes where its bytes are.
#[allow(clippy::too_many_arguments)]
fn locate(
    file: &str,
    file_len: usize,
    data_start: usize,
    alignment: usize,
    name: String,
    dims: Vec<usize>,
    ty: GgmlType,
    offset: u64,
) -> Result<TensorInfo> {
    let bad = |problem: String| format_error(file, format!("tensor {name}: {problem}"));
    let offset = usize::try_from(offset)
        .map_err(|_| bad(format!("offset {offset} does not fit in memory")))?;
    if !offset.is_multiple_of(alignment) {
        return Err(bad(format!(
            "offset {offset} is not a multiple of the alignment {alignment}"
        )));
    }
    let n_values = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("shape {dims:?} has too many values")))?;
    let start = data_start
        .checked_add(offset)
        .ok_or_else(|| bad("offset overflows".into()))?;
    let Some((block_len, block_bytes)) = ty.block() else {
        // Unknown sizes: it can still be listed; decoding it reports Unsupported.
        return Ok(TensorInfo {
            name,
            dims,
            ty,
            start,
            len: 0,
        });
    };
    let row = dims.first().copied().unwrap_or(1);
    if !row.is_multiple_of(block_len) {
        return Err(bad(format!(
            "rows of {row} values are not whole {} blocks of {block_len}",
            ty.name()
        )));
    }
    let len = (n_values / block_len)
        .checked_mul(block_bytes)
        .ok_or_else(|| bad("byte size overflows".into()))?;
    match start.checked_add(len) {
        Some(end) if end <= file_len => Ok(TensorInfo {
            name,
            dims,
            ty,
            start,
            len,
        }),
        _ => Err(bad(format!(
            "its {len} bytes at offset {start} end past the end of the file ({file_len} bytes): truncated or corrupt"
        ))),
    }
}
