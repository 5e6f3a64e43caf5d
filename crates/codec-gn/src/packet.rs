//! A decoded frame: framing fields plus the typed [`Message`].

use bytes::{Bytes, BytesMut};

use crate::error::Error;
use crate::frame::{self, Direction, Frame};
use crate::ids::GatewayId;
use crate::msg::Message;

/// One GN frame, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// From the header.
    pub direction: Direction,
    /// Frame sequence number: 0 on device reports, server-chosen on commands,
    /// echoed by answers.
    pub sequence: u32,
    /// The packet-type byte (normally `direction.packet_type()`).
    pub packet_type: u8,
    /// The gateway.
    pub gateway_id: GatewayId,
    /// The typed payload.
    pub message: Message,
}

impl Packet {
    /// A packet whose packet-type byte matches `direction`.
    pub fn new(
        direction: Direction,
        sequence: u32,
        gateway_id: GatewayId,
        message: Message,
    ) -> Self {
        Self {
            direction,
            sequence,
            packet_type: direction.packet_type(),
            gateway_id,
            message,
        }
    }

    /// Decodes the payload of a checked frame.
    pub fn from_frame(frame: &Frame) -> Result<Self, Error> {
        Ok(Self {
            direction: frame.direction,
            sequence: frame.sequence,
            packet_type: frame.packet_type,
            gateway_id: frame.gateway_id,
            message: Message::decode(frame.command, frame.direction, &frame.payload)?,
        })
    }

    /// Decodes exactly one frame occupying all of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Self::from_frame(&Frame::decode(bytes)?)
    }

    /// The GN command.
    pub fn command(&self) -> u16 {
        self.message.command()
    }

    /// Encodes the frame.
    pub fn encode(&self) -> Result<Bytes, Error> {
        let mut out = BytesMut::with_capacity(160);
        self.encode_into(&mut out)?;
        Ok(out.freeze())
    }

    /// Appends the encoded frame to `out`. Fails if the message belongs to the
    /// other direction or a value does not fit its wire field.
    pub fn encode_into(&self, out: &mut BytesMut) -> Result<(), Error> {
        if let Some(d) = self.message.direction()
            && d != self.direction
        {
            return Err(Error::encode(
                "direction",
                format!(
                    "{} travels {}, packet is {}",
                    self.message.name(),
                    d.as_str(),
                    self.direction.as_str()
                ),
            ));
        }
        let start = out.len();
        frame::begin(
            out,
            self.direction,
            self.command(),
            self.sequence,
            self.packet_type,
            &self.gateway_id,
        );
        if let Err(e) = self.message.encode_payload(out) {
            out.truncate(start);
            return Err(e);
        }
        frame::finish(out, start)
    }

    /// The frame this packet encodes to.
    pub fn to_frame(&self) -> Result<Frame, Error> {
        let mut payload = BytesMut::new();
        self.message.encode_payload(&mut payload)?;
        Ok(Frame {
            direction: self.direction,
            command: self.command(),
            sequence: self.sequence,
            packet_type: self.packet_type,
            gateway_id: self.gateway_id,
            payload: payload.freeze(),
        })
    }
}
