//! Charging-cabinet specifics: 0x44 port push ↑, 0x72 stop without opening
//! the door ↓ and its answer ↑.

use bytes::Bytes;
use serde::Serialize;

use super::Payload;
use super::wire::{Reader, Writer};
use crate::error::Error;
use crate::values::{OrderNo, Port};

/// 0x44 cabinet port push ↑ (no answer).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CabinetPortPush {
    /// 1 = door not closed.
    pub push_type: u8,
    /// The port.
    pub port: Port,
    /// The order.
    pub order_no: OrderNo,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for CabinetPortPush {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CabinetPortPush {
            push_type: r.u8("push_type")?,
            port: Port::new(r.u8("port")?),
            order_no: r.order_no("order_no")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.push_type);
        w.u8(self.port.get());
        w.bytes(self.order_no.as_bytes());
        w.finish(&self.extra)
    }
}

/// 0x72 cabinet: stop without opening the door ↓.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CabinetStop {
    /// The port.
    pub port: Port,
    /// Must match the running order.
    pub order_no: OrderNo,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for CabinetStop {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CabinetStop {
            port: Port::new(r.u8("port")?),
            order_no: r.order_no("order_no")?,
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.port.get());
        w.bytes(self.order_no.as_bytes());
        w.finish(&self.extra)
    }
}

/// 0x72 answer ↑: result and (optional) order number.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CabinetStopAnswer {
    /// 0 = done.
    pub result: u8,
    /// Echo of the order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_no: Option<OrderNo>,
    /// Undocumented trailing bytes.
    #[serde(
        rename = "extra_hex",
        serialize_with = "crate::hex::serialize",
        skip_serializing_if = "Bytes::is_empty"
    )]
    pub extra: Bytes,
}

impl Payload for CabinetStopAnswer {
    fn read(r: &mut Reader) -> Result<Self, Error> {
        Ok(CabinetStopAnswer {
            result: r.u8("result")?,
            order_no: r.opt_order_no(),
            extra: r.rest(),
        })
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result);
        w.opt_bytes(
            "order_no",
            16,
            self.order_no.as_ref().map(|o| o.as_bytes().as_slice()),
        )?;
        w.finish(&self.extra)
    }
}
