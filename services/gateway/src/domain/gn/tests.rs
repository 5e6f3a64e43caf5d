//! GN frames built from the codec's types, through a session: the events and answers
//! each one gives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, TimeDelta, Utc};
use codec_gn::bkv::{
    BkvBody, BkvPacket, ChargeEnded as BkvEnded, ParamsAnswer, PortCluster, SocketCluster,
    StartStopAnswer, StatusReport,
};
use codec_gn::codes::{BillingMode, PortStatus, RawBytes, ResultCode, SocketFirmware, Switch};
use codec_gn::msg::socket_common::{EndReport, PortReport};
use codec_gn::msg::socket_down::SocketDown;
use codec_gn::msg::socket_up::{
    BalanceQuery, CardChargeEnded, CardSwiped, ChargeEnded, ControlAnswer, OrderAccepted,
    PowerBracketEnded, SocketUp, StatusAnswer,
};
use codec_gn::units::{Celsius, DeciVolts, DeciWatts, Fen, MilliAmps, Seconds, UnixTime, Wh};
use codec_gn::{BusinessNo, CardNo, Direction, GatewayId, Message, Packet, PortNo, SocketNo};

use super::{GnSession, OWN_SEQUENCE_BASE, SNAPSHOT_PERIOD, SOCKET_OFFLINE_AFTER};
use crate::domain::{
    CardReplyContext, DeviceEvent, DisconnectCause, EndReasonCode, Output, PortState, card_answer,
};

const GATEWAY: &str = "82241218000382";
/// A captured heartbeat of gateway 82241218000382.
const HEARTBEAT: &str = "fcfe002e000000000000018224121800038238393836303835353130323444313938383139363230302e312e31371152fcee";

fn gw() -> GatewayId {
    GATEWAY.parse().unwrap()
}

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

fn bytes(hex: &str) -> Vec<u8> {
    codec_gn::hex::decode_vec(hex).unwrap()
}

/// A session that has seen the gateway's heartbeat.
fn session() -> GnSession {
    let mut s = GnSession::new();
    s.on_bytes(&bytes(HEARTBEAT), t(0)).unwrap();
    s
}

fn send(s: &mut GnSession, sequence: u32, message: Message, at: DateTime<Utc>) -> Vec<Output> {
    let frame = Packet::new(Direction::Up, sequence, gw(), message)
        .encode()
        .unwrap();
    s.on_bytes(&frame, at).unwrap()
}

fn socket_up(s: &mut GnSession, sequence: u32, m: SocketUp, at: DateTime<Utc>) -> Vec<Output> {
    send(s, sequence, Message::SocketUp(m), at)
}

fn bkv(s: &mut GnSession, body: BkvBody, at: DateTime<Utc>) -> Vec<Output> {
    send(s, 0, Message::Bkv(BkvPacket::new(0, gw(), body)), at)
}

fn events(out: &[Output]) -> Vec<DeviceEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn answers(out: &[Output]) -> Vec<Packet> {
    out.iter()
        .filter_map(|o| match o {
            Output::Answer(b) => Some(Packet::decode(b).unwrap()),
            _ => None,
        })
        .collect()
}

fn kinds(out: &[Output]) -> Vec<&'static str> {
    events(out).iter().map(DeviceEvent::kind).collect()
}

fn end_report(socket: u8, port: u8, status: u8, business: u16) -> EndReport {
    EndReport {
        socket: SocketNo(socket),
        firmware: SocketFirmware(0x5136),
        temperature: Celsius::new(45),
        rssi: 32,
        port: PortNo(port),
        status: PortStatus(status),
        business_no: BusinessNo(business),
        power: DeciWatts::new(1200),
        current: MilliAmps::new(550),
        energy: Wh::new(80),
        charge_duration: Seconds::from_minutes(45),
    }
}

/// The 0x0C acknowledgement `00 02 0C <socket> 01` with sequence 0.
fn assert_end_ack(out: &[Output], socket: u8) {
    let acks = answers(out);
    assert_eq!(acks.len(), 1, "{out:?}");
    assert_eq!(acks[0].sequence, 0);
    let Message::SocketDown(SocketDown::EndAck(a)) = &acks[0].message else {
        panic!("{:?}", acks[0]);
    };
    assert_eq!((a.socket, a.result), (SocketNo(socket), ResultCode::OK));
    let frame = acks[0].encode().unwrap();
    // inner length 2, sub 0x0C, socket, 01
    assert_eq!(&frame[18..23], &[0x00, 0x02, 0x0C, socket, 0x01]);
}

fn ended(out: &[Output]) -> Vec<DeviceEvent> {
    events(out)
        .into_iter()
        .filter(|e| matches!(e, DeviceEvent::ChargingEnded { .. }))
        .collect()
}

#[test]
fn a_time_or_energy_end_is_acknowledged_always_and_published_once() {
    let mut s = session();
    let m = SocketUp::ChargeEnded(ChargeEnded {
        report: end_report(3, 1, 0x98, 0x33),
        extra: RawBytes::default(),
    });
    let out = socket_up(&mut s, 0, m.clone(), t(10));
    assert_end_ack(&out, 3);
    let e = ended(&out);
    assert_eq!(e.len(), 1);
    let DeviceEvent::ChargingEnded {
        device,
        port,
        order_ref,
        business_no,
        reason,
        raw_reason,
        energy_wh,
        duration_secs,
        settle_power_dw,
        at,
        ..
    } = &e[0]
    else {
        unreachable!()
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-3"));
    assert_eq!(device.gateway_id.as_deref(), Some(GATEWAY));
    assert_eq!((*port, order_ref.as_str(), *business_no), (2, "51", 0x33));
    // 0x98: the document's "no-load end"; 0x02 carries no reason code.
    assert_eq!((*reason, *raw_reason), (EndReasonCode::NoLoad, 0));
    assert_eq!((*energy_wh, *duration_secs), (80, 45 * 60));
    assert_eq!(*settle_power_dw, 1200);
    assert_eq!(*at, t(10));

    // The gateway resends until acknowledged: answered again, published once.
    let again = socket_up(&mut s, 0, m, t(21));
    assert_end_ack(&again, 3);
    assert!(ended(&again).is_empty());
}

#[test]
fn a_timed_end_without_the_no_load_bit_keeps_reason_other() {
    let mut s = session();
    let out = socket_up(
        &mut s,
        0,
        SocketUp::ChargeEnded(ChargeEnded {
            report: end_report(1, 0, 0xB0, 7),
            extra: RawBytes::default(),
        }),
        t(5),
    );
    let [DeviceEvent::ChargingEnded { reason, port, .. }] = ended(&out)[..] else {
        panic!("{out:?}");
    };
    assert_eq!((reason, port), (EndReasonCode::Other, 1));
}

#[test]
fn a_power_bracket_end_carries_amount_settle_power_reason_and_end_time() {
    let mut s = session();
    let end_time = UnixTime::new(1_591_597_267); // 2020-06-08 14:21:07 +08:00
    let m = SocketUp::PowerBracketEnded(PowerBracketEnded {
        report: end_report(1, 0, 0x98, 0x17),
        end_time,
        end_reason: 2,
        amount: Fen::new(15),
        settle_power: DeciWatts::new(3000),
        bracket_durations: vec![Seconds::from_minutes(36)],
        extra: RawBytes::default(),
    });
    let out = socket_up(&mut s, 0, m.clone(), t(30));
    assert_end_ack(&out, 1);
    let [
        DeviceEvent::ChargingEnded {
            raw_reason,
            reason,
            amount_fen,
            settle_power_dw,
            at,
            business_no,
            ..
        },
    ] = &ended(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!((*raw_reason, *reason), (2, EndReasonCode::NoLoad));
    assert_eq!((*amount_fen, *settle_power_dw), (15, 3000));
    assert_eq!(at.timestamp(), end_time.get());
    assert_eq!(*business_no, 0x17);
    let again = socket_up(&mut s, 0, m, t(41));
    assert_end_ack(&again, 1);
    assert!(ended(&again).is_empty());
}

#[test]
fn a_card_end_carries_the_card_and_amount() {
    let mut s = session();
    let m = SocketUp::CardChargeEnded(CardChargeEnded {
        report: end_report(2, 0, 0x98, 0x1A),
        card: CardNo::from_bytes([0, 0, 0, 0x29, 0x83, 0x52]),
        card_type: 0,
        billing_mode: BillingMode::TIME,
        amount: Fen::new(120),
        settle_power: DeciWatts::new(0),
        bracket_durations: vec![],
        extra: RawBytes::default(),
    });
    let out = socket_up(&mut s, 0, m.clone(), t(3));
    assert_end_ack(&out, 2);
    let [
        DeviceEvent::ChargingEnded {
            card_no,
            amount_fen,
            order_ref,
            ..
        },
    ] = &ended(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!((card_no.as_str(), *amount_fen), ("000000298352", 120));
    assert_eq!(order_ref, "26");
    assert!(ended(&socket_up(&mut s, 0, m, t(14))).is_empty());
}

#[test]
fn a_new_business_number_on_the_port_is_a_new_end() {
    let mut s = session();
    for business in [5, 6] {
        let out = socket_up(
            &mut s,
            0,
            SocketUp::ChargeEnded(ChargeEnded {
                report: end_report(1, 0, 0x98, business),
                extra: RawBytes::default(),
            }),
            t(1),
        );
        assert_eq!(ended(&out).len(), 1);
    }
}

#[test]
fn a_card_swipe_asks_for_a_decision_and_the_order_echo_confirms_the_start() {
    let mut s = session();
    let card = CardNo::from_bytes([0, 0, 0x1A, 0x90, 0, 0]);
    let out = socket_up(
        &mut s,
        0,
        SocketUp::CardSwiped(CardSwiped {
            socket: SocketNo(1),
            port: PortNo(1),
            business_no: BusinessNo(0x1A),
            status: PortStatus(0x80),
            card,
            offline_params: RawBytes(bytes::Bytes::from_static(&[0; 20])),
            extra: RawBytes::default(),
        }),
        t(1),
    );
    assert!(answers(&out).is_empty(), "the order waits for the decision");
    let [
        DeviceEvent::CardSwiped {
            device,
            port,
            card_no,
            business_no,
            ..
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-1"));
    assert_eq!(
        (*port, card_no.as_str(), *business_no),
        (2, "00001a900000", 0x1A)
    );
    let q = out
        .iter()
        .find_map(|o| match o {
            Output::CardDecision(q) => Some(q.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!((q.port, q.card_no.as_str()), (2, "00001a900000"));
    let CardReplyContext::Gn {
        sequence,
        business_no,
        ..
    } = q.reply
    else {
        panic!("{q:?}");
    };
    assert_eq!(business_no, Some(0x1A));
    assert!(sequence & OWN_SEQUENCE_BASE == OWN_SEQUENCE_BASE);

    // Accepted: the order switches the port on, by time, no limit of ours, with the
    // fresh sequence; it echoes the swipe's business number.
    let order = Packet::decode(&card_answer(&q.reply, 0, 5001).unwrap()).unwrap();
    assert_eq!(
        (order.direction, order.sequence),
        (Direction::Down, sequence)
    );
    assert_eq!(order.gateway_id, gw());
    let Message::SocketDown(SocketDown::CardOrder(o)) = &order.message else {
        panic!("{order:?}");
    };
    assert_eq!(
        (o.socket, o.port, o.business_no),
        (SocketNo(1), PortNo(1), BusinessNo(0x1A))
    );
    assert_eq!(
        (o.switch, o.mode, o.duration_raw),
        (Switch::ON, BillingMode::TIME, 0)
    );

    // The socket accepts: 0x0F echoes the order's sequence.
    let accepted = SocketUp::OrderAccepted(OrderAccepted {
        socket: SocketNo(1),
        port: PortNo(1),
        result: ResultCode::OK,
        extra: RawBytes::default(),
    });
    let out = socket_up(&mut s, sequence, accepted.clone(), t(2));
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
    assert_eq!(device.device_id, format!("{GATEWAY}-1"));
    assert_eq!((*port, order_ref.as_str(), *business_no), (2, "26", 0x1A));
    assert_eq!(*at, t(2));
    // A repeated echo is no second start.
    assert!(events(&socket_up(&mut s, sequence, accepted, t(3))).is_empty());
}

#[test]
fn a_refused_card_gets_a_switch_off_order_whose_echo_starts_nothing() {
    let mut s = session();
    let out = socket_up(
        &mut s,
        0,
        SocketUp::CardSwiped(CardSwiped {
            socket: SocketNo(4),
            port: PortNo(0),
            business_no: BusinessNo(9),
            status: PortStatus(0x80),
            card: CardNo::from_bytes([1, 2, 3, 4, 5, 6]),
            offline_params: RawBytes(bytes::Bytes::from_static(&[0; 20])),
            extra: RawBytes::default(),
        }),
        t(1),
    );
    let Some(Output::CardDecision(q)) = out.iter().find(|o| matches!(o, Output::CardDecision(_)))
    else {
        panic!("{out:?}");
    };
    let order = Packet::decode(&card_answer(&q.reply, 6, 0).unwrap()).unwrap();
    assert_eq!(order.sequence, 0, "a refusal answers the report");
    let Message::SocketDown(SocketDown::CardOrder(o)) = &order.message else {
        panic!("{order:?}");
    };
    assert_eq!((o.switch, o.business_no), (Switch::OFF, BusinessNo(9)));
    let echo = SocketUp::OrderAccepted(OrderAccepted {
        socket: SocketNo(4),
        port: PortNo(0),
        result: ResultCode::OK,
        extra: RawBytes::default(),
    });
    assert!(events(&socket_up(&mut s, 0, echo, t(2))).is_empty());
}

#[test]
fn a_balance_query_asks_for_a_balance_answered_with_a_fresh_sequence() {
    let mut s = session();
    let card = CardNo::from_bytes([0, 0, 0x29, 0x83, 0x52, 0]);
    let out = socket_up(
        &mut s,
        0,
        SocketUp::BalanceQuery(BalanceQuery {
            socket: SocketNo(2),
            port: PortNo(1),
            card,
            extra: RawBytes::default(),
        }),
        t(1),
    );
    assert!(events(&out).is_empty());
    let Some(Output::CardDecision(q)) = out.iter().find(|o| matches!(o, Output::CardDecision(_)))
    else {
        panic!("{out:?}");
    };
    assert_eq!(q.port, 0, "a balance only");
    assert_eq!(q.device.device_id, format!("{GATEWAY}-2"));
    let answer = Packet::decode(&card_answer(&q.reply, 0, 5001).unwrap()).unwrap();
    assert_ne!(answer.sequence, 0);
    let Message::SocketDown(SocketDown::BalanceAnswer(b)) = &answer.message else {
        panic!("{answer:?}");
    };
    assert_eq!((b.socket, b.port, b.card), (SocketNo(2), PortNo(1), card));
    assert_eq!(b.balance, Fen::new(5001));

    // Every originated frame gets its own sequence.
    let out = socket_up(
        &mut s,
        0,
        SocketUp::BalanceQuery(BalanceQuery {
            socket: SocketNo(2),
            port: PortNo(1),
            card,
            extra: RawBytes::default(),
        }),
        t(2),
    );
    let Some(Output::CardDecision(q2)) = out.iter().find(|o| matches!(o, Output::CardDecision(_)))
    else {
        panic!("{out:?}");
    };
    let (CardReplyContext::Gn { sequence: a, .. }, CardReplyContext::Gn { sequence: b, .. }) =
        (&q.reply, &q2.reply)
    else {
        panic!()
    };
    assert_ne!(a, b);
}

fn control_answer(result: ResultCode, business: u16) -> SocketUp {
    SocketUp::ControlAnswer(ControlAnswer {
        result,
        socket: SocketNo(1),
        port: PortNo(0),
        business_no: BusinessNo(business),
        extra: RawBytes::default(),
    })
}

#[test]
fn a_control_answer_with_a_new_business_number_is_a_start_and_its_stop_answer_is_not() {
    let mut s = session();
    let out = socket_up(&mut s, 0x1C9A51, control_answer(ResultCode::OK, 0x21), t(1));
    let [
        DeviceEvent::ChargingStarted {
            port,
            order_ref,
            business_no,
            ..
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!((*port, order_ref.as_str(), *business_no), (1, "33", 0x21));
    // The stop answer names the running business number.
    assert!(
        events(&socket_up(
            &mut s,
            0x1C9A52,
            control_answer(ResultCode::OK, 0x21),
            t(2)
        ))
        .is_empty()
    );
    // A failed start says nothing; a later start with a new number does.
    assert!(
        events(&socket_up(
            &mut s,
            0x1C9A53,
            control_answer(ResultCode::FAIL, 0),
            t(3)
        ))
        .is_empty()
    );
    assert_eq!(
        kinds(&socket_up(
            &mut s,
            0x1C9A54,
            control_answer(ResultCode::OK, 0x22),
            t(4)
        )),
        ["charging_started"]
    );
}

#[test]
fn a_stop_answer_after_the_end_report_is_no_start() {
    let mut s = session();
    socket_up(
        &mut s,
        0,
        SocketUp::ChargeEnded(ChargeEnded {
            report: end_report(1, 0, 0x98, 0x40),
            extra: RawBytes::default(),
        }),
        t(1),
    );
    assert!(
        events(&socket_up(
            &mut s,
            7,
            control_answer(ResultCode::OK, 0x40),
            t(2)
        ))
        .is_empty()
    );
}

#[test]
fn a_fee_mode_start_answer_is_a_start() {
    let mut s = session();
    let answer = |ack| {
        BkvBody::StartStopAnswer(StartStopAnswer {
            socket: Some(SocketNo(1)),
            port: Some(PortNo(1)),
            ack: Some(ack),
            business_no: Some(BusinessNo(0x0102)),
            ..Default::default()
        })
    };
    let out = bkv(&mut s, answer(ResultCode::OK), t(1));
    let [
        DeviceEvent::ChargingStarted {
            port, business_no, ..
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!((*port, *business_no), (2, 0x0102));
    assert!(events(&bkv(&mut s, answer(ResultCode::OK), t(2))).is_empty());
}

#[test]
fn a_fee_mode_end_is_published_once_with_fees_and_raw_reason() {
    let mut s = session();
    let body = BkvBody::ChargeEnded(BkvEnded {
        socket: Some(SocketNo(1)),
        port: Some(PortNo(0)),
        status: Some(PortStatus(0x98)),
        business_no: Some(BusinessNo(0x33)),
        energy: Some(Wh::new(80)),
        charge_duration: Some(Seconds::from_minutes(1)),
        end_reason: Some(8),
        electricity_fee: Some(Fen::new(30)),
        service_fee: Some(Fen::new(20)),
        ..Default::default()
    });
    let out = bkv(&mut s, body.clone(), t(1));
    assert_eq!(answers(&out).len(), 1, "BKV 0x1004 ack");
    let [
        DeviceEvent::ChargingEnded {
            amount_fen,
            raw_reason,
            reason,
            duration_secs,
            ..
        },
    ] = &ended(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(
        (*amount_fen, *raw_reason, *reason),
        (50, 8, EndReasonCode::NoLoad)
    );
    assert_eq!(*duration_secs, 60);
    assert!(ended(&bkv(&mut s, body, t(2))).is_empty());
}

/// (wire port, status byte, business number)
type PortRow = (u8, u8, u16);

fn cluster(sockets: &[(u8, &[PortRow])]) -> BkvBody {
    BkvBody::StatusReport(StatusReport {
        sockets: sockets
            .iter()
            .map(|(no, ports)| SocketCluster {
                socket: Some(SocketNo(*no)),
                firmware: Some(SocketFirmware(0xFFFF)),
                temperature: Some(Celsius::new(29)),
                rssi: Some(30),
                ports: ports
                    .iter()
                    .map(|&(port, status, business)| PortCluster {
                        port: Some(PortNo(port)),
                        status: Some(PortStatus(status)),
                        business_no: Some(BusinessNo(business)),
                        voltage: Some(DeciVolts::new(2297)),
                        power: Some(DeciWatts::new(400)),
                        current: Some(MilliAmps::new(42)),
                        energy: Some(Wh::new(12)),
                        charge_duration: Some(Seconds::from_minutes(3)),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

#[test]
fn a_socket_first_seen_in_a_status_report_connects() {
    let mut s = session();
    let out = bkv(&mut s, cluster(&[(1, &[(0, 0x90, 9), (1, 0x80, 0)])]), t(1));
    assert_eq!(
        kinds(&out),
        [
            "connected",
            "heartbeat",
            "port_status",
            "meter",
            "port_status"
        ]
    );
    let ev = events(&out);
    let DeviceEvent::Connected { device, .. } = &ev[0] else {
        unreachable!()
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-1"));
    let DeviceEvent::PortStatus { state, port, .. } = &ev[2] else {
        unreachable!()
    };
    assert_eq!((*state, *port), (PortState::Charging, 1));
    // Seen again: no second `connected`, no unchanged ports.
    let again = bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9), (1, 0x80, 0)])]),
        t(60),
    );
    assert_eq!(kinds(&again), ["heartbeat", "meter"]);
}

#[test]
fn a_status_answer_is_handled_like_a_status_cluster() {
    let mut s = session();
    let answer = |status| {
        SocketUp::StatusAnswer(StatusAnswer {
            socket: SocketNo(5),
            firmware: SocketFirmware(0x0102),
            temperature: Celsius::new(31),
            rssi: 20,
            ports: vec![PortReport {
                port: PortNo(0),
                status: PortStatus(status),
                business_no: BusinessNo(if status == 0x90 { 3 } else { 0 }),
                voltage: DeciVolts::new(2200),
                power: DeciWatts::new(1000),
                current: MilliAmps::new(450),
                energy: Wh::new(5),
                charge_duration: Seconds::from_minutes(2),
            }],
            extra: RawBytes::default(),
        })
    };
    let out = socket_up(&mut s, 0x1C91EE, answer(0x80), t(1));
    assert_eq!(kinds(&out), ["connected", "heartbeat", "port_status"]);
    let out = socket_up(&mut s, 0x1C91EF, answer(0x90), t(2));
    assert_eq!(kinds(&out), ["heartbeat", "port_status", "meter"]);
    let ev = events(&out);
    let DeviceEvent::Meter {
        device,
        order_ref,
        power_dw,
        energy_wh,
        elapsed_secs,
        ..
    } = &ev[2]
    else {
        unreachable!()
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-5"));
    assert_eq!(
        (order_ref.as_str(), *power_dw, *energy_wh, *elapsed_secs),
        ("3", 1000, 5, 120)
    );
    let DeviceEvent::PortStatus { previous, .. } = &ev[1] else {
        unreachable!()
    };
    assert_eq!(*previous, Some(PortState::Idle));
}

fn snapshots(out: &[Output]) -> Vec<(String, u32, PortState)> {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            DeviceEvent::PortStatus {
                device,
                port,
                state,
                snapshot: true,
                ..
            } => Some((device.device_id, port, state)),
            _ => None,
        })
        .collect()
}

#[test]
fn tick_publishes_every_port_as_a_snapshot_at_most_every_period() {
    let mut s = session();
    assert!(s.tick(t(1000)).is_empty(), "no ports known yet");
    bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9), (1, 0x80, 0)]), (2, &[(0, 0x80, 0)])]),
        t(0),
    );
    // The first report published every port: nothing due one minute later.
    assert!(s.tick(t(60)).is_empty());
    let out = s.tick(t(0) + SNAPSHOT_PERIOD);
    let one = format!("{GATEWAY}-1");
    let two = format!("{GATEWAY}-2");
    assert_eq!(
        snapshots(&out),
        [
            (one.clone(), 1, PortState::Charging),
            (one, 2, PortState::Idle),
            (two, 1, PortState::Idle),
        ]
    );
    assert!(
        s.tick(t(0) + SNAPSHOT_PERIOD + TimeDelta::seconds(60))
            .is_empty()
    );
    assert_eq!(snapshots(&s.tick(t(0) + SNAPSHOT_PERIOD * 2)).len(), 3);
}

#[test]
fn a_socket_missing_from_status_reports_goes_offline_and_comes_back() {
    let mut s = session();
    bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9)]), (2, &[(0, 0x80, 0)])]),
        t(0),
    );
    // Socket 2 keeps reporting, socket 1 falls silent.
    let mut last = t(0);
    for minute in [5, 10, 14] {
        last = t(minute * 60);
        bkv(&mut s, cluster(&[(2, &[(0, 0x80, 0)])]), last);
        let out = s.tick(last);
        assert!(
            !kinds(&out).contains(&"disconnected"),
            "minute {minute}: {out:?}"
        );
    }
    let now = t(0) + SOCKET_OFFLINE_AFTER;
    let out = s.tick(now);
    let ev: Vec<_> = events(&out)
        .into_iter()
        .filter(|e| !matches!(e, DeviceEvent::PortStatus { snapshot: true, .. }))
        .collect();
    let [
        DeviceEvent::Disconnected {
            device,
            reason,
            connected_secs,
            at,
            ..
        },
        DeviceEvent::PortStatus {
            device: pd,
            port,
            state,
            previous,
            raw_status,
            snapshot: false,
            ..
        },
    ] = &ev[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-1"));
    assert_eq!(*reason, DisconnectCause::IdleTimeout);
    assert_eq!(*connected_secs, 15 * 60);
    assert_eq!(*at, now);
    assert_eq!(pd, device);
    assert_eq!(*port, 1);
    assert_eq!(
        (*state, *previous),
        (PortState::Offline, Some(PortState::Charging))
    );
    assert_eq!(*raw_status, 0x10);
    assert!(last < now);
    // Snapshots say the port is offline; no second disconnect.
    let later = s.tick(now + SNAPSHOT_PERIOD);
    assert!(!kinds(&later).contains(&"disconnected"));
    assert!(
        snapshots(&later).contains(&(format!("{GATEWAY}-1"), 1, PortState::Offline)),
        "{later:?}"
    );
    // It reports again: connected, and its port is a change again.
    let back = bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x80, 0)])]),
        now + TimeDelta::minutes(20),
    );
    assert_eq!(kinds(&back), ["connected", "heartbeat", "port_status"]);
}

#[test]
fn parameter_answers_become_parameter_reports() {
    let mut s = session();
    let out = bkv(
        &mut s,
        BkvBody::ParamsAnswer(ParamsAnswer {
            socket: Some(SocketNo(3)),
            ack: Some(ResultCode::OK),
            max_charge_duration: Some(Seconds::from_minutes(600)),
            power_limit: Some(DeciWatts::new(7000)),
            ..Default::default()
        }),
        t(1),
    );
    let [
        DeviceEvent::ParameterReport {
            device, parameters, ..
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-3"));
    assert_eq!(
        parameters.get("max_charge_duration_s").map(String::as_str),
        Some("36000")
    );
    assert_eq!(
        parameters.get("power_limit_dw").map(String::as_str),
        Some("7000")
    );
    assert!(!parameters.contains_key("socket") && !parameters.contains_key("ack"));
}
