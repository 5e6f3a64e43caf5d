//! Value codecs: how the value bytes of one BKV key map to a typed field.
//!
//! A codec returns `Ok(None)` when the bytes do not fit the field's type (an
//! integer wider than 8 bytes, a BCD time that is not a date, …); the item is
//! then kept raw in the record's `extra`, so nothing is lost.

use std::marker::PhantomData;

use bytes::{BufMut, BytesMut};
use serde::Serialize;

use super::item::share;
use super::record::{Ctx, Record, decode_record, encode_record};
use crate::codes::{PortStatus, RawBytes, ResultCode, SocketFirmware, Switch, TimeOfDay};
use crate::error::{BkvError, Error};
use crate::ids::{BusinessNo, GatewayId, PortNo, SocketNo};
use crate::time;
use crate::units::{Celsius, DeciVolts, DeciWatts, Fen, MilliAmps, Seconds, UnixTime, Wh};
use crate::wire::{fits, put_uint};

/// Maps value bytes to `T` and back.
pub(crate) trait Codec<T> {
    /// Canonical width for integer values; `None` when the value sets its width.
    const WIDTH: Option<usize>;
    fn decode(value: &[u8], ctx: Ctx<'_>) -> Result<Option<T>, BkvError>;
    fn encode(v: &T, width: Option<usize>, out: &mut BytesMut) -> Result<(), Error>;
}

/// A codec's canonical width as stored in `Record::WIDTHS` (0: the value sets it).
pub(crate) const fn width_byte(width: Option<usize>) -> u8 {
    match width {
        Some(w) if w < 256 => w as u8,
        _ => 0,
    }
}

/// An integer-valued field: conversion between the Pylon value and the wire integer.
pub(crate) trait IntWire: Sized {
    fn from_wire(v: u64) -> Option<Self>;
    fn to_wire(&self) -> Option<u64>;
}

macro_rules! int_wire {
    ($($ty:ty => |$v:ident| $from:expr, |$s:ident| $to:expr;)*) => {$(
        impl IntWire for $ty {
            fn from_wire($v: u64) -> Option<Self> {
                $from
            }
            fn to_wire(&self) -> Option<u64> {
                let $s = self;
                $to
            }
        }
    )*};
}

int_wire! {
    u8 => |v| u8::try_from(v).ok(), |s| Some(u64::from(*s));
    u16 => |v| u16::try_from(v).ok(), |s| Some(u64::from(*s));
    u32 => |v| u32::try_from(v).ok(), |s| Some(u64::from(*s));
    u64 => |v| Some(v), |s| Some(*s);
    SocketNo => |v| u8::try_from(v).ok().map(SocketNo), |s| Some(u64::from(s.0));
    PortNo => |v| u8::try_from(v).ok().map(PortNo), |s| Some(u64::from(s.0));
    PortStatus => |v| u8::try_from(v).ok().map(PortStatus), |s| Some(u64::from(s.0));
    ResultCode => |v| u8::try_from(v).ok().map(ResultCode), |s| Some(u64::from(s.0));
    Switch => |v| u8::try_from(v).ok().map(Switch), |s| Some(u64::from(s.0));
    BusinessNo => |v| u16::try_from(v).ok().map(BusinessNo), |s| Some(u64::from(s.0));
    SocketFirmware => |v| u16::try_from(v).ok().map(SocketFirmware), |s| Some(u64::from(s.0));
    Celsius => |v| i16::try_from(v).ok().map(Celsius::new), |s| u64::try_from(s.get()).ok();
    Fen => |v| i64::try_from(v).ok().map(Fen::new), |s| u64::try_from(s.get()).ok();
    Wh => |v| i64::try_from(v).ok().map(Wh::new), |s| u64::try_from(s.get()).ok();
    DeciWatts => |v| u32::try_from(v).ok().map(DeciWatts::new), |s| Some(u64::from(s.get()));
    DeciVolts => |v| u32::try_from(v).ok().map(DeciVolts::new), |s| Some(u64::from(s.get()));
    MilliAmps => |v| u32::try_from(v).ok().map(MilliAmps::new), |s| Some(u64::from(s.get()));
    Seconds => |v| u32::try_from(v).ok().map(Seconds::new), |s| Some(u64::from(s.get()));
}

fn be_uint(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 8 {
        return None;
    }
    Some(value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

fn put_int(
    wire: u64,
    width: Option<usize>,
    canonical: usize,
    out: &mut BytesMut,
) -> Result<(), Error> {
    let w = width
        .filter(|w| (1..=8).contains(w) && fits(wire, *w))
        .unwrap_or(canonical);
    if !fits(wire, w) {
        return Err(Error::encode(
            "bkv value",
            format!("{wire} does not fit {w} bytes"),
        ));
    }
    put_uint(out, wire, w);
    Ok(())
}

/// A big-endian integer of canonical width `W` (any width 1–8 decodes).
pub(crate) struct Int<const W: usize>;

impl<T: IntWire, const W: usize> Codec<T> for Int<W> {
    const WIDTH: Option<usize> = Some(W);

    #[inline]
    fn decode(value: &[u8], _: Ctx<'_>) -> Result<Option<T>, BkvError> {
        Ok(be_uint(value).and_then(T::from_wire))
    }

    fn encode(v: &T, width: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        let wire = v
            .to_wire()
            .ok_or_else(|| Error::encode("bkv value", "negative value"))?;
        put_int(wire, width, W, out)
    }
}

/// Whole minutes on the wire, [`Seconds`] in Pylon.
pub(crate) struct Minutes<const W: usize>;

impl<const W: usize> Codec<Seconds> for Minutes<W> {
    const WIDTH: Option<usize> = Some(W);

    #[inline]
    fn decode(value: &[u8], _: Ctx<'_>) -> Result<Option<Seconds>, BkvError> {
        let minutes = be_uint(value).and_then(|m| u32::try_from(m).ok());
        Ok(minutes.and_then(|m| m.checked_mul(60)).map(Seconds::new))
    }

    fn encode(v: &Seconds, width: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        let minutes = v
            .whole_minutes()
            .ok_or_else(|| Error::encode("minutes", "duration is not a whole number of minutes"))?;
        put_int(u64::from(minutes), width, W, out)
    }
}

/// A 7-byte BCD local time.
pub(crate) struct Bcd;

impl Codec<UnixTime> for Bcd {
    const WIDTH: Option<usize> = None;

    #[inline]
    fn decode(value: &[u8], _: Ctx<'_>) -> Result<Option<UnixTime>, BkvError> {
        Ok(<[u8; 7]>::try_from(value)
            .ok()
            .and_then(|b| time::from_bcd(&b)))
    }

    fn encode(v: &UnixTime, _: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        let b =
            time::to_bcd_bytes(*v).ok_or_else(|| Error::encode("time", "year outside 0–9999"))?;
        out.put_slice(&b);
        Ok(())
    }
}

/// A 7-byte gateway id.
pub(crate) struct Gateway;

impl Codec<GatewayId> for Gateway {
    const WIDTH: Option<usize> = None;

    #[inline]
    fn decode(value: &[u8], _: Ctx<'_>) -> Result<Option<GatewayId>, BkvError> {
        Ok(<[u8; 7]>::try_from(value).ok().map(GatewayId::from_bytes))
    }

    fn encode(v: &GatewayId, _: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        out.put_slice(v.as_bytes());
        Ok(())
    }
}

/// Raw bytes (undocumented splits, opaque values).
pub(crate) struct Raw;

impl Codec<RawBytes> for Raw {
    const WIDTH: Option<usize> = None;

    #[inline]
    fn decode(value: &[u8], ctx: Ctx<'_>) -> Result<Option<RawBytes>, BkvError> {
        Ok(Some(RawBytes(share(ctx.root, value))))
    }

    fn encode(v: &RawBytes, _: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        out.put_slice(&v.0);
        Ok(())
    }
}

/// One fee bracket of BKV key 0x83: until `end` (local wall clock), electricity
/// price and service fee. The last bracket must end at 23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct FeeBracket {
    /// End of the bracket, `hh:mm`.
    pub end: TimeOfDay,
    /// Electricity price in fen per kWh.
    #[serde(rename = "electricity_price_fen")]
    pub electricity_price: Fen,
    /// Service fee in fen (per kWh or per time unit, per key 0x80).
    #[serde(rename = "service_fee_fen")]
    pub service_fee: Fen,
}

/// Key 0x83: 6 bytes per bracket.
pub(crate) struct Brackets;

impl Codec<Vec<FeeBracket>> for Brackets {
    const WIDTH: Option<usize> = None;

    #[inline]
    fn decode(value: &[u8], _: Ctx<'_>) -> Result<Option<Vec<FeeBracket>>, BkvError> {
        let chunks = value.chunks_exact(6);
        if !chunks.remainder().is_empty() {
            return Ok(None);
        }
        Ok(Some(
            chunks
                .filter_map(|c| match *c {
                    [hour, minute, p0, p1, s0, s1] => Some(FeeBracket {
                        end: TimeOfDay { hour, minute },
                        electricity_price: Fen::new(i64::from(u16::from_be_bytes([p0, p1]))),
                        service_fee: Fen::new(i64::from(u16::from_be_bytes([s0, s1]))),
                    }),
                    _ => None,
                })
                .collect(),
        ))
    }

    fn encode(v: &Vec<FeeBracket>, _: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        for b in v {
            out.put_u8(b.end.hour);
            out.put_u8(b.end.minute);
            out.put_u16(crate::wire::to_u16(
                b.electricity_price.get(),
                "electricity_price",
            )?);
            out.put_u16(crate::wire::to_u16(b.service_fee.get(), "service_fee")?);
        }
        Ok(())
    }
}

/// A nested BKV list decoded as record `R`.
pub(crate) struct Nested<R>(PhantomData<R>);

impl<R: Record> Codec<R> for Nested<R> {
    const WIDTH: Option<usize> = None;

    fn decode(value: &[u8], ctx: Ctx<'_>) -> Result<Option<R>, BkvError> {
        let mut rec = R::default();
        decode_record::<NoHeader, R>(&mut rec, None, value, ctx)?;
        Ok(Some(rec))
    }

    fn encode(v: &R, _: Option<usize>, out: &mut BytesMut) -> Result<(), Error> {
        encode_record::<NoHeader, R>(v, None, out)
    }
}

/// The header type of records that have none.
pub(crate) type NoHeader = super::packet::Header;
