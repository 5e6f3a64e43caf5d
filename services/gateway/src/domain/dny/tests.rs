//! DNY frames built from the codec's types, through a session: the events each one
//! gives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use codec_dny::{
    CardId, CardParams, CardSwipe, DeciVolts, Downlink, Frame, Heartbeat, MessageId, OrderNo,
    PhysicalId, Port, PortStatuses, RunParams2, StartStopAnswer, UpgradeAnswer, Uplink,
};

use super::{DnySession, SNAPSHOT_PERIOD};
use crate::domain::DeviceSession;
use crate::domain::{CardReplyContext, DeviceEvent, Output, PortState, card_answer};

const DEVICE: &str = "04ab373b";

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

fn uplink(msg_id: u16, message: Uplink) -> Bytes {
    Frame {
        physical_id: PhysicalId::new(0x04ab_373b),
        message_id: MessageId::new(msg_id),
        message,
    }
    .to_bytes()
    .unwrap()
}

fn heartbeat(codes: &[u8]) -> Uplink {
    Uplink::Heartbeat(Heartbeat {
        voltage: DeciVolts::new(2200),
        port_status: PortStatuses::new(Bytes::copy_from_slice(codes)),
        signal: 9,
        ..Default::default()
    })
}

fn send(s: &mut DnySession, msg_id: u16, message: Uplink, at: DateTime<Utc>) -> Vec<Output> {
    s.on_bytes(&uplink(msg_id, message), at).unwrap()
}

fn events(out: &[Output]) -> Vec<DeviceEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// A session that knows its device (a heartbeat with two idle ports at t(0)).
fn session() -> DnySession {
    let mut s = DnySession::new();
    send(&mut s, 1, heartbeat(&[0, 0]), t(0));
    s
}

fn order(n: u8) -> OrderNo {
    let mut b = [0u8; 16];
    b[15] = n;
    OrderNo::new(b)
}

fn start_answer(result: u8, n: u8) -> Uplink {
    Uplink::StartStopAnswer(StartStopAnswer {
        result,
        order_no: Some(order(n)),
        port: Some(Port::new(1)),
        waiting_ports: Some(0),
        extra: Bytes::new(),
    })
}

#[test]
fn a_successful_start_answer_is_a_start_once_and_its_stop_answer_is_not() {
    let mut s = session();
    let out = send(&mut s, 0x10, start_answer(0, 7), t(1));
    let [
        DeviceEvent::ChargingStarted {
            device,
            port,
            order_ref,
            business_no,
            at,
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(device.device_id, DEVICE);
    assert_eq!(*port, 2);
    // The same text as 0x06 meter samples and 0x03 settlements use.
    assert_eq!(order_ref, &order(7).to_string());
    assert_eq!((*business_no, *at), (0, t(1)));
    // The stop carries the running order: its answer is no second start.
    assert!(events(&send(&mut s, 0x11, start_answer(0, 7), t(2))).is_empty());
    // "Relay welded, started anyway" is a start too.
    assert_eq!(
        events(&send(&mut s, 0x12, start_answer(9, 8), t(3))).len(),
        1
    );
}

#[test]
fn refused_and_short_start_answers_say_nothing() {
    let mut s = session();
    for code in [1, 2, 3, 4, 5, 6, 0x0E] {
        assert!(events(&send(&mut s, 0x20, start_answer(code, 1), t(1))).is_empty());
    }
    // The 2-byte answer a real device sent (`01 01`) names no order.
    let short = Uplink::StartStopAnswer(StartStopAnswer {
        result: 0,
        extra: Bytes::from_static(&[1]),
        ..Default::default()
    });
    assert!(events(&send(&mut s, 0x21, short, t(1))).is_empty());
}

#[test]
fn parameter_answers_become_parameter_reports_without_card_keys() {
    let mut s = session();
    let out = send(
        &mut s,
        0x30,
        Uplink::RunParams2(RunParams2 {
            max_charge_time_s: 36_000,
            overload_power: codec_dny::DeciWatts::new(20_000),
            ..Default::default()
        }),
        t(1),
    );
    let [
        DeviceEvent::ParameterReport {
            device,
            parameters,
            at,
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!((device.device_id.as_str(), *at), (DEVICE, t(1)));
    assert_eq!(
        parameters.get("max_charge_time_s").map(String::as_str),
        Some("36000")
    );
    assert_eq!(
        parameters.get("overload_power_dw").map(String::as_str),
        Some("20000")
    );

    let out = send(
        &mut s,
        0x31,
        Uplink::CardParams(CardParams {
            sector: 2,
            user_key: [0x15, 0x91, 0x85, 0x19, 0x18, 0x80],
            new_card_key: [0xFF; 6],
            extra: Bytes::new(),
        }),
        t(2),
    );
    let [DeviceEvent::ParameterReport { parameters, .. }] = &events(&out)[..] else {
        panic!("{out:?}");
    };
    assert_eq!(parameters.get("sector").map(String::as_str), Some("2"));
    assert_eq!(parameters.len(), 1, "no keys on the bus: {parameters:?}");
}

#[test]
fn upgrade_answers_become_firmware_progress() {
    let mut s = session();
    let answer = UpgradeAnswer {
        result: 1,
        packet: Some(12),
        extra: Bytes::new(),
    };
    for message in [
        Uplink::UpgradeSubDeviceAnswer(answer.clone()),
        Uplink::UpgradeOldAnswer(answer.clone()),
        Uplink::HostUpgradeAnswer(answer.clone()),
    ] {
        let out = send(&mut s, 0x40, message, t(1));
        let [
            DeviceEvent::FirmwareProgress {
                packet,
                total,
                result,
                ..
            },
        ] = &events(&out)[..]
        else {
            panic!("{out:?}");
        };
        assert_eq!((*packet, *total, *result), (12, 0, 1));
    }
}

fn snapshots(out: &[Output]) -> Vec<(u32, PortState)> {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            DeviceEvent::PortStatus {
                port,
                state,
                snapshot: true,
                previous: None,
                ..
            } => Some((port, state)),
            _ => None,
        })
        .collect()
}

#[test]
fn tick_publishes_every_port_as_a_snapshot_at_most_every_period() {
    let mut fresh = DnySession::new();
    assert!(fresh.tick(t(10_000)).is_empty(), "no device yet");
    let mut s = session();
    // The first heartbeat published both ports.
    assert!(s.tick(t(60)).is_empty());
    send(&mut s, 2, heartbeat(&[1, 0]), t(100));
    let out = s.tick(t(0) + SNAPSHOT_PERIOD);
    assert_eq!(
        snapshots(&out),
        [(1, PortState::Charging), (2, PortState::Idle)]
    );
    let DeviceEvent::PortStatus { device, .. } = &events(&out)[0] else {
        unreachable!()
    };
    assert_eq!(device.device_id, DEVICE);
    assert!(
        s.tick(t(0) + SNAPSHOT_PERIOD + TimeDelta::seconds(60))
            .is_empty()
    );
    // A tick a little early by the wall clock (slewed) still publishes.
    assert_eq!(
        snapshots(&s.tick(t(0) + SNAPSHOT_PERIOD * 2 - TimeDelta::seconds(1))).len(),
        2
    );
}

#[test]
fn a_card_swipe_is_answered_through_the_generic_card_answer() {
    let mut s = session();
    let out = send(
        &mut s,
        0x50,
        Uplink::CardSwipe(CardSwipe {
            card_id: CardId::new([0x12, 0x34, 0x56, 0x78]),
            port: Port::new(0),
            ..Default::default()
        }),
        t(1),
    );
    let Some(Output::CardDecision(q)) = out.iter().find(|o| matches!(o, Output::CardDecision(_)))
    else {
        panic!("{out:?}");
    };
    assert!(matches!(q.reply, CardReplyContext::Dny { .. }));
    let answer = card_answer(&q.reply, 0, 1234).unwrap();
    let mut dec = codec_dny::StreamDecoder::new();
    dec.feed(&answer).unwrap();
    let Some(codec_dny::Item::Frame(raw)) = dec.decode_next().unwrap() else {
        panic!()
    };
    let frame = Frame::<Downlink>::from_raw(&raw).unwrap();
    assert_eq!(frame.message_id, MessageId::new(0x50));
    let Downlink::CardSwipeAnswer(a) = frame.message else {
        panic!("{frame:?}");
    };
    assert_eq!((a.account_status, a.balance_or_expiry), (0, 1234));
    assert_eq!(a.card_id, CardId::new([0x12, 0x34, 0x56, 0x78]));
}

#[test]
fn a_read_of_many_frames_is_decoded_one_frame_at_a_time() {
    let mut s = session();
    // A connection that fell behind reads a socket's worth of heartbeats at once.
    let frames: Vec<u8> = (0..200u16)
        .flat_map(|i| uplink(100 + i, heartbeat(&[0, 0])).to_vec())
        .collect();
    let all = DnySession::new().on_bytes(&frames, t(1)).unwrap();
    s.feed(&frames).unwrap();
    let mut out = Vec::new();
    let mut frames_seen = 0;
    while s.next_outputs(t(1), &mut out).unwrap() {
        // Only the frame just decoded: its raw frame, its heartbeat, its answer.
        assert!(out.len() <= 4, "one frame gave {} outputs", out.len());
        assert_eq!(
            out.iter()
                .filter(|o| matches!(o, Output::Raw { .. }))
                .count(),
            1
        );
        frames_seen += 1;
        out.clear();
    }
    assert_eq!(frames_seen, 200);
    // The same frames, all at once: the first also identifies the device.
    let raws = all
        .iter()
        .filter(|o| matches!(o, Output::Raw { .. }))
        .count();
    assert_eq!(raws, 200);
    assert!(!s.next_outputs(t(1), &mut out).unwrap() && out.is_empty());
}
