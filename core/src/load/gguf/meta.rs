//! GGUF metadata values and the bounds-checked reader the header is parsed with.

use super::format_error;
use crate::Result;

/// Arrays of arrays deeper than this are refused (a hostile file could otherwise overflow the
/// stack with a few bytes per level).
const MAX_ARRAY_DEPTH: usize = 8;

/// One metadata value, of any GGUF value type.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaValue {
    /// GGUF value type 0.
    U8(u8),
    /// GGUF value type 1.
    I8(i8),
    /// GGUF value type 2.
    U16(u16),
    /// GGUF value type 3.
    I16(i16),
    /// GGUF value type 4.
    U32(u32),
    /// GGUF value type 5.
    I32(i32),
    /// GGUF value type 6.
    F32(f32),
    /// GGUF value type 7 (one byte, 0 or 1).
    Bool(bool),
    /// GGUF value type 8 (UTF-8).
    String(String),
    /// GGUF value type 9: items all of one type, possibly arrays themselves.
    Array(Vec<MetaValue>),
    /// GGUF value type 10.
    U64(u64),
    /// GGUF value type 11.
    I64(i64),
    /// GGUF value type 12.
    F64(f64),
}

impl MetaValue {
    /// The value as an unsigned integer, if it is a non-negative integer of any width.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Self::U8(v) => Some(v.into()),
            Self::U16(v) => Some(v.into()),
            Self::U32(v) => Some(v.into()),
            Self::U64(v) => Some(v),
            Self::I8(v) => u64::try_from(v).ok(),
            Self::I16(v) => u64::try_from(v).ok(),
            Self::I32(v) => u64::try_from(v).ok(),
            Self::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a signed integer, if it is an integer that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Self::I8(v) => Some(v.into()),
            Self::I16(v) => Some(v.into()),
            Self::I32(v) => Some(v.into()),
            Self::I64(v) => Some(v),
            _ => self.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }

    /// The value as a float, if it is a number (floats widened exactly, integers converted).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Self::F32(v) => Some(v.into()),
            Self::F64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    /// The string, if the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if the value is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Self::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The items, if the value is an array.
    pub fn as_array(&self) -> Option<&[MetaValue]> {
        match self {
            Self::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value as JSON (f32 widened to f64 exactly; arrays as JSON arrays).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Self::F32(v) => J::from(f64::from(*v)),
            Self::F64(v) => J::from(*v),
            Self::Bool(b) => J::Bool(*b),
            Self::String(s) => J::String(s.clone()),
            Self::Array(items) => J::Array(items.iter().map(Self::to_json).collect()),
            Self::U64(v) => J::from(*v),
            other => other.as_i64().map(J::from).unwrap_or(J::Null),
        }
    }
}

/// A bounds-checked little-endian reader over the header.
pub(super) struct Reader<'a> {
    pub(super) file: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    /// The next `n` bytes, or a "truncated" error saying what was being read.
    pub(super) fn take(&mut self, n: usize, what: &dyn Fn() -> String) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let Some(end) = end else {
            return Err(format_error(
                self.file,
                format!(
                    "truncated: the file ({} bytes) ends inside {} at byte {}",
                    self.bytes.len(),
                    what(),
                    self.pos
                ),
            ));
        };
        let out = self.bytes.get(self.pos..end).unwrap_or_default();
        self.pos = end;
        Ok(out)
    }

    pub(super) fn array<const N: usize>(&mut self, what: &dyn Fn() -> String) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub(super) fn u32(&mut self, what: &dyn Fn() -> String) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(super) fn u64(&mut self, what: &dyn Fn() -> String) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A count or length that must fit in memory: no bigger than the bytes left, since every
    /// item takes at least one byte (this refuses absurd counts before allocating for them).
    pub(super) fn count(&mut self, what: &dyn Fn() -> String) -> Result<usize> {
        let n = self.u64(what)?;
        let left = self.bytes.len().saturating_sub(self.pos);
        match usize::try_from(n) {
            Ok(n) if n <= left => Ok(n),
            _ => Err(format_error(
                self.file,
                format!(
                    "{} claims {n} items or bytes, more than the {left} bytes left: truncated or corrupt",
                    what()
                ),
            )),
        }
    }

    pub(super) fn string(&mut self, what: &dyn Fn() -> String) -> Result<String> {
        let len = self.count(what)?;
        let raw = self.take(len, what)?;
        String::from_utf8(raw.to_vec())
            .map_err(|_| format_error(self.file, format!("{} is not valid UTF-8", what())))
    }

    /// A value of GGUF value type `ty`.
    pub(super) fn value(
        &mut self,
        ty: u32,
        depth: usize,
        what: &dyn Fn() -> String,
    ) -> Result<MetaValue> {
        Ok(match ty {
            0 => MetaValue::U8(u8::from_le_bytes(self.array(what)?)),
            1 => MetaValue::I8(i8::from_le_bytes(self.array(what)?)),
            2 => MetaValue::U16(u16::from_le_bytes(self.array(what)?)),
            3 => MetaValue::I16(i16::from_le_bytes(self.array(what)?)),
            4 => MetaValue::U32(self.u32(what)?),
            5 => MetaValue::I32(i32::from_le_bytes(self.array(what)?)),
            6 => MetaValue::F32(f32::from_le_bytes(self.array(what)?)),
            7 => match self.array::<1>(what)? {
                [0] => MetaValue::Bool(false),
                [1] => MetaValue::Bool(true),
                [b] => {
                    return Err(format_error(
                        self.file,
                        format!("{} is a bool of value {b}", what()),
                    ));
                }
            },
            8 => MetaValue::String(self.string(what)?),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(format_error(
                        self.file,
                        format!("{} nests arrays too deeply", what()),
                    ));
                }
                let item_ty = self.u32(what)?;
                let len = self.count(what)?;
                // Grown as read: each item is bigger in memory than on disk.
                let mut items = Vec::with_capacity(len.min(1 << 16));
                for _ in 0..len {
                    items.push(self.value(item_ty, depth + 1, what)?);
                }
                MetaValue::Array(items)
            }
            10 => MetaValue::U64(self.u64(what)?),
            11 => MetaValue::I64(i64::from_le_bytes(self.array(what)?)),
            12 => MetaValue::F64(f64::from_le_bytes(self.array(what)?)),
            other => {
                return Err(format_error(
                    self.file,
                    format!("{} has unknown value type {other}", what()),
                ));
            }
        })
    }
}
