//! Field-level reading and writing shared by every payload.
//!
//! Fields were appended to commands over the years, so a payload may end
//! early or carry unknown bytes at the end (fact sheet §1.1). The rule used
//! everywhere:
//!
//! * required fields must be present, else [`Error::PayloadTooShort`];
//! * optional (`opt_*`) fields are read while they fit; from the first one
//!   that does not fit, it and every later optional field are `None`;
//! * whatever is left is kept as `extra` and written back verbatim.
//!
//! The [`Writer`] enforces the mirror image, so that
//! `decode(encode(m)) == m` whenever encoding succeeds: no optional field may
//! be set after an absent one, and `extra` must be shorter than the first
//! absent optional field (otherwise it would decode as that field).

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::Error;
use crate::ids::PhysicalId;
use crate::values::{CardId, NulText, OrderNo};

/// Identifies the payload being read or written, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub direction: &'static str,
    pub command: u8,
    pub name: &'static str,
}

/// A cursor over a payload. Sub-slices are zero-copy.
pub(crate) struct Reader {
    data: Bytes,
    pos: usize,
    ctx: Ctx,
    /// Set once an optional field did not fit: later optional fields are
    /// absent too.
    opt_ended: bool,
}

impl Reader {
    pub fn new(data: Bytes, ctx: Ctx) -> Self {
        Reader {
            data,
            pos: 0,
            ctx,
            opt_ended: false,
        }
    }

    pub fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn too_short(&self, field: &'static str, need: usize) -> Error {
        Error::PayloadTooShort {
            direction: self.ctx.direction,
            command: self.ctx.command,
            name: self.ctx.name,
            field,
            need,
            at: self.pos,
            have: self.remaining(),
        }
    }

    /// Takes `n` bytes (zero-copy).
    pub fn bytes(&mut self, field: &'static str, n: usize) -> Result<Bytes, Error> {
        if self.remaining() < n {
            return Err(self.too_short(field, n));
        }
        let out = self.data.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    pub fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], Error> {
        let src = self
            .data
            .get(self.pos..self.pos + N)
            .ok_or_else(|| self.too_short(field, N))?;
        let mut out = [0u8; N];
        out.copy_from_slice(src);
        self.pos += N;
        Ok(out)
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, Error> {
        Ok(u8::from_le_bytes(self.array::<1>(field)?))
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, Error> {
        Ok(u16::from_le_bytes(self.array::<2>(field)?))
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.array::<4>(field)?))
    }

    pub fn order_no(&mut self, field: &'static str) -> Result<OrderNo, Error> {
        self.array::<16>(field).map(OrderNo::new)
    }

    pub fn card_id(&mut self, field: &'static str) -> Result<CardId, Error> {
        self.array::<4>(field).map(CardId::new)
    }

    pub fn physical_id(&mut self, field: &'static str) -> Result<PhysicalId, Error> {
        self.array::<4>(field).map(PhysicalId::from_wire)
    }

    pub fn text(&mut self, field: &'static str, size: usize) -> Result<NulText, Error> {
        self.bytes(field, size).map(NulText::from_raw)
    }

    /// Whether an optional field of `n` bytes is present.
    fn opt_fits(&mut self, n: usize) -> bool {
        if !self.opt_ended && self.remaining() >= n {
            true
        } else {
            self.opt_ended = true;
            false
        }
    }

    pub fn opt_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        if self.opt_fits(N) {
            self.array::<N>("optional").ok()
        } else {
            None
        }
    }

    pub fn opt_u8(&mut self) -> Option<u8> {
        self.opt_array::<1>().map(u8::from_le_bytes)
    }

    pub fn opt_u16(&mut self) -> Option<u16> {
        self.opt_array::<2>().map(u16::from_le_bytes)
    }

    pub fn opt_u32(&mut self) -> Option<u32> {
        self.opt_array::<4>().map(u32::from_le_bytes)
    }

    pub fn opt_order_no(&mut self) -> Option<OrderNo> {
        self.opt_array::<16>().map(OrderNo::new)
    }

    pub fn opt_text(&mut self, size: usize) -> Option<NulText> {
        if self.opt_fits(size) {
            self.bytes("optional", size).ok().map(NulText::from_raw)
        } else {
            None
        }
    }

    /// An optional count byte followed by that many bytes.
    pub fn opt_len_prefixed(&mut self) -> Option<Bytes> {
        let n = self.data.get(self.pos).copied().map(usize::from);
        match n {
            Some(n) if self.opt_fits(1 + n) => {
                self.pos += 1;
                self.bytes("optional", n).ok()
            }
            _ => {
                self.opt_ended = true;
                None
            }
        }
    }

    /// Everything not read yet (zero-copy).
    pub fn rest(&mut self) -> Bytes {
        let out = self.data.slice(self.pos.min(self.data.len())..);
        self.pos = self.data.len();
        out
    }
}

/// Appends a payload to a buffer, checking representability.
pub(crate) struct Writer<'a> {
    dst: &'a mut BytesMut,
    ctx: Ctx,
    /// Name and shape of the first absent optional field.
    first_absent: Option<(&'static str, Absent)>,
}

/// The shape of an absent optional field, to tell whether trailing bytes
/// would decode as it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Absent {
    /// A field of this many bytes.
    Fixed(usize),
    /// A count byte followed by that many bytes.
    LenPrefixed,
}

impl Absent {
    fn would_decode(self, extra: &[u8]) -> bool {
        match self {
            Absent::Fixed(size) => extra.len() >= size,
            Absent::LenPrefixed => extra.first().is_some_and(|&n| usize::from(n) < extra.len()),
        }
    }
}

impl<'a> Writer<'a> {
    pub fn new(dst: &'a mut BytesMut, ctx: Ctx) -> Self {
        Writer {
            dst,
            ctx,
            first_absent: None,
        }
    }

    pub fn error(&self, field: &'static str, reason: String) -> Error {
        Error::Encode {
            command: self.ctx.command,
            field,
            reason,
        }
    }

    pub fn u8(&mut self, v: u8) {
        self.dst.put_u8(v);
    }

    pub fn u16(&mut self, v: u16) {
        self.dst.put_u16_le(v);
    }

    pub fn u32(&mut self, v: u32) {
        self.dst.put_u32_le(v);
    }

    pub fn bytes(&mut self, v: &[u8]) {
        self.dst.put_slice(v);
    }

    /// A value that must fit a narrower wire field.
    pub fn fit<T: TryFrom<u64>>(&self, field: &'static str, v: u64) -> Result<T, Error> {
        T::try_from(v).map_err(|_| {
            self.error(
                field,
                format!("{v} does not fit {} wire bytes", std::mem::size_of::<T>()),
            )
        })
    }

    /// Energy in Wh to a field counting 0.01 kWh.
    pub fn centi_kwh<T: TryFrom<u64>>(
        &self,
        field: &'static str,
        wh: crate::units::Wh,
    ) -> Result<T, Error> {
        let v = wh.to_centi_kwh().ok_or_else(|| {
            self.error(
                field,
                format!("{} Wh is not a multiple of 10 Wh (0.01 kWh)", wh.get()),
            )
        })?;
        self.fit(field, v)
    }

    /// A fixed-size text buffer.
    pub fn text(&mut self, field: &'static str, t: &NulText, size: usize) -> Result<(), Error> {
        if t.raw().len() != size {
            return Err(self.error(
                field,
                format!("buffer is {} bytes, the field is {size}", t.raw().len()),
            ));
        }
        self.bytes(t.raw());
        Ok(())
    }

    /// An optional field: writes it if present, records the first absence,
    /// and refuses a present field after an absent one.
    pub fn opt<T>(
        &mut self,
        field: &'static str,
        shape: Absent,
        v: Option<T>,
        put: impl FnOnce(&mut Self, T),
    ) -> Result<(), Error> {
        match (v, self.first_absent) {
            (Some(_), Some((absent, _))) => Err(self.error(
                field,
                format!("set while the earlier optional field `{absent}` is absent"),
            )),
            (Some(v), None) => {
                put(self, v);
                Ok(())
            }
            (None, Some(_)) => Ok(()),
            (None, None) => {
                self.first_absent = Some((field, shape));
                Ok(())
            }
        }
    }

    pub fn opt_u8(&mut self, field: &'static str, v: Option<u8>) -> Result<(), Error> {
        self.opt(field, Absent::Fixed(1), v, |w, v| w.u8(v))
    }

    pub fn opt_u16(&mut self, field: &'static str, v: Option<u16>) -> Result<(), Error> {
        self.opt(field, Absent::Fixed(2), v, |w, v| w.u16(v))
    }

    pub fn opt_u32(&mut self, field: &'static str, v: Option<u32>) -> Result<(), Error> {
        self.opt(field, Absent::Fixed(4), v, |w, v| w.u32(v))
    }

    /// An optional u16 field from a wider value that must fit.
    pub fn opt_u16_fit(&mut self, field: &'static str, v: Option<u64>) -> Result<(), Error> {
        let v = match v {
            Some(x) => Some(self.fit::<u16>(field, x)?),
            None => None,
        };
        self.opt_u16(field, v)
    }

    /// An optional fixed-size byte field.
    pub fn opt_bytes(
        &mut self,
        field: &'static str,
        size: usize,
        v: Option<&[u8]>,
    ) -> Result<(), Error> {
        if let Some(b) = v
            && b.len() != size
        {
            return Err(self.error(field, format!("is {} bytes, the field is {size}", b.len())));
        }
        self.opt(field, Absent::Fixed(size), v, |w, v| w.bytes(v))
    }

    /// An optional count byte followed by that many bytes.
    pub fn opt_len_prefixed(
        &mut self,
        field: &'static str,
        v: Option<&Bytes>,
    ) -> Result<(), Error> {
        let n: Option<u8> = match v {
            Some(b) => Some(self.fit(field, b.len() as u64)?),
            None => None,
        };
        self.opt(field, Absent::LenPrefixed, v.zip(n), |w, (b, n)| {
            w.u8(n);
            w.bytes(b);
        })
    }

    /// Ends the payload with the undecoded trailing bytes.
    pub fn finish(&mut self, extra: &Bytes) -> Result<(), Error> {
        if let Some((absent, shape)) = self.first_absent
            && shape.would_decode(extra)
        {
            return Err(self.error(
                "extra",
                format!(
                    "{} trailing bytes would decode as the absent optional field `{absent}`",
                    extra.len()
                ),
            ));
        }
        self.dst.put_slice(extra);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Ctx = Ctx {
        direction: "up",
        command: 0x20,
        name: "test",
    };

    #[test]
    fn optional_fields_stop_at_first_gap() {
        // u16 opt, u8 opt, with 1 byte left: u16 absent, u8 absent too.
        let mut r = Reader::new(Bytes::from_static(&[1, 2, 3]), CTX);
        assert_eq!(r.u16("a").unwrap(), 0x0201);
        assert_eq!(r.opt_u16(), None);
        assert_eq!(r.opt_u8(), None);
        assert_eq!(r.rest().as_ref(), &[3]);
    }

    #[test]
    fn required_field_reports_where() {
        let mut r = Reader::new(Bytes::from_static(&[1]), CTX);
        let e = r.u16("voltage").unwrap_err();
        assert_eq!(
            e.to_string(),
            "payload of up command 0x20 (test) too short: field `voltage` needs 2 bytes at data offset 0, 1 left"
        );
    }

    #[test]
    fn writer_refuses_ambiguous_layouts() {
        let mut b = BytesMut::new();
        let mut w = Writer::new(&mut b, CTX);
        w.opt_u16("a", None).unwrap();
        assert!(w.opt_u8("b", Some(1)).is_err());
        let mut b = BytesMut::new();
        let mut w = Writer::new(&mut b, CTX);
        w.opt_u16("a", None).unwrap();
        assert!(w.finish(&Bytes::from_static(&[1, 2])).is_err());
        let mut b = BytesMut::new();
        let mut w = Writer::new(&mut b, CTX);
        w.opt_u16("a", None).unwrap();
        w.finish(&Bytes::from_static(&[1])).unwrap();
        assert_eq!(b.as_ref(), &[1]);
    }
}
