use bytes::Bytes;
use codec_dny::{
    CardId, CardSwipe, ChargeRecord, Downlink, Frame, Message as _, MessageId, OrderNo, PhysicalId,
    Port, Settlement, Uplink, Wh,
};
use proto::events as pb;

use crate::{Harness, card_responder, hex, read_some, send};

const REGISTER: &str = "444e5913003b37ab04b900207e00021421000000e4009104";
const HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";
const TIME: &str = "444e5909003b37ab04b90022f002";
const DEVICE: &str = "04ab373b";

/// Decodes every answer frame in `bytes`.
fn answers(bytes: &[u8]) -> Vec<Frame<Downlink>> {
    let mut dec = codec_dny::StreamDecoder::new();
    dec.feed(bytes).unwrap();
    let mut out = Vec::new();
    while let Some(item) = dec.decode_next().unwrap() {
        if let codec_dny::Item::Frame(raw) = item {
            out.push(Frame::<Downlink>::from_raw(&raw).unwrap());
        }
    }
    out
}

fn uplink(msg_id: u16, message: Uplink) -> Bytes {
    Frame {
        physical_id: PhysicalId::new(0x04ab373b),
        message_id: MessageId::new(msg_id),
        message,
    }
    .to_bytes()
    .unwrap()
}

fn settlement(order: u8, energy_wh: u64, secs: u16) -> Uplink {
    let mut order_no = [0u8; 16];
    order_no[15] = order;
    Uplink::Settlement(Settlement {
        record: ChargeRecord {
            charge_duration_s: secs,
            energy: Wh::new(energy_wh),
            port: Port::new(1),
            stop_reason: 3,
            order_no: OrderNo::new(order_no),
            ..Default::default()
        },
        ..Default::default()
    })
}

#[tokio::test]
async fn a_pile_connects_registers_and_heartbeats() {
    let mut h = Harness::start().await;
    let mut pile = h.connect().await;
    // The modem's ICCID and a keepalive come first, then frames, split oddly.
    send(&mut pile, b"89860448161870064815link").await;
    let register = hex(REGISTER);
    send(&mut pile, &register[..5]).await;
    send(&mut pile, &register[5..]).await;
    send(&mut pile, &hex(HEARTBEAT)).await;
    send(&mut pile, &hex(TIME)).await;

    let got = answers(&read_some(&mut pile, 500).await);
    let cmds: Vec<(u8, u16)> = got
        .iter()
        .map(|f| (f.message.command(), f.message_id.get()))
        .collect();
    assert_eq!(
        cmds,
        [(0x20, 0xb9), (0x21, 1), (0x22, 0xb9)],
        "each frame answered with its message id"
    );
    let Downlink::Time(t) = &got[2].message else {
        panic!("{:?}", got[2])
    };
    let now = chrono::Utc::now().timestamp();
    assert!(
        (i64::from(t.timestamp.secs()) - now).abs() <= 2,
        "server time is now"
    );

    let (subject, c): (_, pb::DeviceConnected) = h.next("connected").await;
    assert_eq!(
        subject,
        h.ns.subject(&["device", "_", DEVICE, "connected"]),
        "unassigned tenant `_`"
    );
    assert_eq!(c.iccid, "89860448161870064815");
    assert_eq!(c.device.unwrap().device_id, DEVICE);
    assert!(c.remote_addr.starts_with("127.0.0.1:"));
    let (_, hb): (_, pb::DeviceHeartbeat) = h.next("heartbeat").await; // from register
    assert_eq!((hb.port_count, hb.firmware.as_str()), (2, "1.26"));
    let (_, hb): (_, pb::DeviceHeartbeat) = h.next("heartbeat").await;
    assert_eq!(hb.voltage_dv, 2200);
    for port in [1, 2] {
        let (_, ps): (_, pb::PortStatusChanged) = h.next("port_status").await;
        assert_eq!((ps.port, ps.state), (port, pb::PortState::Idle as i32));
    }
    // The live session is in the KV bucket.
    let js = async_nats::jetstream::new(h.nats.clone());
    let kv = js
        .get_key_value(h.ns.name("device_sessions"))
        .await
        .unwrap();
    let rec: serde_json::Value =
        serde_json::from_slice(&kv.get(DEVICE).await.unwrap().unwrap()).unwrap();
    assert_eq!(rec["protocol"], "dny");

    drop(pile);
    let (_, d): (_, pb::DeviceDisconnected) = h.next("disconnected").await;
    assert_eq!(d.reason, pb::DisconnectReason::Closed as i32);
    h.stop().await;
}

#[tokio::test]
async fn a_settlement_is_answered_always_and_published_once() {
    let mut h = Harness::start().await;
    let mut pile = h.connect().await;
    send(&mut pile, &uplink(7, settlement(1, 1230, 3600))).await;
    let got = answers(&read_some(&mut pile, 400).await);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].message.command(), got[0].message_id.get()),
        (0x03, 7)
    );

    let (_, e): (_, pb::ChargingEnded) = h.next("charging_ended").await;
    assert_eq!((e.port, e.energy_wh, e.duration_secs), (2, 1230, 3600));
    assert_eq!(e.reason, pb::EndReason::TimeLimit as i32);
    assert_eq!(e.raw_reason, 3);
    assert!(e.order_ref.ends_with("01"));

    // The pile did not get the answer and resends: answered again, not published again.
    send(&mut pile, &uplink(7, settlement(1, 1230, 3600))).await;
    assert_eq!(answers(&read_some(&mut pile, 400).await).len(), 1);
    h.none("charging_ended", 500).await;
    // A different order is a new settlement.
    send(&mut pile, &uplink(8, settlement(2, 10, 60))).await;
    let (_, e): (_, pb::ChargingEnded) = h.next("charging_ended").await;
    assert_eq!(e.energy_wh, 10);
    h.stop().await;
}

#[tokio::test]
async fn card_swipes_ask_charging_and_fall_back_to_refusal() {
    let mut h = Harness::start().await;
    let swipe = |id: u16| {
        uplink(
            id,
            Uplink::CardSwipe(CardSwipe {
                card_id: CardId::new([0x12, 0x34, 0x56, 0x78]),
                port: Port::new(0),
                ..Default::default()
            }),
        )
    };
    let mut pile = h.connect().await;
    // Nobody answers: the pile gets "unregistered card" within the decision timeout.
    send(&mut pile, &swipe(1)).await;
    let got = answers(&read_some(&mut pile, 1000).await);
    let Downlink::CardSwipeAnswer(a) = &got[0].message else {
        panic!("{got:?}")
    };
    assert_eq!(a.account_status, 1);
    let (_, c): (_, pb::CardSwiped) = h.next("card_swiped").await;
    assert_eq!((c.port, c.card_no.as_str()), (1, "12345678"));

    // Charging answers: the pile gets the decision and the balance.
    card_responder(&h.nats, &h.ns, 0, 5001).await;
    send(&mut pile, &swipe(2)).await;
    let got = answers(&read_some(&mut pile, 1000).await);
    let Downlink::CardSwipeAnswer(a) = &got[0].message else {
        panic!("{got:?}")
    };
    assert_eq!(
        (
            a.account_status,
            a.balance_or_expiry,
            got[0].message_id.get()
        ),
        (0, 5001, 2)
    );
    h.stop().await;
}

#[tokio::test]
async fn garbage_and_bad_frames_do_not_stop_a_pile() {
    let mut h = Harness::start().await;
    let mut pile = h.connect().await;
    send(&mut pile, &hex(REGISTER)).await;
    let mut bad = hex(HEARTBEAT);
    let last = bad.len() - 1;
    bad[last] ^= 0xff; // checksum broken
    send(&mut pile, &bad).await;
    send(&mut pile, b"\x00\x01garbage\xff").await;
    send(&mut pile, &hex(TIME)).await;
    let got = answers(&read_some(&mut pile, 500).await);
    let cmds: Vec<u8> = got.iter().map(|f| f.message.command()).collect();
    assert_eq!(
        cmds,
        [0x20, 0x22],
        "the broken heartbeat is not answered; the rest is"
    );
    h.next_event("connected").await;
    h.stop().await;
}

#[test]
fn frames_encode_as_the_fact_sheet_says() {
    // Guards the test helpers themselves: the uplink helper must produce the vector bytes.
    let f = Frame::<Uplink>::decode(&hex(TIME)).unwrap();
    assert_eq!(uplink(0xb9, f.message).as_ref(), hex(TIME).as_slice());
}
