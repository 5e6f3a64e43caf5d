//! `pylon decode` over every shared test vector.

use serde_json::Value;

fn vectors() -> Vec<Value> {
    let mut all = Vec::new();
    for crate_dir in ["codec-dny", "codec-gn"] {
        let path = format!(
            "{}/../{crate_dir}/tests/data/vectors.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).unwrap();
            let proto = if crate_dir == "codec-dny" {
                "dny"
            } else {
                "gn"
            };
            if v["protocol"] == proto {
                all.push(v);
            }
        }
    }
    all
}

fn decode(args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pylon"))
        .arg("decode")
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let frames = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        frames,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_vector_decodes_or_fails_with_one_line() {
    let vectors = vectors();
    assert!(vectors.len() > 70, "only {} vectors found", vectors.len());
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        let hex = v["hex"].as_str().unwrap();
        let dir = v["direction"].as_str().unwrap();
        let malformed = v["status"] == "malformed";
        let (code, frames, stderr) = decode(&["--direction", dir, hex]);
        assert!(!stderr.contains("panicked"), "{id}: {stderr}");
        if v["kind"] == "stream" {
            // A captured stream: every frame printed; a cut-off tail is reported (exit 2).
            let items = v["expect"]["items"].as_array().unwrap();
            let want_frames = items.iter().filter(|i| i["type"] == "frame").count();
            let got_frames = frames.iter().filter(|f| f.get("command").is_some()).count();
            assert_eq!(got_frames, want_frames, "{id}: {frames:?}");
            let cut = items.iter().any(|i| i["type"] == "incomplete");
            assert_eq!(code, if cut { 2 } else { 0 }, "{id}: {stderr}");
            if cut {
                assert!(stderr.contains("incomplete frame"), "{id}: {stderr}");
            }
            continue;
        }
        if malformed {
            assert_eq!(code, 2, "{id} must be refused; printed {frames:?}");
            assert!(!stderr.trim().is_empty(), "{id}: no reason given");
            continue;
        }
        assert_eq!(code, 0, "{id}: {stderr}");
        let first = frames
            .first()
            .unwrap_or_else(|| panic!("{id}: nothing printed"));
        let frame = frames
            .iter()
            .find(|f| f.get("command").is_some())
            .unwrap_or(first);
        assert_eq!(frame["protocol"], v["protocol"], "{id}");
        if let Some(cmd) = v["expect"]["cmd"].as_str() {
            let got = frame["command"].as_str().unwrap();
            assert_eq!(
                u32::from_str_radix(got.trim_start_matches("0x"), 16).unwrap(),
                u32::from_str_radix(cmd.trim_start_matches("0x"), 16).unwrap(),
                "{id}"
            );
            assert_eq!(frame["direction"], dir, "{id}");
            assert_eq!(frame["checksum_ok"], true, "{id}");
        }
        if let Some(pid) = v["expect"]["physical_id"].as_str() {
            assert_eq!(frame["device_id"], pid, "{id}");
        }
    }
}

#[test]
fn spaced_hex_split_by_the_shell_is_one_frame() {
    let bytes = "44 4e 59 0a 00 3b 37 ab 04 b9 00 01 00 d0 02";
    let (code, frames, _) = decode(&bytes.split(' ').collect::<Vec<_>>());
    assert_eq!(code, 0);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0]["direction"], "down",
        "a 1-byte result only decodes as the answer"
    );
    let (code, quoted, _) = decode(&[bytes]);
    assert_eq!((code, &quoted), (0, &frames));
}

#[test]
fn a_bad_checksum_names_both_values() {
    let (code, frames, stderr) =
        decode(&["444e591d003b37ab04b900017e008c080200030000e40000003b0229070220006d06"]);
    assert_eq!(code, 2);
    assert!(frames.is_empty());
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("frame says 0x066d, computed 0x056d"),
        "{stderr}"
    );
    let (code, _, stderr) = decode(&["not-hex"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("not hex"), "{stderr}");
}
