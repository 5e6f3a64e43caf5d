//! Start confirmations from piles' answers, through the real gateway: DNY 0x82 and GN
//! 0x0015/0x07 answers become `charging_started` once per order.

use bytes::Bytes;
use codec_dny::{Frame, MessageId, OrderNo, PhysicalId, Port, StartStopAnswer, Uplink};
use codec_gn::codes::{RawBytes, ResultCode};
use codec_gn::msg::socket_up::{ControlAnswer, SocketUp};
use codec_gn::{BusinessNo, Direction, GatewayId, Message, Packet, PortNo, SocketNo};
use proto::events as pb;

use crate::{Harness, hex, read_some, send};

const DNY_HEARTBEAT: &str = "444e5910003b37ab0401002198080200000905ee02";
const GN_HEARTBEAT: &str = "fcfe002e000000000000018224121800038238393836303835353130323444313938383139363230302e312e31371152fcee";

fn dny_start_answer(msg_id: u16, order: &OrderNo) -> Bytes {
    Frame {
        physical_id: PhysicalId::new(0x04ab_373b),
        message_id: MessageId::new(msg_id),
        message: Uplink::StartStopAnswer(StartStopAnswer {
            result: 0,
            order_no: Some(*order),
            port: Some(Port::new(0)),
            waiting_ports: Some(0),
            extra: Bytes::new(),
        }),
    }
    .to_bytes()
    .unwrap()
}

#[tokio::test]
async fn a_dny_start_answer_is_published_as_charging_started_once() {
    let mut h = Harness::start().await;
    let mut pile = h.connect().await;
    send(&mut pile, &hex(DNY_HEARTBEAT)).await;
    h.next_event("connected").await;
    let order: OrderNo = "0102030405060708090a0b0c0d0e0f10".parse().unwrap();
    send(&mut pile, &dny_start_answer(0x1234, &order)).await;
    let (subject, s): (_, pb::ChargingStarted) = h.next("charging_started").await;
    assert_eq!(
        subject,
        h.ns.subject(&["device", "_", "04ab373b", "charging_started"])
    );
    assert_eq!(
        (s.port, s.order_ref.as_str()),
        (1, "0102030405060708090a0b0c0d0e0f10")
    );
    // The stop answer names the same order: no second start.
    send(&mut pile, &dny_start_answer(0x1235, &order)).await;
    h.none("charging_started", 500).await;
    h.stop().await;
}

#[tokio::test]
async fn a_gn_control_answer_is_published_as_charging_started() {
    let mut h = Harness::start().await;
    let mut gw = h.connect().await;
    send(&mut gw, &hex(GN_HEARTBEAT)).await;
    read_some(&mut gw, 200).await;
    let gateway: GatewayId = "82241218000382".parse().unwrap();
    let answer = Packet::new(
        Direction::Up,
        0x001c_9c2b,
        gateway,
        Message::SocketUp(SocketUp::ControlAnswer(ControlAnswer {
            result: ResultCode::OK,
            socket: SocketNo(2),
            port: PortNo(1),
            business_no: BusinessNo(0x0105),
            extra: RawBytes::default(),
        })),
    )
    .encode()
    .unwrap();
    send(&mut gw, &answer).await;
    let (subject, s): (_, pb::ChargingStarted) = h.next("charging_started").await;
    assert_eq!(
        subject,
        h.ns.subject(&["device", "_", "82241218000382-2", "charging_started"])
    );
    assert_eq!(
        (s.port, s.business_no, s.order_ref.as_str()),
        (2, 0x0105, "261")
    );
    assert_eq!(s.device.unwrap().gateway_id, "82241218000382");
    h.stop().await;
}
