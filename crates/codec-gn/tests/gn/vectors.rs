//! Every `"protocol":"gn"` line of `shared/protocols/vectors.jsonl` (copied to
//! `tests/data/vectors.jsonl`): valid frames decode to the expected fields
//! (vector units converted to Pylon units here) and re-encode to the same bytes;
//! malformed frames fail with the expected error kind; streams split as listed.

use bytes::{Bytes, BytesMut};
use codec_gn::{Decoded, Frame, Packet, StreamDecoder, bkv, describe};
use serde_json::{Map, Value, json};

use super::support::{beijing_to_unix, gn_vectors, unhex};

/// Framing keys, checked against the raw frame rather than the JSON view.
const FRAMING: &[&str] = &[
    "header",
    "length",
    "cmd",
    "seq",
    "dir",
    "gateway_id",
    "checksum",
    "payload_len",
    "inner_len",
    "sub_cmd",
    "bkv_cmd",
    "bkv_seq",
    "bkv_gateway_id",
    "bkv_keys",
];

fn check_framing(id: &str, bytes: &[u8], want: &Map<String, Value>, errs: &mut Vec<String>) {
    let frame = Frame::decode(bytes).unwrap();
    let hex = |b: &[u8]| codec_gn::hex::encode(b);
    let mut got = Map::new();
    got.insert("header".into(), json!(hex(&bytes[..2])));
    got.insert(
        "length".into(),
        json!(u16::from_be_bytes([bytes[2], bytes[3]])),
    );
    got.insert("cmd".into(), json!(format!("{:#06x}", frame.command)));
    got.insert("seq".into(), json!(format!("{:#010x}", frame.sequence)));
    got.insert("dir".into(), json!(frame.packet_type));
    got.insert("gateway_id".into(), json!(frame.gateway_id.to_string()));
    got.insert(
        "checksum".into(),
        json!(format!("{:#04x}", bytes[bytes.len() - 3])),
    );
    got.insert("payload_len".into(), json!(frame.payload.len()));
    let p = &frame.payload;
    if frame.command == 0x0005 || frame.command == 0x0015 {
        got.insert("inner_len".into(), json!(u16::from_be_bytes([p[0], p[1]])));
        got.insert("sub_cmd".into(), json!(format!("{:#04x}", p[2])));
    }
    if frame.command == 0x1000 {
        let items = bkv::parse_list(p).unwrap();
        let value = |k: u8| {
            items
                .iter()
                .find(|i| i.key().as_u8() == Some(k))
                .unwrap()
                .value()
                .clone()
        };
        got.insert("bkv_cmd".into(), json!(format!("0x{}", hex(&value(1)))));
        got.insert("bkv_seq".into(), json!(format!("0x{}", hex(&value(2)))));
        got.insert("bkv_gateway_id".into(), json!(hex(&value(3))));
        let keys: Vec<String> = items
            .iter()
            .map(|i| format!("0x{}", hex(i.key().bytes())))
            .collect();
        got.insert("bkv_keys".into(), json!(keys));
    }
    for key in FRAMING {
        if let Some(w) = want.get(*key)
            && got.get(*key) != Some(w)
        {
            errs.push(format!("{id}: {key}: want {w}, got {:?}", got.get(*key)));
        }
    }
}

fn scaled(v: &Value, factor: f64) -> Value {
    json!((v.as_f64().unwrap() * factor).round() as i64)
}

/// Compares one vector field with the JSON view, converting units.
fn check_field(
    ctx: &str,
    key: &str,
    want: &Value,
    got: &Map<String, Value>,
    errs: &mut Vec<String>,
) {
    let (name, expect): (String, Value) = match key {
        "time_local" | "time" => (
            "time".into(),
            json!(beijing_to_unix(want.as_str().unwrap())),
        ),
        "end_time" => (
            "end_time".into(),
            json!(beijing_to_unix(want.as_str().unwrap())),
        ),
        "duration_min" => ("duration_s".into(), scaled(want, 60.0)),
        "charge_minutes" => ("charge_duration_s".into(), scaled(want, 60.0)),
        "max_charge_minutes" => ("max_charge_duration_s".into(), scaled(want, 60.0)),
        "level_minutes" => (
            "bracket_durations_s".into(),
            Value::Array(
                want.as_array()
                    .unwrap()
                    .iter()
                    .map(|m| scaled(m, 60.0))
                    .collect(),
            ),
        ),
        "level_count" if got.contains_key("bracket_durations_s") => {
            let n = got["bracket_durations_s"].as_array().map_or(0, Vec::len);
            if json!(n) != *want {
                errs.push(format!(
                    "{ctx}: level_count: want {want}, got {n} durations"
                ));
            }
            return;
        }
        "level_count" => ("bracket_count".into(), want.clone()),
        "fee_levels" => ("fee_brackets".into(), want.clone()),
        "duration" => ("duration_raw".into(), want.clone()),
        "buzzer" => ("beeper".into(), want.clone()),
        "period_count" => {
            let n = got
                .get("windows")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if json!(n) != *want {
                errs.push(format!("{ctx}: period_count: want {want}, got {n} windows"));
            }
            return;
        }
        "periods" => ("windows".into(), want.clone()),
        "high_temperature_threshold" => ("high_temperature_threshold_c".into(), want.clone()),
        "key_base_amount" => ("key_base_amount_fen".into(), want.clone()),
        "anti_pulse_time" => ("anti_pulse_time_raw".into(), want.clone()),
        "sockets" | "ports" => {
            let (Some(w), Some(g)) = (want.as_array(), got.get(key).and_then(Value::as_array))
            else {
                errs.push(format!(
                    "{ctx}: {key}: missing list, got {:?}",
                    got.get(key)
                ));
                return;
            };
            if w.len() != g.len() {
                errs.push(format!(
                    "{ctx}: {key}: want {} entries, got {}",
                    w.len(),
                    g.len()
                ));
                return;
            }
            for (i, (we, ge)) in w.iter().zip(g).enumerate() {
                let ge = ge.as_object().unwrap();
                for (k, v) in we.as_object().unwrap() {
                    check_field(&format!("{ctx}.{key}[{i}]"), k, v, ge, errs);
                }
            }
            return;
        }
        k if k.ends_with("_w") => (format!("{}_dw", &k[..k.len() - 2]), scaled(want, 10.0)),
        k if k.ends_with("_v") => (format!("{}_dv", &k[..k.len() - 2]), scaled(want, 10.0)),
        k if k.ends_with("_a") => (format!("{}_ma", &k[..k.len() - 2]), scaled(want, 1000.0)),
        k => (k.to_string(), want.clone()),
    };
    if got.get(&name) != Some(&expect) {
        errs.push(format!(
            "{ctx}: {key} -> {name}: want {expect}, got {:?}",
            got.get(&name)
        ));
    }
}

#[test]
fn valid_frames_decode_to_expected_fields_and_reencode_exactly() {
    let mut errs = Vec::new();
    let mut n = 0;
    for v in gn_vectors() {
        let expect = v["expect"].as_object().unwrap();
        if v.get("kind").is_some() || expect.contains_key("error") {
            continue;
        }
        n += 1;
        let id = v["id"].as_str().unwrap();
        let bytes = unhex(v["hex"].as_str().unwrap());
        let packet = match Packet::decode(&bytes) {
            Ok(p) => p,
            Err(e) => {
                errs.push(format!("{id}: decode failed: {e}"));
                continue;
            }
        };
        check_framing(id, &bytes, expect, &mut errs);
        let view = describe(&packet);
        assert_eq!(view["protocol"], "gn");
        assert_eq!(view["direction"], v["direction"], "{id}");
        assert_eq!(view["checksum_ok"], true, "{id}");
        assert_eq!(view["device_id"], expect["gateway_id"], "{id}");
        assert_eq!(view["command"], expect["cmd"], "{id}");
        if let Some(sub) = expect.get("sub_cmd") {
            assert_eq!(view["subcommand"], *sub, "{id}");
        }
        if let Some(bkv) = expect.get("bkv_cmd") {
            assert_eq!(view["bkv_command"], *bkv, "{id}");
        }
        let fields = view["fields"].as_object().unwrap();
        for (key, want) in expect {
            if !FRAMING.contains(&key.as_str()) {
                check_field(id, key, want, fields, &mut errs);
            }
        }
        match packet.encode() {
            Ok(out) if out[..] == bytes[..] => {}
            Ok(out) => errs.push(format!("{id}: re-encoded {}", codec_gn::hex::encode(&out))),
            Err(e) => errs.push(format!("{id}: encode failed: {e}")),
        }
    }
    assert!(
        errs.is_empty(),
        "{} problems:\n{}",
        errs.len(),
        errs.join("\n")
    );
    assert!(n >= 38, "only {n} valid gn vectors");
}

#[test]
fn malformed_frames_fail_with_the_expected_kind() {
    let mut n = 0;
    for v in gn_vectors() {
        let Some(kind) = v["expect"].get("error").and_then(Value::as_str) else {
            continue;
        };
        n += 1;
        let id = v["id"].as_str().unwrap();
        let bytes = unhex(v["hex"].as_str().unwrap());
        let err = Packet::decode(&bytes).expect_err(id);
        assert_eq!(err.kind().as_str(), kind, "{id}: {err}");
        assert!(err.can_continue(), "{id}");
        let view = codec_gn::describe_bytes(&bytes);
        if kind == "bad_checksum" {
            assert_eq!(view["checksum_ok"], false, "{id}");
        } else {
            assert_eq!(view["error"], kind, "{id}");
        }
        if let Some(offset) = v["expect"].get("resync_offset").and_then(Value::as_u64) {
            let mut dec = StreamDecoder::default();
            let mut buf = BytesMut::from(&bytes[..]);
            let garbage = dec.decode(&mut buf).unwrap().unwrap();
            assert!(
                matches!(garbage, Decoded::Garbage(g) if g.len() as u64 == offset),
                "{id}"
            );
            assert!(
                matches!(dec.decode(&mut buf), Ok(Some(Decoded::Frame(_)))),
                "{id}"
            );
            assert!(buf.is_empty(), "{id}");
        }
    }
    assert!(n >= 5, "only {n} malformed gn vectors");
}

#[test]
fn bad_checksum_vector_is_still_described_with_checksum_ok_false() {
    let v = gn_vectors()
        .into_iter()
        .find(|v| v["id"] == "gn-doc-checksum-typo")
        .unwrap();
    let view = codec_gn::describe_bytes(&unhex(v["hex"].as_str().unwrap()));
    assert_eq!(view["checksum_ok"], false);
    assert_eq!(view["subcommand"], "0x07");
    assert_eq!(view["fields"]["duration_s"], 240 * 60);
}

#[test]
fn stream_vectors_split_into_the_listed_items() {
    let mut n = 0;
    for v in gn_vectors().into_iter().filter(|v| v["kind"] == "stream") {
        n += 1;
        let id = v["id"].as_str().unwrap();
        let bytes = unhex(v["hex"].as_str().unwrap());
        let mut dec = StreamDecoder::default();
        let mut buf = BytesMut::from(&bytes[..]);
        let mut items = Vec::new();
        while let Some(d) = dec.decode(&mut buf).unwrap() {
            items.push(match d {
                Decoded::Frame(f) => json!({"type": "frame", "cmd": format!("{:#06x}", f.command),
                    "gateway_id": f.gateway_id.to_string(), "seq": format!("{:#010x}", f.sequence)}),
                Decoded::Garbage(g) => json!({"type": "garbage", "hex": codec_gn::hex::encode(&g)}),
            });
        }
        if !buf.is_empty() {
            items.push(json!({"type": "incomplete", "hex": codec_gn::hex::encode(&buf)}));
        }
        assert_eq!(Value::Array(items), v["expect"]["items"], "{id}");
    }
    assert!(n >= 1);
}

#[test]
fn every_vector_frame_checks_through_the_stream_decoder_too() {
    for v in gn_vectors() {
        if v.get("kind").is_some() || v["expect"].get("error").is_some() {
            continue;
        }
        let bytes = Bytes::from(unhex(v["hex"].as_str().unwrap()));
        let mut buf = BytesMut::from(&bytes[..]);
        let got = StreamDecoder::default().decode(&mut buf).unwrap();
        assert_eq!(
            got,
            Some(Decoded::Frame(Frame::decode_bytes(bytes).unwrap())),
            "{}",
            v["id"]
        );
    }
}
