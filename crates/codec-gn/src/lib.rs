//! Sans-IO codec for the GN networked-gateway protocol (组网, `FC FE` up /
//! `FC FF` down, big-endian, 7-byte gateway id, 8-bit sum, `FC EE` tail) and the
//! BKV key/value list it carries in command `0x1000`.
//!
//! No sockets, clocks or async runtime: bytes in, typed messages out, and back.
//!
//! * [`StreamDecoder`] cuts a connection's byte stream into checked [`Frame`]s
//!   (skipping garbage, resynchronising, bounded buffering).
//! * [`Packet`] decodes a frame into a typed [`Message`] — every command and
//!   sub-command of the fact sheet, both directions — in Pylon units
//!   ([`units`]); unknown commands, sub-commands and BKV keys are kept as bytes,
//!   and `encode(decode(x)) == x` byte for byte.
//! * [`bkv`] has the generic and typed BKV layers; [`ids`] the canonical
//!   identities (gateway, socket, port); [`describe()`] a JSON view for tools.
//!
//! ```
//! use codec_gn::{Message, Packet};
//! let bytes = codec_gn::hex::decode_vec(
//!     "fcff0018000000000000008220052000486920200730164545a7fcee").unwrap();
//! let packet = Packet::decode(&bytes).unwrap();
//! let Message::HeartbeatReply(reply) = &packet.message else { unreachable!() };
//! assert_eq!(reply.time.get(), 1_596_098_745); // 2020-07-30 16:45:45 +08:00
//! assert_eq!(&packet.encode().unwrap()[..], &bytes[..]);
//! ```

pub mod bkv;
pub mod codes;
pub mod describe;
mod error;
mod frame;
pub mod hex;
pub mod ids;
pub mod msg;
mod packet;
pub mod replies;
mod stream;
pub mod time;
pub mod units;
mod wire;

pub use describe::{FrameView, describe, describe_bytes};
pub use error::{BkvError, Error, ErrorKind};
pub use frame::{
    DEFAULT_MAX_LENGTH, Direction, Frame, HEADER_DOWN, HEADER_UP, Inspected, MIN_LENGTH, TAIL,
    checksum,
};
pub use ids::{BusinessNo, CardNo, GatewayId, Mac, Port, PortNo, PortRef, SocketNo, SocketRef};
pub use msg::Message;
pub use packet::Packet;
pub use stream::{Decoded, Limits, StreamDecoder};
