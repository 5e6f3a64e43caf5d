//! Typed messages for both directions.
//!
//! DNY frames do not say which way they travel, and several command bytes
//! mean different things each way (0x82 down is "start/stop", 0x82 up its
//! answer; the 0x8D request and answer are even byte-identical). So there is
//! one enum per direction, [`Uplink`] and [`Downlink`], each implementing
//! [`Message`]; [`Frame<M>`] pairs one with the frame's id and message id.

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::checksum::sum16;
use crate::error::Error;
use crate::frame::{HEADER, RawFrame};
use crate::ids::{MessageId, PhysicalId};

mod cabinet;
mod charging;
mod common;
mod downlink;
mod host;
mod macros;
mod params;
mod settings;
mod settlement;
mod start_stop;
mod status;
mod upgrade;
mod uplink;
pub(crate) mod wire;

pub use cabinet::{CabinetPortPush, CabinetStop, CabinetStopAnswer};
pub use charging::{
    CardSwipe, CardSwipeAnswer, ModifyCharge, OrderConfirmation, OrderConfirmationAnswer,
    RATE_MODE_ENERGY, RATE_MODE_MONTHLY,
};
pub use common::{NoData, ResultAnswer, TimeAnswer};
pub use downlink::Downlink;
pub use host::{
    ADDRESS_LEN, FskParamsRequest, HostHeartbeat, HostStatus, ICCID_LEN, IMEI_LEN,
    MODULE_FIRMWARE_LEN, Rs485Poll, ServerAddress, SetFskParams, SubDeviceVersion,
    SubDeviceVersions, TestMode,
};
pub use params::{CardParams, RunParams2, RunParams11, RunParams12};
pub use settings::{
    EepromRead, EepromReadAnswer, EepromWrite, Locate, MultiFunction, PlayVoice, QR_TEXT_LEN,
    RunParams13, SetQrCode, SetTcCardMode, SetWorkMode, TEMP_QR_TEXT_LEN, TempQrCode,
};
pub use settlement::{ChargeFinished, ChargeRecord, Settlement};
pub use start_stop::{CHARGE_START, CHARGE_STOP, StartStop, StartStopAnswer};
pub use status::{
    Alarm, CabinetHeartbeat, Heartbeat, OldHeartbeat, OldPortReading, PortPowerHeartbeat,
    PortStatuses, Register,
};
pub use upgrade::{
    FirmwarePacket, HostUpgrade, ReservedFd, ReservedFdAnswer, ReservedFe, UpgradeAnswer,
    UpgradeRequest,
};
pub use uplink::Uplink;

/// Reads and writes one payload layout.
pub(crate) trait Payload: Sized {
    fn read(r: &mut wire::Reader) -> Result<Self, Error>;
    fn write(&self, w: &mut wire::Writer<'_>) -> Result<(), Error>;
}

/// Which way a frame travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Device → server.
    Up,
    /// Server → device.
    Down,
}

impl Direction {
    /// `"up"` or `"down"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// A direction's message set: [`Uplink`] or [`Downlink`].
pub trait Message: Sized {
    /// The direction these messages travel.
    const DIRECTION: Direction;

    /// The command byte.
    fn command(&self) -> u8;

    /// A short human name (`"heartbeat"`), `"unknown"` for unknown commands.
    fn name(&self) -> &'static str;

    /// Decodes the data of a frame with this command. Unknown commands give
    /// the `Unknown` variant; a payload too short for a required field gives
    /// [`Error::PayloadTooShort`] (the stream is still in sync).
    fn decode(command: u8, data: Bytes) -> Result<Self, Error>;

    /// Appends the data bytes (not the frame around them).
    fn encode_data(&self, dst: &mut BytesMut) -> Result<(), Error>;

    /// The typed fields as JSON, in Pylon units (see the crate docs).
    fn fields(&self) -> serde_json::Value;
}

/// A typed frame: who, which message id, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame<M> {
    /// Sender (uplink) or addressee (downlink).
    pub physical_id: PhysicalId,
    /// A reply carries the id of what it answers.
    pub message_id: MessageId,
    /// The message.
    pub message: M,
}

impl<M: Message> Frame<M> {
    /// Decodes the payload of a raw frame (zero-copy: sub-slices share the
    /// frame's buffer).
    pub fn from_raw(raw: &RawFrame) -> Result<Self, Error> {
        Ok(Frame {
            physical_id: raw.physical_id,
            message_id: raw.message_id,
            message: M::decode(raw.command, raw.data.clone())?,
        })
    }

    /// Like [`Frame::from_raw`], consuming the raw frame (saves a
    /// reference-count round trip on the hot path).
    pub fn from_raw_owned(raw: RawFrame) -> Result<Self, Error> {
        Ok(Frame {
            physical_id: raw.physical_id,
            message_id: raw.message_id,
            message: M::decode(raw.command, raw.data)?,
        })
    }

    /// Decodes one complete frame from bytes (see
    /// [`decode_frame`](crate::decode_frame)).
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_raw(&crate::frame::decode_frame(bytes)?)
    }

    /// Appends the whole frame, header to checksum, to `dst`.
    pub fn encode(&self, dst: &mut BytesMut) -> Result<(), Error> {
        let start = dst.len();
        dst.put_slice(&HEADER);
        dst.put_u16_le(0); // patched below
        dst.put_slice(&self.physical_id.to_wire());
        dst.put_u16_le(self.message_id.get());
        dst.put_u8(self.message.command());
        let result = self.message.encode_data(dst).and_then(|()| {
            let length = dst.len() - start - crate::frame::PREFIX_LEN + 2;
            u16::try_from(length).map_err(|_| Error::Encode {
                command: self.message.command(),
                field: "data",
                reason: format!("frame length {length} exceeds the 16-bit length field"),
            })
        });
        let length = match result {
            Ok(length) => length,
            Err(e) => {
                dst.truncate(start);
                return Err(e);
            }
        };
        if let Some(slot) = dst.get_mut(start + 3..start + 5) {
            slot.copy_from_slice(&length.to_le_bytes());
        }
        let sum = sum16(dst.get(start..).unwrap_or_default());
        dst.put_u16_le(sum);
        Ok(())
    }

    /// The encoded frame as one buffer.
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut b = BytesMut::with_capacity(64);
        self.encode(&mut b)?;
        Ok(b.freeze())
    }

    /// The untyped frame.
    pub fn to_raw(&self) -> Result<RawFrame, Error> {
        let mut data = BytesMut::new();
        self.message.encode_data(&mut data)?;
        Ok(RawFrame {
            physical_id: self.physical_id,
            message_id: self.message_id,
            command: self.message.command(),
            data: data.freeze(),
        })
    }
}

impl<M: Message> TryFrom<RawFrame> for Frame<M> {
    type Error = Error;

    fn try_from(raw: RawFrame) -> Result<Self, Error> {
        Self::from_raw_owned(raw)
    }
}

/// A decoded message of either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyMessage {
    /// Device → server.
    Up(Uplink),
    /// Server → device.
    Down(Downlink),
}

impl serde::Serialize for AnyMessage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyMessage::Up(m) => m.serialize(s),
            AnyMessage::Down(m) => m.serialize(s),
        }
    }
}

impl AnyMessage {
    /// Decodes `command`/`data` as travelling in `direction`.
    pub fn decode(direction: Direction, command: u8, data: Bytes) -> Result<Self, Error> {
        Ok(match direction {
            Direction::Up => AnyMessage::Up(Uplink::decode(command, data)?),
            Direction::Down => AnyMessage::Down(Downlink::decode(command, data)?),
        })
    }

    /// The message name.
    pub fn name(&self) -> &'static str {
        match self {
            AnyMessage::Up(m) => m.name(),
            AnyMessage::Down(m) => m.name(),
        }
    }

    /// The typed fields as JSON.
    pub fn fields(&self) -> serde_json::Value {
        match self {
            AnyMessage::Up(m) => m.fields(),
            AnyMessage::Down(m) => m.fields(),
        }
    }
}

/// The name of a command in a direction, if that direction defines it.
pub fn command_name(direction: Direction, command: u8) -> Option<&'static str> {
    match direction {
        Direction::Up => Uplink::name_of(command),
        Direction::Down => Downlink::name_of(command),
    }
}
