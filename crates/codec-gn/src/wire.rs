//! Bounds-checked big-endian reading for the fixed payload layouts.

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Error;

/// Reads fields off a payload; every read is bounds-checked and names the field
/// and offset when the payload is too short.
pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
    command: u16,
}

impl<'a> Reader<'a> {
    /// A reader for `buf`, reporting errors against GN `command`.
    pub fn new(buf: &'a Bytes, command: u16) -> Self {
        Self {
            buf,
            pos: 0,
            command,
        }
    }

    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(Error::payload(
                self.command,
                format!(
                    "{field} ({n} bytes at payload byte {}) is cut off: payload has {} bytes",
                    self.pos,
                    self.buf.len()
                ),
            )),
        }
    }

    pub fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], Error> {
        let s = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    pub fn u8(&mut self, field: &str) -> Result<u8, Error> {
        self.array::<1>(field).map(|[b]| b)
    }

    pub fn u16(&mut self, field: &str) -> Result<u16, Error> {
        self.array(field).map(u16::from_be_bytes)
    }

    pub fn u32(&mut self, field: &str) -> Result<u32, Error> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// The next `n` bytes as a zero-copy slice.
    pub fn slice(&mut self, n: usize, field: &str) -> Result<Bytes, Error> {
        let start = self.pos;
        self.take(n, field)?;
        Ok(self.buf.slice(start..start + n))
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Everything not read yet, as a zero-copy slice (the `extra` of a layout).
    pub fn rest(&mut self) -> Bytes {
        let start = self.pos.min(self.buf.len());
        self.pos = self.buf.len();
        self.buf.slice(start..)
    }

    /// A payload error at the current position.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::payload(self.command, reason)
    }
}

/// Writes `value` big-endian into `out` using exactly `width` bytes (≤ 8).
pub(crate) fn put_uint(out: &mut BytesMut, value: u64, width: usize) {
    let bytes = value.to_be_bytes();
    let start = bytes.len().saturating_sub(width);
    out.put_slice(bytes.get(start..).unwrap_or(&[]));
}

/// Whether `value` fits in `width` bytes.
pub(crate) fn fits(value: u64, width: usize) -> bool {
    width >= 8 || value >> (width * 8) == 0
}

/// A `u16` wire field from a wider Pylon value.
pub(crate) fn to_u16(value: impl TryInto<u16>, field: &'static str) -> Result<u16, Error> {
    value
        .try_into()
        .map_err(|_| Error::encode(field, "does not fit the 2-byte wire field"))
}

/// A `u32` wire field from a wider Pylon value.
pub(crate) fn to_u32(value: impl TryInto<u32>, field: &'static str) -> Result<u32, Error> {
    value
        .try_into()
        .map_err(|_| Error::encode(field, "does not fit the 4-byte wire field"))
}

/// A `u8` wire count.
pub(crate) fn to_u8(value: usize, field: &'static str) -> Result<u8, Error> {
    u8::try_from(value).map_err(|_| Error::encode(field, "more than 255 entries"))
}

/// Writes fields of the fixed payload layouts; conversions from Pylon units
/// that do not fit the wire field fail with the field's name.
pub(crate) struct Writer<'a> {
    pub out: &'a mut BytesMut,
}

impl Writer<'_> {
    pub fn u8(&mut self, v: u8) {
        self.out.put_u8(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.out.put_u16(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.out.put_u32(v);
    }

    pub fn bytes(&mut self, v: &[u8]) {
        self.out.put_slice(v);
    }
}
