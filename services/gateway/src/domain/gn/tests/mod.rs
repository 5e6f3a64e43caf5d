//! GN frames built from the codec's types, through a session: the events and answers
//! each one gives. `ends`: end reports; `starts`: cards and start answers; `ports`:
//! status reports, snapshots, socket liveness and parameters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ends;
mod ports;
mod starts;

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
    CardReplyContext, DeviceEvent, DeviceSession, DisconnectCause, EndReasonCode, Output,
    PortState, card_answer,
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
fn a_read_of_many_frames_is_decoded_one_frame_at_a_time() {
    let mut s = session();
    // Heartbeats with garbage between two of them, read at once.
    let mut data = Vec::new();
    for i in 0..100 {
        data.extend(bytes(HEARTBEAT));
        if i == 50 {
            data.extend_from_slice(b"noise");
        }
    }
    s.feed(&data).unwrap();
    let mut out = Vec::new();
    let (mut raws, mut malformed) = (0, 0);
    while s.next_outputs(t(1), &mut out).unwrap() {
        // One item's outputs: a heartbeat's raw frame and answer, or the skipped garbage.
        assert!(out.len() <= 4, "one item gave {} outputs", out.len());
        raws += out
            .iter()
            .filter(|o| matches!(o, Output::Raw { .. }))
            .count();
        malformed += out
            .iter()
            .filter(|o| matches!(o, Output::Malformed(_)))
            .count();
        out.clear();
    }
    assert_eq!((raws, malformed), (100, 1));
}
