//! The server's acknowledgements of device reports, built from the report so
//! that sequence, gateway and socket/port are echoed as the examples show.
//!
//! | Report | Acknowledgement |
//! |---|---|
//! | 0x0000 heartbeat | [`heartbeat_reply`] (needs the server's clock) |
//! | BKV 0x1017 status cluster | BKV 0x1017 + `0x0F = 01` |
//! | BKV 0x1004 charging ended | BKV 0x1004 + `0x0F = 01, 0x4A, 0x08` |
//! | BKV 0x1010 event | BKV 0x1010 + `0x4A, 0x0F = 01` |
//! | 0x0015/0x0C card charging ended | 0x0015/0x0C ↓ `socket, 01` |
//! | 0x0015/0x02 charging ended | the same 0x0C form (captured: it stops the resends) |
//! | 0x0015/0x18 power-bracket charging ended | the same 0x0C form (by analogy with 0x02: the document omits it) |

use crate::bkv::{BkvBody, BkvPacket, ChargeEndedAck, EventAck, StatusReportAck};
use crate::codes::{RawBytes, ResultCode};
use crate::frame::Direction;
use crate::ids::GatewayId;
use crate::msg::Message;
use crate::msg::gateway::HeartbeatReply;
use crate::msg::socket_down::{EndAck, SocketDown};
use crate::msg::socket_up::SocketUp;
use crate::packet::Packet;
use crate::units::UnixTime;

/// The heartbeat reply carrying the server's clock `now` (sequence 0).
pub fn heartbeat_reply(gateway: GatewayId, now: UnixTime) -> Packet {
    Packet::new(
        Direction::Down,
        0,
        gateway,
        Message::HeartbeatReply(HeartbeatReply::new(now)),
    )
}

/// The documented acknowledgement of `report`, or `None` if it needs none (or
/// needs the clock: see [`heartbeat_reply`]).
pub fn acknowledgement(report: &Packet) -> Option<Packet> {
    if report.direction != Direction::Up {
        return None;
    }
    let message = match &report.message {
        Message::Bkv(b) => {
            let body = match &b.body {
                BkvBody::StatusReport(_) => BkvBody::StatusReportAck(StatusReportAck {
                    ack: Some(ResultCode::OK),
                    ..Default::default()
                }),
                BkvBody::ChargeEnded(e) => BkvBody::ChargeEndedAck(ChargeEndedAck {
                    ack: Some(ResultCode::OK),
                    socket: e.socket,
                    port: e.port,
                    ..Default::default()
                }),
                BkvBody::Event(e) => BkvBody::EventAck(EventAck {
                    socket: e.socket,
                    ack: Some(ResultCode::OK),
                    ..Default::default()
                }),
                _ => return None,
            };
            Message::Bkv(BkvPacket {
                sequence: b.sequence,
                gateway_id: b.gateway_id,
                body,
            })
        }
        Message::SocketUp(SocketUp::ChargeEnded(e)) => end_ack(e.report.socket),
        Message::SocketUp(SocketUp::CardChargeEnded(e)) => end_ack(e.report.socket),
        Message::SocketUp(SocketUp::PowerBracketEnded(e)) => end_ack(e.report.socket),
        _ => return None,
    };
    Some(Packet::new(
        Direction::Down,
        report.sequence,
        report.gateway_id,
        message,
    ))
}

fn end_ack(socket: crate::ids::SocketNo) -> Message {
    Message::SocketDown(SocketDown::EndAck(EndAck {
        socket,
        result: ResultCode::OK,
        extra: RawBytes::default(),
    }))
}
