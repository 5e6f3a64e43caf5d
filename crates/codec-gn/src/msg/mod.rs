//! Typed GN messages: one enum over every command and direction.

mod fields;
pub mod gateway;
pub mod node_list;
pub mod socket_common;
pub mod socket_down;
pub mod socket_up;
pub(crate) mod subs;

use bytes::{BufMut, Bytes, BytesMut};
use serde::Serialize;

use crate::bkv::BkvPacket;
use crate::codes::RawBytes;
use crate::error::Error;
use crate::frame::Direction;
use crate::wire::{Reader, Writer};
use gateway::{Heartbeat, HeartbeatReply, Ota};
use node_list::{NodeListDown, NodeListUp};
use socket_down::SocketDown;
use socket_up::SocketUp;
pub use subs::OtherSub;

/// GN commands.
pub mod command {
    /// Heartbeat (心跳).
    pub const HEARTBEAT: u16 = 0x0000;
    /// Network node list (下发网络节点列表).
    pub const NODE_LIST: u16 = 0x0005;
    /// OTA upgrade.
    pub const OTA: u16 = 0x0007;
    /// Socket control / reports (binary sub-protocol).
    pub const SOCKET: u16 = 0x0015;
    /// BKV compatible packet (BKV兼容包).
    pub const BKV: u16 = 0x1000;
}

/// A command this crate has no type for (or a documented command in a direction
/// it is not documented for), kept as it came.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct UnknownCommand {
    /// The GN command.
    #[serde(skip)]
    pub command: u16,
    /// The payload.
    #[serde(rename = "payload_hex")]
    pub payload: RawBytes,
}

/// A GN message: the command, direction and decoded payload of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// 0x0000 ↑ heartbeat.
    Heartbeat(Heartbeat),
    /// 0x0000 ↓ heartbeat reply with the server's time.
    HeartbeatReply(HeartbeatReply),
    /// 0x0005 ↓ node list.
    NodeListDown(NodeListDown),
    /// 0x0005 ↑ node list answers.
    NodeListUp(NodeListUp),
    /// 0x0007 ↓ OTA upgrade.
    Ota(Ota),
    /// 0x0015 ↓ socket commands.
    SocketDown(SocketDown),
    /// 0x0015 ↑ socket reports and answers.
    SocketUp(SocketUp),
    /// 0x1000 BKV packet (either direction).
    Bkv(BkvPacket),
    /// Anything else.
    Unknown(UnknownCommand),
}

impl Message {
    /// The GN command.
    pub fn command(&self) -> u16 {
        match self {
            Self::Heartbeat(_) | Self::HeartbeatReply(_) => command::HEARTBEAT,
            Self::NodeListDown(_) | Self::NodeListUp(_) => command::NODE_LIST,
            Self::Ota(_) => command::OTA,
            Self::SocketDown(_) | Self::SocketUp(_) => command::SOCKET,
            Self::Bkv(_) => command::BKV,
            Self::Unknown(u) => u.command,
        }
    }

    /// The direction the message travels, where the type fixes it.
    pub fn direction(&self) -> Option<Direction> {
        match self {
            Self::Heartbeat(_) | Self::NodeListUp(_) | Self::SocketUp(_) => Some(Direction::Up),
            Self::HeartbeatReply(_)
            | Self::NodeListDown(_)
            | Self::Ota(_)
            | Self::SocketDown(_) => Some(Direction::Down),
            Self::Bkv(b) => b.body.direction(),
            Self::Unknown(_) => None,
        }
    }

    /// A short human name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Heartbeat(_) => "heartbeat",
            Self::HeartbeatReply(_) => "heartbeat reply",
            Self::NodeListDown(m) => m.name(),
            Self::NodeListUp(m) => m.name(),
            Self::Ota(_) => "ota upgrade",
            Self::SocketDown(m) => m.name(),
            Self::SocketUp(m) => m.name(),
            Self::Bkv(b) => b.body.name(),
            Self::Unknown(_) => "unknown command",
        }
    }

    /// The sub-command of a 0x0005 / 0x0015 message.
    pub fn sub_command(&self) -> Option<u8> {
        match self {
            Self::NodeListDown(m) => Some(m.sub_command()),
            Self::NodeListUp(m) => Some(m.sub_command()),
            Self::SocketDown(m) => Some(m.sub_command()),
            Self::SocketUp(m) => Some(m.sub_command()),
            _ => None,
        }
    }

    /// Decodes the payload of a `command` frame travelling in `direction`.
    pub fn decode(command: u16, direction: Direction, payload: &Bytes) -> Result<Self, Error> {
        use Direction::{Down, Up};
        let fixed =
            |f: fn(&mut Reader<'_>) -> Result<Self, Error>| f(&mut Reader::new(payload, command));
        match (command, direction) {
            (command::HEARTBEAT, Up) => fixed(|r| Heartbeat::decode(r).map(Self::Heartbeat)),
            (command::HEARTBEAT, Down) => {
                fixed(|r| HeartbeatReply::decode(r).map(Self::HeartbeatReply))
            }
            (command::OTA, Down) => fixed(|r| Ota::decode(r).map(Self::Ota)),
            (command::NODE_LIST, Down) => {
                let (sub, mut r) = subs::read_inner(payload, command)?;
                NodeListDown::decode(sub, &mut r).map(Self::NodeListDown)
            }
            (command::NODE_LIST, Up) => {
                let (sub, mut r) = subs::read_inner(payload, command)?;
                NodeListUp::decode(sub, &mut r).map(Self::NodeListUp)
            }
            (command::SOCKET, Down) => {
                let (sub, mut r) = subs::read_inner(payload, command)?;
                SocketDown::decode(sub, &mut r).map(Self::SocketDown)
            }
            (command::SOCKET, Up) => {
                let (sub, mut r) = subs::read_inner(payload, command)?;
                SocketUp::decode(sub, &mut r).map(Self::SocketUp)
            }
            (command::BKV, _) => Ok(Self::Bkv(BkvPacket::decode(payload, direction)?)),
            _ => Ok(Self::Unknown(UnknownCommand {
                command,
                payload: RawBytes(payload.clone()),
            })),
        }
    }

    /// Appends the payload.
    pub fn encode_payload(&self, out: &mut BytesMut) -> Result<(), Error> {
        let mut w = Writer { out };
        match self {
            Self::Heartbeat(m) => m.encode(&mut w),
            Self::HeartbeatReply(m) => m.encode(&mut w),
            Self::Ota(m) => m.encode(&mut w),
            Self::NodeListDown(m) => m.encode(w.out),
            Self::NodeListUp(m) => m.encode(w.out),
            Self::SocketDown(m) => m.encode(w.out),
            Self::SocketUp(m) => m.encode(w.out),
            Self::Bkv(m) => m.encode_into(w.out),
            Self::Unknown(u) => {
                w.out.put_slice(&u.payload.0);
                Ok(())
            }
        }
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Heartbeat(m) => m.serialize(s),
            Self::HeartbeatReply(m) => m.serialize(s),
            Self::NodeListDown(m) => m.serialize(s),
            Self::NodeListUp(m) => m.serialize(s),
            Self::Ota(m) => m.serialize(s),
            Self::SocketDown(m) => m.serialize(s),
            Self::SocketUp(m) => m.serialize(s),
            Self::Bkv(m) => m.serialize(s),
            Self::Unknown(m) => m.serialize(s),
        }
    }
}
