//! The gateway's rules, pure: which protocol a connection speaks, what each frame means
//! as a device event, and what the protocol requires us to answer at once. No sockets,
//! clocks or NATS here: callers pass `now` and carry out the returned [`Output`]s.

pub mod card;
pub mod command;
pub mod detect;
pub mod dny;
pub mod event;
pub mod executor;
pub mod gn;

use chrono::{DateTime, Utc};

pub use card::card_answer;
pub use event::{
    DeviceEvent, DeviceKey, DisconnectCause, EndReasonCode, PortState, Protocol, TransferEnd,
};

/// What handling some bytes produced, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// The connection now knows which device it is (first valid frame).
    Identified(DeviceKey),
    /// Bytes to write to the device (an automatic answer).
    Answer(bytes::Bytes),
    /// A device event to publish.
    Event(DeviceEvent),
    /// A frame as received, for `pylon.raw.<protocol>.<device>`. Undescribed: the hex
    /// and JSON are built only where the frame is published (`gateway.raw_frames`).
    Raw { device_id: String, frame: WireFrame },
    /// A frame that could not be decoded; the stream goes on.
    Malformed(String),
    /// A card was presented: the pile waits for a business decision.
    CardDecision(CardQuery),
    /// A frame that may answer a command in flight (the executor decides).
    Reply(command::Reply),
}

/// A received frame as the codec handed it out: cheap to keep (the payload is shared
/// `Bytes`); its hex and JSON view are made on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireFrame {
    Dny(codec_dny::RawFrame),
    Gn(codec_gn::Frame),
}

impl WireFrame {
    /// `dny` or `gn`, as in `pylon.raw.<protocol>.<device>`.
    pub fn protocol(&self) -> &'static str {
        match self {
            WireFrame::Dny(_) => "dny",
            WireFrame::Gn(_) => "gn",
        }
    }

    /// The frame's bytes as lowercase hex (what `pylon decode` takes).
    pub fn hex(&self) -> String {
        let bytes = match self {
            WireFrame::Dny(f) => f.to_bytes().ok(),
            WireFrame::Gn(f) => f.encode().ok(),
        };
        bytes.map(|b| hex(&b)).unwrap_or_default()
    }

    /// The raw-frame stream's message: `{"hex": …, "frame": …}`, the frame encoded once
    /// and everything written into one buffer (DNY without building a `Value`; one per
    /// frame when `gateway.raw_frames` is on). `frame` is `null` when it cannot be
    /// described.
    pub fn raw_json(&self) -> Vec<u8> {
        let encoded = match self {
            WireFrame::Dny(f) => f.to_bytes().ok(),
            WireFrame::Gn(f) => f.encode().ok(),
        }
        .unwrap_or_default();
        let mut out = Vec::with_capacity(encoded.len() * 2 + 512);
        out.extend_from_slice(br#"{"hex":""#);
        push_hex(&mut out, &encoded);
        out.extend_from_slice(br#"","frame":"#);
        let before = out.len();
        match self {
            WireFrame::Dny(f) => {
                codec_dny::describe_json_into(f, codec_dny::Direction::Up, &encoded, &mut out);
            }
            WireFrame::Gn(_) => {
                if serde_json::to_writer(&mut out, &self.describe()).is_err() {
                    out.truncate(before);
                }
            }
        }
        if out.len() == before {
            out.extend_from_slice(b"null");
        }
        out.push(b'}');
        out
    }

    /// The frame as `pylon decode` prints it (DNY: uplink).
    pub fn describe(&self) -> serde_json::Value {
        match self {
            WireFrame::Dny(f) => codec_dny::describe(f, codec_dny::Direction::Up),
            WireFrame::Gn(f) => match codec_gn::Packet::from_frame(f) {
                Ok(p) => codec_gn::describe(&p),
                Err(_) => serde_json::Value::Null,
            },
        }
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex, as `codec_gn::hex::encode` writes it, without formatting machinery.
fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::new();
    push_hex(&mut out, bytes);
    // Only ASCII digits were written.
    String::from_utf8(out).unwrap_or_default()
}

/// [`hex`] appended to a byte buffer.
fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX_DIGITS[usize::from(b >> 4)]);
        out.push(HEX_DIGITS[usize::from(b & 0x0F)]);
    }
}

/// A pending business decision the connection must ask charging for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardQuery {
    pub device: DeviceKey,
    /// 1-based port; 0 when the pile only asks for a balance.
    pub port: u32,
    pub card_no: String,
    /// What to send back, built from the decision (protocol specific context).
    pub reply: CardReplyContext,
}

/// What a protocol needs to build its card answer later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardReplyContext {
    Dny {
        physical_id: u32,
        message_id: u16,
        card_id: [u8; 4],
        port_wire: u8,
    },
    /// GN 0x0015/0x0B swipe (answered with a 0x0B card order) or 0x1A balance query
    /// (answered with a 0x1A balance).
    Gn {
        gateway_id: [u8; 7],
        /// The fresh sequence the answer carries (fact sheet 2.2); a 0x0F echoes it.
        sequence: u32,
        socket: u8,
        port_wire: u8,
        card_no: [u8; 6],
        /// The swipe's business number, echoed by the order; `None` for a balance query.
        business_no: Option<u16>,
    },
}

/// A failure after which the connection cannot continue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

/// One protocol's connection as a state machine: bytes in, outputs out, decoded **one
/// frame at a time**. A connection that fell behind reads a socket's worth of frames at
/// once (a 4 KiB read holds about 200 DNY heartbeats); their outputs together — a raw
/// frame, an event and an answer each — held hundreds of kilobytes per connection while
/// they were published (docs/benchmarks.md, "a whole read's outputs held").
pub trait DeviceSession: Send {
    /// Takes bytes read from the socket; [`DeviceSession::next_outputs`] decodes them.
    fn feed(&mut self, data: &[u8]) -> Result<(), Fatal>;

    /// Decodes what was fed up to the next item that means something (a frame, garbage
    /// skipped) and appends what it gives to `out`; `false` once nothing complete is
    /// left.
    fn next_outputs(&mut self, now: DateTime<Utc>, out: &mut Vec<Output>) -> Result<bool, Fatal>;

    /// Periodic work, called about once a minute with the current time (port
    /// snapshots, GN socket liveness): events only.
    fn tick(&mut self, now: DateTime<Utc>) -> Vec<Output>;

    /// What the end of the connection means beyond the device itself (GN sockets).
    fn close(&mut self, _now: DateTime<Utc>) -> Vec<Output> {
        Vec::new()
    }

    /// Every output of `data` at once.
    fn on_bytes(&mut self, data: &[u8], now: DateTime<Utc>) -> Result<Vec<Output>, Fatal> {
        self.feed(data)?;
        let mut out = Vec::new();
        while self.next_outputs(now, &mut out)? {}
        Ok(out)
    }
}

/// The first valid frame of a connection names its device: the connection learns it,
/// and the device is connected.
fn identify(device: DeviceKey, iccid: Option<String>, now: DateTime<Utc>, out: &mut Vec<Output>) {
    out.push(Output::Identified(device.clone()));
    out.push(Output::Event(DeviceEvent::Connected {
        device,
        remote_addr: String::new(),
        iccid,
        at: now,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    const DNY_HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";
    const GN_HEARTBEAT: &str = "fcfe002e000000000000018224121800038238393836303835353130323444313938383139363230302e312e31371152fcee";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn parsed(frame: &WireFrame) -> serde_json::Value {
        serde_json::from_slice(&frame.raw_json()).expect("raw_json is JSON")
    }

    #[test]
    fn a_dny_raw_frame_is_its_hex_and_its_decode() {
        let frame = codec_dny::decode_frame(&unhex(DNY_HEARTBEAT)).unwrap();
        let raw = parsed(&WireFrame::Dny(frame));
        assert_eq!(raw["hex"], DNY_HEARTBEAT);
        assert_eq!(
            raw["frame"],
            codec_dny::describe_bytes(&unhex(DNY_HEARTBEAT), codec_dny::Direction::Up).unwrap()
        );
        assert_eq!(raw["frame"]["checksum_ok"], true);
    }

    #[test]
    fn a_gn_raw_frame_is_its_hex_and_its_decode() {
        let frame = codec_gn::Frame::decode(&unhex(GN_HEARTBEAT)).unwrap();
        let wire = WireFrame::Gn(frame);
        let raw = parsed(&wire);
        assert_eq!(raw["hex"], GN_HEARTBEAT);
        assert_eq!(raw["frame"], wire.describe());
        assert!(raw["frame"].is_object(), "{raw}");
    }
}
