#![forbid(unsafe_code)]
//! Sans-IO codec for the AP3000 "DNY" protocol spoken by e-bike charging
//! sockets, piles and their hosts (fact sheet: `shared/protocols/PROTOCOLS.md`
//! §1).
//!
//! No sockets, no clocks, no async runtime: bytes in, typed values out, and
//! back.
//!
//! * [`StreamDecoder`]: one per connection. Feed bytes in any split; get
//!   [`Item`]s — frames, the modem's ICCID and `link` keepalive, garbage runs
//!   — or errors that say what and where, and whether the stream can go on.
//! * [`RawFrame`]: id, message id, command and data of a checked frame
//!   (zero-copy); [`decode_frame`] for a single frame in a buffer.
//! * [`Uplink`] / [`Downlink`]: every command of the fact sheet's table as a
//!   typed message, each way, with [`Frame<M>`] to encode and decode whole
//!   frames. Unknown commands keep their bytes in `Unknown { command, payload }`;
//!   undocumented trailing bytes are kept in `extra`, so
//!   `encode(decode(x)) == x` byte for byte.
//! * [`PhysicalId`]: the device id and its three spellings (see [`ids`]).
//! * [`describe`]: a JSON view for tools.
//!
//! Units follow Pylon's rules ([`units`]): integers only; money in fen,
//! energy in Wh, power in 0.1 W, voltage in 0.1 V, current in mA, durations
//! in seconds, instants as Unix seconds (UTC).
//!
//! ```
//! use codec_dny::{Downlink, Frame, Item, Message, MessageId, ResultAnswer, StreamDecoder, Uplink};
//!
//! let mut dec = StreamDecoder::new();
//! dec.feed(b"89860448161870064815")?; // the modem's ICCID
//! dec.feed(&[0x44, 0x4E, 0x59, 0x10, 0x00, 0x3B, 0x37, 0xAB, 0x04, 0x01, 0x00, 0x21,
//!            0x98, 0x08, 0x02, 0x00, 0x00, 0x09, 0x05, 0xEE, 0x02])?;
//! assert!(matches!(dec.decode_next()?, Some(Item::Iccid(_))));
//! let Some(Item::Frame(raw)) = dec.decode_next()? else { unreachable!() };
//! let frame = Frame::<Uplink>::from_raw(&raw)?;
//! let Uplink::Heartbeat(hb) = &frame.message else { unreachable!() };
//! assert_eq!(hb.voltage.get(), 2200); // 220.0 V
//!
//! let answer = Frame {
//!     physical_id: frame.physical_id,
//!     message_id: frame.message_id,
//!     message: Downlink::HeartbeatAnswer(ResultAnswer::new(0)),
//! };
//! assert_eq!(answer.to_bytes()?.as_ref(),
//!     &[0x44, 0x4E, 0x59, 0x0A, 0x00, 0x3B, 0x37, 0xAB, 0x04, 0x01, 0x00, 0x21, 0x00, 0x38, 0x02]);
//! # Ok::<(), codec_dny::Error>(())
//! ```

pub mod checksum;
mod describe;
mod error;
pub mod frame;
mod hex;
pub mod ids;
pub mod messages;
pub mod stream;
pub mod units;
pub mod values;

pub use describe::{
    describe, describe_bytes, describe_item, describe_json, describe_json_into, guess_direction,
};
pub use error::{Error, ErrorKind};
pub use frame::{Check, RawFrame, check, decode_frame, decode_frame_lenient};
pub use ids::{DeviceClass, DeviceCode, Iccid, MessageId, PhysicalId};
pub use messages::*;
pub use stream::{Item, Limits, StreamDecoder};
pub use units::{DeciVolts, DeciWatts, Fen, MilliAmps, Temperature, UnixTime, Wh};
pub use values::{CardId, NulText, OrderNo, Port};
