//! Raw frames: every frame a pile sends goes to `pylon.raw.<protocol>.<device>` as its
//! hex and the JSON `pylon decode` prints; nothing when `gateway.raw_frames` is off.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use crate::{Harness, hex, send};

const DNY_HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";

async fn next_raw(sub: &mut async_nats::Subscriber, ms: u64) -> Option<Value> {
    let msg = tokio::time::timeout(Duration::from_millis(ms), sub.next())
        .await
        .ok()??;
    Some(serde_json::from_slice(&msg.payload).expect("raw frame payload is JSON"))
}

#[tokio::test]
async fn a_dny_frame_is_published_raw_with_its_hex_and_decode() {
    let mut h = Harness::start_with(|c| c.gateway.raw_frames = true).await;
    let mut sub = h
        .nats
        .subscribe(h.ns.subject(&["raw", "dny", "04ab373b"]))
        .await
        .unwrap();
    let mut pile = h.connect().await;
    send(&mut pile, &hex(DNY_HEARTBEAT)).await;
    h.next_event("connected").await;
    let raw = next_raw(&mut sub, 5_000).await.expect("a raw frame");
    assert_eq!(raw["hex"], DNY_HEARTBEAT);
    let frame = &raw["frame"];
    assert_eq!(
        (&frame["protocol"], &frame["command"], &frame["device_id"]),
        (&"dny".into(), &"0x21".into(), &"04ab373b".into())
    );
    assert_eq!(frame["checksum_ok"], true);
    // The decoded heartbeat, in Pylon units, as `pylon decode` shows it.
    assert_eq!(
        frame,
        &codec_dny::describe_bytes(&hex(DNY_HEARTBEAT), codec_dny::Direction::Up).unwrap()
    );
    assert!(frame["fields"]["voltage_dv"].is_number(), "{frame}");
    h.stop().await;
}

#[tokio::test]
async fn raw_frames_off_publishes_none() {
    let mut h = Harness::start_with(|c| c.gateway.raw_frames = false).await;
    let mut sub = h.nats.subscribe(h.ns.subject(&["raw", ">"])).await.unwrap();
    let mut pile = h.connect().await;
    send(&mut pile, &hex(DNY_HEARTBEAT)).await;
    h.next_event("heartbeat").await;
    assert!(next_raw(&mut sub, 300).await.is_none());
    h.stop().await;
}
