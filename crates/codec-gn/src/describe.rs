//! A JSON view of decoded frames, for CLIs and logs.
//!
//! ```json
//! {"protocol":"gn","direction":"up","command":"0x1000","bkv_command":"0x1017",
//!  "name":"status cluster","device_id":"82241218000382","sequence":0,
//!  "checksum_ok":true,"fields":{"bkv_sequence":0,"bkv_gateway_id":"82241218000382",
//!  "sockets":[{"socket":1,"sw_version":"ffff","temperature_c":29,"rssi":30,
//!  "ports":[{"port":0,"status":128,"business_no":0,"voltage_dv":2297, …}]}]}}
//! ```
//!
//! `fields` holds the typed decode in Pylon units; a field name carries its unit:
//! `_fen` money, `_wh` energy, `_dw` 0.1 W, `_dv` 0.1 V, `_ma` mA, `_s` seconds,
//! `_c` °C, `_pct` percent, `_raw` an undocumented unit kept as sent, `_hex` raw
//! bytes. Times (`time`, `end_time`) are UTC Unix seconds. Unknown BKV keys
//! appear as `key_<hex>_hex`; bytes after the last documented field as `extra_hex`.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Error;
use crate::frame::Frame;
use crate::msg::Message;
use crate::packet::Packet;

/// The JSON view of one frame.
#[derive(Debug, Serialize)]
pub struct FrameView<'a> {
    /// Always `"gn"`.
    pub protocol: &'static str,
    /// `"up"` or `"down"`.
    pub direction: &'static str,
    /// GN command, `"0x1000"`.
    pub command: String,
    /// BKV command (0x1000 only), `"0x1017"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bkv_command: Option<String>,
    /// Sub-command (0x0005 / 0x0015 only), `"0x1d"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcommand: Option<String>,
    /// Short human name.
    pub name: &'static str,
    /// Gateway id (14 hex digits).
    pub device_id: String,
    /// Frame sequence number.
    pub sequence: u32,
    /// Whether the checksum matched.
    pub checksum_ok: bool,
    /// The typed fields.
    pub fields: &'a Message,
}

impl<'a> FrameView<'a> {
    /// The view of `packet`; `checksum_ok` as found by the decoder.
    pub fn new(packet: &'a Packet, checksum_ok: bool) -> Self {
        let message = &packet.message;
        Self {
            protocol: "gn",
            direction: packet.direction.as_str(),
            command: format!("{:#06x}", message.command()),
            bkv_command: match message {
                Message::Bkv(b) => Some(format!("{:#06x}", b.command())),
                _ => None,
            },
            subcommand: message.sub_command().map(|s| format!("{s:#04x}")),
            name: message.name(),
            device_id: packet.gateway_id.to_string(),
            sequence: packet.sequence,
            checksum_ok,
            fields: message,
        }
    }
}

/// The JSON view of a decoded packet (whose checksum, having been decoded, was right).
pub fn describe(packet: &Packet) -> Value {
    to_value(&FrameView::new(packet, true))
}

/// The JSON view of one frame's bytes, for tools: a frame with a wrong checksum
/// is still described (`checksum_ok: false`); anything else that fails gives
/// `{"protocol":"gn","error":<kind>,"message":…}`.
pub fn describe_bytes(bytes: &[u8]) -> Value {
    let result = Frame::inspect(Bytes::copy_from_slice(bytes)).and_then(|i| {
        let ok = i.checksum_ok();
        Packet::from_frame(&i.frame).map(|p| (p, ok))
    });
    match result {
        Ok((packet, ok)) => to_value(&FrameView::new(&packet, ok)),
        Err(e) => error_value(&e),
    }
}

fn error_value(e: &Error) -> Value {
    json!({"protocol": "gn", "error": e.kind().as_str(), "message": e.to_string()})
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_else(
        |e| json!({"protocol": "gn", "error": "serialize", "message": e.to_string()}),
    )
}
