//! Every `"protocol":"dny"` line of `tests/data/vectors.jsonl` (a copy of
//! `shared/protocols/vectors.jsonl`), data-driven.
//!
//! Vector field keys use human units (`voltage_v: 218.8`); the codec uses
//! Pylon units (`voltage_dv: 2188`). `actual()` maps one to the other.

use codec_dny::{
    Direction, Downlink, Frame, Item, Message, RawFrame, StreamDecoder, Uplink, decode_frame,
    describe, describe_json,
};
use serde_json::Value;

use crate::{tohex, unhex};

fn vectors() -> Vec<Value> {
    let text = include_str!("../data/vectors.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["protocol"] == "dny")
        .collect()
}

fn direction(v: &Value) -> Direction {
    match v["direction"].as_str().unwrap() {
        "up" => Direction::Up,
        "down" => Direction::Down,
        d => panic!("bad direction {d}"),
    }
}

fn round(x: f64) -> i64 {
    (x * 10.0).round() as i64
}

/// Our value for a vector key, converted to the vector's units, or `None`
/// when the codec has no such field.
fn actual(fields: &Value, key: &str) -> Option<Value> {
    let ports = fields.get("ports").and_then(Value::as_array);
    let dw_to_w = |v: &Value| Value::from(v.as_i64().unwrap() as f64 / 10.0);
    Some(match key {
        "temperature_raw" => fields["temperature"]["raw"].clone(),
        "host_timestamp" => fields["host_time"]["unix"].clone(),
        "timestamp" => fields["timestamp"]["unix"].clone(),
        "time_utc" => fields["timestamp"]["utc"].clone(),
        "locate_seconds" => fields["duration_s"].clone(),
        k if fields.get(k).is_some() => fields[k].clone(),
        "port_count" => {
            let list = fields.get("port_status").or(fields.get("ports"))?;
            Value::from(list.as_array()?.len())
        }
        "port_status" => Value::Array(ports?.iter().map(|p| p["status"].clone()).collect()),
        "port_power_w" => Value::Array(ports?.iter().map(|p| dw_to_w(&p["power_dw"])).collect()),
        "port_peak_power_w" => Value::Array(
            ports?
                .iter()
                .map(|p| dw_to_w(&p["peak_power_dw"]))
                .collect(),
        ),
        k if k.ends_with("_v") => dw_to_w(fields.get(format!("{}_dv", &k[..k.len() - 2]))?),
        k if k.ends_with("_w") => dw_to_w(fields.get(format!("{}_dw", &k[..k.len() - 2]))?),
        _ => return None,
    })
}

fn same(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        // "0x21" in the vectors, an integer here.
        (Value::String(s), Value::Number(n)) if s.starts_with("0x") => {
            u64::from_str_radix(&s[2..], 16).ok() == n.as_u64()
        }
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => round(x) == round(y),
            _ => a == b,
        },
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        _ => expected == got,
    }
}

fn check_framing(id: &str, raw: &RawFrame, bytes: &[u8], expect: &Value) {
    let sum = u16::from_le_bytes([bytes[bytes.len() - 2], bytes[bytes.len() - 1]]);
    let framing = [
        ("length", Value::from(raw.length())),
        ("physical_id", Value::from(raw.physical_id.to_string())),
        (
            "device_code",
            Value::from(raw.physical_id.code().to_string()),
        ),
        ("device_number", Value::from(raw.physical_id.number())),
        ("msg_id", Value::from(raw.message_id.get())),
        ("cmd", Value::from(format!("0x{:02x}", raw.command))),
        ("checksum", Value::from(format!("0x{sum:04x}"))),
    ];
    for (k, v) in framing {
        assert_eq!(expect[k], v, "{id}: framing key {k}");
    }
}

fn reencode<M: Message + PartialEq + std::fmt::Debug>(id: &str, raw: &RawFrame, bytes: &[u8]) {
    let frame = Frame::<M>::from_raw(raw).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(
        tohex(&frame.to_bytes().unwrap()),
        tohex(bytes),
        "{id}: re-encode"
    );
    assert_eq!(
        Frame::<M>::decode(&frame.to_bytes().unwrap()).unwrap(),
        frame
    );
}

const FRAMING_KEYS: [&str; 7] = [
    "length",
    "physical_id",
    "device_code",
    "device_number",
    "msg_id",
    "cmd",
    "checksum",
];

fn check_valid(v: &Value) {
    let id = v["id"].as_str().unwrap();
    let bytes = unhex(v["hex"].as_str().unwrap());
    let expect = &v["expect"];
    let raw = decode_frame(&bytes).unwrap_or_else(|e| panic!("{id}: {e}"));
    check_framing(id, &raw, &bytes, expect);
    assert_eq!(
        tohex(&raw.to_bytes().unwrap()),
        tohex(&bytes),
        "{id}: raw re-encode"
    );

    let dir = direction(v);
    let view = describe(&raw, dir);
    assert_eq!(view["checksum_ok"], true, "{id}");
    assert!(view.get("error").is_none(), "{id}: {view}");
    let fields = &view["fields"];
    for (key, want) in expect.as_object().unwrap() {
        if FRAMING_KEYS.contains(&key.as_str()) {
            continue;
        }
        let got =
            actual(fields, key).unwrap_or_else(|| panic!("{id}: no field for {key} in {fields}"));
        assert!(
            same(want, &got),
            "{id}: {key}: want {want}, got {got} ({fields})"
        );
    }
    match dir {
        Direction::Up => reencode::<Uplink>(id, &raw, &bytes),
        Direction::Down => reencode::<Downlink>(id, &raw, &bytes),
    }
}

fn check_error(v: &Value) {
    let id = v["id"].as_str().unwrap();
    let bytes = unhex(v["hex"].as_str().unwrap());
    let want = v["expect"]["error"].as_str().unwrap();
    let err = decode_frame(&bytes).expect_err(id);
    assert_eq!(err.kind().as_str(), want, "{id}: {err}");
    if let Some(skip) = v["expect"]["resync_offset"].as_u64() {
        let mut d = StreamDecoder::new();
        d.feed(&bytes).unwrap();
        d.finish();
        let items: Vec<_> = d.by_ref().collect::<Result<_, _>>().unwrap();
        match items.as_slice() {
            [Item::Garbage(g), Item::Frame(_)] => assert_eq!(g.len() as u64, skip, "{id}"),
            other => panic!("{id}: {other:?}"),
        }
    }
}

fn item_json(item: &Item) -> Value {
    match item {
        Item::Frame(f) => serde_json::json!({
            "type": "frame",
            "cmd": format!("0x{:02x}", f.command),
            "physical_id": f.physical_id.to_string(),
            "msg_id": f.message_id.get(),
        }),
        Item::Iccid(i) => serde_json::json!({"type": "iccid", "value": i.as_str()}),
        Item::Link => serde_json::json!({"type": "link"}),
        Item::Garbage(g) => serde_json::json!({"type": "garbage", "hex": tohex(g)}),
        Item::Incomplete(g) => serde_json::json!({"type": "incomplete", "hex": tohex(g)}),
    }
}

fn check_stream(v: &Value) {
    let id = v["id"].as_str().unwrap();
    let bytes = unhex(v["hex"].as_str().unwrap());
    let want = v["expect"]["items"].as_array().unwrap();
    // All at once, then one byte at a time: same items.
    for chunk in [bytes.len(), 1] {
        let mut d = StreamDecoder::new();
        let mut got = Vec::new();
        for c in bytes.chunks(chunk) {
            d.feed(c).unwrap();
            got.extend(d.by_ref().map(|r| item_json(&r.unwrap())));
        }
        d.finish();
        got.extend(d.by_ref().map(|r| item_json(&r.unwrap())));
        assert_eq!(&got, want, "{id} (chunks of {chunk})");
    }
}

#[test]
fn every_dny_vector() {
    let all = vectors();
    assert!(
        all.len() >= 35,
        "expected the 35 dny vectors, got {}",
        all.len()
    );
    let (mut valid, mut errors, mut streams) = (0, 0, 0);
    let mut failures = Vec::new();
    for v in &all {
        let run = std::panic::catch_unwind(|| {
            if v["kind"] == "stream" {
                check_stream(v);
            } else if v["expect"].get("error").is_some() {
                check_error(v);
            } else {
                check_valid(v);
            }
        });
        if let Err(e) = run {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {msg}", v["id"]));
        }
        if v["kind"] == "stream" {
            streams += 1;
        } else if v["expect"].get("error").is_some() {
            errors += 1;
        } else {
            valid += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
    assert_eq!((valid, errors, streams), (29, 5, 1));
}

/// The gateway's raw-frame text (`describe_json`, no `Value` built) is the same object
/// as `describe`, both ways, for every vector.
#[test]
fn describe_json_is_describe() {
    let mut seen = 0;
    for v in vectors() {
        let Ok(frame) = decode_frame(&unhex(v["hex"].as_str().unwrap())) else {
            continue;
        };
        for d in [Direction::Up, Direction::Down] {
            let text: Value = serde_json::from_slice(&describe_json(&frame, d)).unwrap();
            assert_eq!(text, describe(&frame, d), "{}", v["id"]);
        }
        seen += 1;
    }
    assert!(seen > 20, "only {seen} vectors decoded");
}
