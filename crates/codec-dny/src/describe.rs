//! A JSON view of decoded frames for command-line tools and logs.
//!
//! ```json
//! {"protocol":"dny","direction":"up","command":"0x21","name":"heartbeat",
//!  "device_id":"04ab373b","device_code":"0x04","device_number":11220795,
//!  "message_id":1,"length":16,"checksum":"0x02ee","checksum_ok":true,
//!  "fields":{"voltage_dv":2200,"port_status":[0,0],"signal":9,
//!            "temperature":{"raw":5,"c":-60}}}
//! ```
//!
//! `fields` is the typed decode in Pylon units: keys end in their unit
//! (`_dv` 0.1 V, `_dw` 0.1 W, `_w` whole watts, `_wh`, `_fen`, `_ma`, `_s`,
//! `_min`, `_hex` for opaque bytes); temperatures are `{raw, c}`, times
//! `{unix, utc}`. When the payload does not decode, `fields` is null and
//! `error` says why.

use serde::Serialize;
use serde_json::{Value, json};

use crate::checksum::sum16;
use crate::error::Error;
use crate::frame::{RawFrame, decode_frame_lenient, le16};
use crate::messages::{AnyMessage, Direction, command_name};
use crate::stream::Item;

/// Describes a frame whose checksum was verified (as every frame from the
/// stream decoder or [`decode_frame`](crate::decode_frame) is).
pub fn describe(frame: &RawFrame, direction: Direction) -> Value {
    let checksum = frame_checksum(frame);
    build(frame, direction, checksum, checksum)
}

fn frame_checksum(frame: &RawFrame) -> u16 {
    match frame.to_bytes() {
        Ok(b) => sum16(b.get(..b.len().saturating_sub(2)).unwrap_or_default()),
        Err(_) => 0,
    }
}

/// Describes one complete frame given as bytes. Unlike
/// [`decode_frame`](crate::decode_frame) a wrong checksum is not an error:
/// the frame is shown with `checksum_ok: false` and `checksum_computed`.
pub fn describe_bytes(bytes: &[u8], direction: Direction) -> Result<Value, Error> {
    let (frame, stored, computed) = decode_frame_lenient(bytes)?;
    Ok(build(&frame, direction, stored, computed))
}

/// Which way a frame most likely travelled, for tools that get frames without that
/// knowledge (DNY uses one header both ways). The direction whose typed decode succeeds
/// wins; when both do (e.g. a command and its answer of the same length), uplink.
pub fn guess_direction(frame: &RawFrame) -> Direction {
    let typed = |d| match AnyMessage::decode(d, frame.command, frame.data.clone()) {
        Ok(m) => m.name() != "unknown",
        Err(_) => false,
    };
    if !typed(Direction::Up) && typed(Direction::Down) {
        Direction::Down
    } else {
        Direction::Up
    }
}

/// Describes any stream item; frames as in [`describe`].
pub fn describe_item(item: &Item, direction: Direction) -> Value {
    match item {
        Item::Frame(f) => describe(f, direction),
        Item::Iccid(i) => json!({"protocol": "dny", "type": "iccid", "value": i.as_str()}),
        Item::Link => json!({"protocol": "dny", "type": "link"}),
        Item::Garbage(b) => {
            json!({"protocol": "dny", "type": "garbage", "hex": crate::hex::encode(b)})
        }
        Item::Incomplete(b) => {
            json!({"protocol": "dny", "type": "incomplete", "hex": crate::hex::encode(b)})
        }
    }
}

/// What [`describe`] shows, as one serializable value: serialized straight to bytes by
/// [`describe_json`] (the gateway's raw-frame stream, once per frame) or into a `Value`.
#[derive(Serialize)]
struct View {
    protocol: &'static str,
    direction: &'static str,
    command: String,
    name: &'static str,
    device_id: String,
    device_code: String,
    device_number: u32,
    message_id: u16,
    length: usize,
    checksum: String,
    checksum_ok: bool,
    /// `null` when the payload does not decode.
    fields: Option<AnyMessage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checksum_computed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn view(frame: &RawFrame, direction: Direction, stored: u16, computed: u16) -> View {
    let decoded = AnyMessage::decode(direction, frame.command, frame.data.clone());
    let name = match &decoded {
        Ok(m) => m.name(),
        Err(_) => command_name(direction, frame.command).unwrap_or("unknown"),
    };
    let (fields, error) = match decoded {
        Ok(m) => (Some(m), None),
        Err(e) => (None, Some(e.to_string())),
    };
    View {
        protocol: "dny",
        direction: direction.as_str(),
        command: format!("0x{:02x}", frame.command),
        name,
        device_id: frame.physical_id.to_string(),
        device_code: frame.physical_id.code().to_string(),
        device_number: frame.physical_id.number(),
        message_id: frame.message_id.get(),
        length: frame.length(),
        checksum: format!("0x{stored:04x}"),
        checksum_ok: stored == computed,
        fields,
        checksum_computed: (stored != computed).then(|| format!("0x{computed:04x}")),
        error,
    }
}

fn build(frame: &RawFrame, direction: Direction, stored: u16, computed: u16) -> Value {
    serde_json::to_value(view(frame, direction, stored, computed)).unwrap_or(Value::Null)
}

/// [`describe`] as JSON text, without building a `Value` (keys in declaration order
/// rather than sorted; the same object).
pub fn describe_json(frame: &RawFrame, direction: Direction) -> Vec<u8> {
    let mut out = Vec::new();
    let encoded = frame.to_bytes().unwrap_or_default();
    describe_json_into(frame, direction, &encoded, &mut out);
    out
}

/// [`describe_json`] appended to `out`, for a frame the caller has already encoded
/// (`encoded`, its [`RawFrame::to_bytes`]: the gateway encodes each raw frame once, for
/// its hex, and the checksum shown is read from it).
pub fn describe_json_into(
    frame: &RawFrame,
    direction: Direction,
    encoded: &[u8],
    out: &mut Vec<u8>,
) {
    // The stored checksum: the encoded frame's last two bytes.
    let checksum = le16(encoded, encoded.len().saturating_sub(2));
    let start = out.len();
    if serde_json::to_writer(&mut *out, &view(frame, direction, checksum, checksum)).is_err() {
        // Nothing in the view fails to serialize; never leave half an object behind.
        out.truncate(start);
    }
}
