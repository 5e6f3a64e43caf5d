//! 0x0005: the network node list (which sockets a gateway talks to). The
//! document's only power-bracket start example is also framed with 0x0005
//! (sub-command 0x17), so it is decoded here too.

use serde::Serialize;

use super::socket_down::PowerBracketStart;
use super::subs::{Sub, no_bytes, sub_enum};
use crate::codes::{RawBytes, ResultCode};
use crate::error::Error;
use crate::ids::{Mac, SocketNo};
use crate::wire::{Reader, Writer};

sub_enum! {
    /// A 0x0005 sub-command from the server.
    pub enum NodeListDown {
        /// 0x08 replace the whole list.
        Refresh(Refresh) = 0x08, "node list refresh";
        /// 0x09 add one socket.
        Add(NodeChange) = 0x09, "node add";
        /// 0x0A delete one socket (the document omits it; the layout of 0x09 is
        /// the natural guess, **unverified**).
        Delete(NodeChange) = 0x0A, "node delete";
        /// 0x17 start by power brackets, framed with 0x0005 as in the document.
        PowerBracketStart(PowerBracketStart) = 0x17, "start by power brackets";
    }
}

sub_enum! {
    /// A 0x0005 sub-command answer from a gateway.
    pub enum NodeListUp {
        /// 0x08 result of a refresh.
        RefreshResult(NodeResult) = 0x08, "node list refresh result";
        /// 0x09 result of an add.
        AddResult(NodeResult) = 0x09, "node add result";
        /// 0x0A result of a delete (**unverified**).
        DeleteResult(NodeResult) = 0x0A, "node delete result";
    }
}

/// One socket of the node list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Node {
    /// The platform's number for the socket (1–250, unique per gateway).
    pub socket: SocketNo,
    /// The socket's MAC.
    pub mac: Mac,
}

/// 0x08 ↓: radio channel and the full list of sockets.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Refresh {
    /// Radio channel (1–15, any).
    pub channel: u8,
    /// The sockets, 7 bytes each.
    #[serde(rename = "sockets")]
    pub nodes: Vec<Node>,
    /// Bytes after the last whole node.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for Refresh {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        let channel = r.u8("channel")?;
        let n = r.remaining() / 7;
        let nodes = (0..n)
            .map(|_| {
                Ok(Node {
                    socket: r.socket()?,
                    mac: r.mac()?,
                })
            })
            .collect::<Result<_, Error>>()?;
        Ok(Self {
            channel,
            nodes,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.channel);
        for n in &self.nodes {
            w.u8(n.socket.0);
            w.bytes(n.mac.as_bytes());
        }
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// 0x09 / 0x0A ↓: one socket to add or delete.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NodeChange {
    /// Socket number.
    pub socket: SocketNo,
    /// Socket MAC.
    pub mac: Mac,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for NodeChange {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            socket: r.socket()?,
            mac: r.mac()?,
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.socket.0);
        w.bytes(self.mac.as_bytes());
        w.bytes(&self.extra.0);
        Ok(())
    }
}

/// ↑ result of a node-list change.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NodeResult {
    /// 1 ok, 0 fail.
    pub result: ResultCode,
    /// Bytes after the documented fields.
    #[serde(rename = "extra_hex", skip_serializing_if = "no_bytes")]
    pub extra: RawBytes,
}

impl Sub for NodeResult {
    fn decode(r: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(Self {
            result: ResultCode(r.u8("result")?),
            extra: RawBytes(r.rest()),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) -> Result<(), Error> {
        w.u8(self.result.0);
        w.bytes(&self.extra.0);
        Ok(())
    }
}
