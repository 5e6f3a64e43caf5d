//! GN's half of commands (fact sheet 2.2–2.4, 3): 0x0015 socket commands, 0x0005 node
//! list, 0x0007 OTA and BKV 0x1007/0x1011/0x1012. Answers echo the frame sequence.

use std::net::Ipv4Addr;

use bytes::Bytes;
use codec_gn::Direction;
use codec_gn::bkv::{BkvBody, BkvPacket, FeeBracket, QueryParams, SetParams};
use codec_gn::codes::{ControlMode, RawBytes, ResultCode, Switch, TimeOfDay};
use codec_gn::msg::gateway::{Ota, OtaFileName};
use codec_gn::msg::node_list::{Node, NodeChange, NodeListDown, NodeListUp, Refresh};
use codec_gn::msg::socket_common::PowerBracket;
use codec_gn::msg::socket_down::{
    Control, PowerBracketStart, QueryStatus, SocketDown, TimeWindow, VoiceWindows,
};
use codec_gn::msg::socket_up::SocketUp;
use codec_gn::units::{DeciWatts, Fen, MilliAmps, Seconds, Wh};
use codec_gn::{BusinessNo, GatewayId, Mac, Message, Packet, PortNo, SocketNo};
use proto::pylon::gateway::v1::forwarded_command::Request;
use proto::pylon::gateway::v1::manage_nodes_request::Operation;
use proto::pylon::gateway::v1::start_charging_request::Limit;
use proto::pylon::gateway::v1::{CommandResult, PortReading};

use super::request::{hex_frame, known_keys, numeric_fields, port, time_of_day, value};
use super::{Expect, Invalid, Kind, Outgoing, Plan, Target, ok, rejected};
use crate::domain::PortState;

/// Ports A and B.
const PORTS: u32 = 2;
/// 0x07 takes 1–900 minutes.
const MAX_MINUTES: u32 = 900;
/// 0x17 carries at most 5 brackets; 0x1B at most 2 windows.
const MAX_BRACKETS: usize = 5;
const MAX_WINDOWS: usize = 2;
/// BKV 0x1007's charging mode "electricity + service fee".
const FEE_MODE: u8 = 4;

pub(super) fn plan(target: Target, request: &Request) -> Result<Plan, Invalid> {
    let plan = |kind, message: Message, port| Plan {
        target,
        kind,
        outgoing: Outgoing::Gn(message),
        expect: Expect::Answer,
        port,
        timing: None,
    };
    let socket = || match target {
        Target::Socket(s) => Ok(s.socket()),
        _ => Err(Invalid::field(
            "device_id",
            "name a socket: <gateway>-<socket number>",
        )),
    };
    let gateway_only = || match target {
        Target::Gateway(_) => Ok(()),
        _ => Err(Invalid::field("device_id", "name the GN gateway itself")),
    };
    Ok(match request {
        Request::Start(r) => {
            let (socket, wire_port) = (socket()?, PortNo(port(r.port, PORTS)?));
            let message = match &r.limit {
                Some(Limit::DurationSecs(s)) => {
                    control(socket, wire_port, ControlMode::BY_TIME, minutes(*s)?, 0)
                }
                Some(Limit::EnergyWh(wh)) => {
                    let wh = u16::try_from(*wh)
                        .ok()
                        .filter(|w| *w > 0)
                        .ok_or_else(|| Invalid::field("energy_wh", "must be 1..=65535"))?;
                    control(socket, wire_port, ControlMode::BY_ENERGY, 0, wh)
                }
                // No "until full" on GN: the longest timed order; the socket's own
                // full-charge detection (parameters 0x21/0x23) ends it.
                Some(Limit::UntilFull(true)) => {
                    control(socket, wire_port, ControlMode::BY_TIME, MAX_MINUTES, 0)
                }
                Some(Limit::PowerBrackets(b)) => {
                    if b.brackets.is_empty() || b.brackets.len() > MAX_BRACKETS {
                        return Err(Invalid::field("power_brackets.brackets", "1 to 5 brackets"));
                    }
                    Message::SocketDown(SocketDown::PowerBracketStart(PowerBracketStart {
                        socket,
                        port: wire_port,
                        switch: Switch::ON,
                        amount: fen16("power_brackets.amount_fen", b.amount_fen)?,
                        brackets: b
                            .brackets
                            .iter()
                            .map(|x| {
                                Ok(PowerBracket {
                                    max_power: DeciWatts::new(x.max_power_dw),
                                    price: fen16("power_brackets.brackets.price_fen", x.price_fen)?,
                                    duration: Seconds::from_minutes(x.minutes),
                                })
                            })
                            .collect::<Result<_, Invalid>>()?,
                        extra: RawBytes::default(),
                    }))
                }
                Some(Limit::Amount(a)) => {
                    if a.brackets.is_empty() {
                        return Err(Invalid::field(
                            "amount.brackets",
                            "at least one fee bracket",
                        ));
                    }
                    let brackets = a
                        .brackets
                        .iter()
                        .map(|b| {
                            let (hour, minute) = time_of_day("amount.brackets.end", &b.end)?;
                            Ok(FeeBracket {
                                end: TimeOfDay { hour, minute },
                                electricity_price: fen16(
                                    "amount.brackets.electricity_price_fen",
                                    b.electricity_price_fen,
                                )?,
                                service_fee: fen16(
                                    "amount.brackets.service_fee_fen",
                                    b.service_fee_fen,
                                )?,
                            })
                        })
                        .collect::<Result<Vec<_>, Invalid>>()?;
                    if brackets.last().map(|b| (b.end.hour, b.end.minute)) != Some((23, 59)) {
                        return Err(Invalid::field(
                            "amount.brackets.end",
                            "the last bracket ends at 23:59",
                        ));
                    }
                    Message::Bkv(BkvPacket::new(
                        0,
                        GatewayId::default(),
                        BkvBody::StartStop(codec_gn::bkv::StartStop {
                            socket: Some(socket),
                            port: Some(wire_port),
                            switch: Some(Switch::ON),
                            charge_mode: Some(FEE_MODE),
                            control_type: Some(1),
                            payment: Some(fen16("amount.amount_fen", a.amount_fen)?),
                            service_fee_mode: Some(u8::from(a.service_fee_by_energy)),
                            bracket_count: u8::try_from(brackets.len()).ok(),
                            fee_brackets: Some(brackets),
                            ..Default::default()
                        }),
                    ))
                }
                Some(Limit::UntilFull(false)) | None => {
                    return Err(Invalid::field(
                        "limit",
                        "required: duration_secs, energy_wh, until_full, power_brackets or amount",
                    ));
                }
            };
            plan(Kind::Start, message, Some(r.port))
        }
        Request::Stop(r) => plan(
            Kind::Stop,
            Message::SocketDown(SocketDown::Control(Control {
                socket: socket()?,
                port: PortNo(port(r.port, PORTS)?),
                switch: Switch::OFF,
                ..Default::default()
            })),
            Some(r.port),
        ),
        Request::Query(_) => plan(
            Kind::Query,
            Message::SocketDown(SocketDown::QueryStatus(QueryStatus {
                socket: socket()?,
                extra: RawBytes::default(),
            })),
            None,
        ),
        Request::GetParameters(r) => {
            group(&r.group)?;
            plan(
                Kind::GetParameters,
                bkv(BkvBody::QueryParams(QueryParams {
                    socket: Some(socket()?),
                    ..Default::default()
                })),
                None,
            )
        }
        Request::SetParameters(r) => {
            group(&r.group)?;
            plan(
                Kind::SetParameters,
                bkv(BkvBody::SetParams(set_params(socket()?, &r.values)?)),
                None,
            )
        }
        Request::Reboot(_) => {
            return Err(Invalid::field(
                "device_id",
                "GN documents no reboot command (use SendRaw for a vendor extension)",
            ));
        }
        Request::Upgrade(r) => {
            gateway_only()?;
            if !r.firmware.is_empty() || !r.dny_kind.is_empty() || r.check_packet.is_some() {
                return Err(Invalid::field(
                    "firmware",
                    "a GN gateway fetches its firmware over FTP (ftp_host, ftp_port, \
                     file_name); firmware, dny_kind and check_packet are for DNY piles",
                ));
            }
            let ftp_ip = r
                .ftp_host
                .parse::<Ipv4Addr>()
                .map_err(|_| Invalid::field("ftp_host", "an IPv4 address"))?;
            let ftp_port = u16::try_from(r.ftp_port)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| Invalid::field("ftp_port", "1..=65535"))?;
            let file_name = OtaFileName::new(&r.file_name)
                .ok_or_else(|| Invalid::field("file_name", "ASCII, at most 13 characters"))?;
            // 0x0007 has no documented answer.
            Plan {
                expect: Expect::Nothing,
                ..plan(
                    Kind::Upgrade,
                    Message::Ota(Ota {
                        target: 1,
                        ftp_ip,
                        ftp_port,
                        file_name,
                        extra: RawBytes::default(),
                    }),
                    None,
                )
            }
        }
        Request::Nodes(r) => {
            gateway_only()?;
            let down = match &r.operation {
                Some(Operation::Refresh(list)) => NodeListDown::Refresh(Refresh {
                    channel: u8::try_from(list.channel)
                        .ok()
                        .filter(|c| (1..=15).contains(c))
                        .ok_or_else(|| Invalid::field("refresh.channel", "1..=15"))?,
                    nodes: list
                        .nodes
                        .iter()
                        .map(|n| node("refresh.nodes", n))
                        .collect::<Result<_, _>>()?,
                    extra: RawBytes::default(),
                }),
                Some(Operation::Add(n)) => NodeListDown::Add(node_change("add", n)?),
                Some(Operation::Delete(n)) => NodeListDown::Delete(node_change("delete", n)?),
                None => return Err(Invalid::field("operation", "refresh, add or delete")),
            };
            plan(Kind::Nodes, Message::NodeListDown(down), None)
        }
        Request::Voice(r) => {
            let socket = match target {
                Target::Socket(s) => s.socket(),
                _ => SocketNo::BROADCAST,
            };
            if r.windows.len() > MAX_WINDOWS {
                return Err(Invalid::field("windows", "at most 2"));
            }
            let windows = r
                .windows
                .iter()
                .map(|w| {
                    let (h0, m0) = time_of_day("windows.start", &w.start)?;
                    let (h1, m1) = time_of_day("windows.end", &w.end)?;
                    Ok(TimeWindow {
                        start: TimeOfDay {
                            hour: h0,
                            minute: m0,
                        },
                        end: TimeOfDay {
                            hour: h1,
                            minute: m1,
                        },
                    })
                })
                .collect::<Result<_, Invalid>>()?;
            plan(
                Kind::Voice,
                Message::SocketDown(SocketDown::VoiceWindows(VoiceWindows {
                    socket,
                    port: PortNo(port(r.port.max(1), PORTS)?),
                    beeper: if r.beeper { Switch::ON } else { Switch::OFF },
                    voice: if r.voice { Switch::ON } else { Switch::OFF },
                    windows,
                    extra: RawBytes::default(),
                })),
                None,
            )
        }
        Request::Raw(r) => {
            let bytes = hex_frame(&r.frame_hex)?;
            let frame =
                codec_gn::Frame::decode(&bytes).map_err(|e| Invalid::field("frame_hex", e))?;
            if frame.direction != Direction::Down {
                return Err(Invalid::field(
                    "frame_hex",
                    "not a server → device frame (FC FF)",
                ));
            }
            let gateway = match target {
                Target::Gateway(g) => g,
                Target::Socket(s) => s.gateway(),
                Target::Dny(_) => return Err(Invalid::field("device_id", "not a GN device")),
            };
            if frame.gateway_id != gateway {
                return Err(Invalid::field(
                    "frame_hex",
                    format!(
                        "the frame is for gateway {}, not {gateway}",
                        frame.gateway_id
                    ),
                ));
            }
            Plan {
                target,
                kind: Kind::Raw,
                outgoing: Outgoing::GnRaw(frame),
                expect: if r.expect_answer {
                    Expect::Answer
                } else {
                    Expect::Nothing
                },
                port: None,
                timing: None,
            }
        }
    })
}

fn control(socket: SocketNo, port: PortNo, mode: ControlMode, minutes: u32, wh: u16) -> Message {
    Message::SocketDown(SocketDown::Control(Control {
        socket,
        port,
        switch: Switch::ON,
        mode,
        duration: Seconds::from_minutes(minutes),
        energy: Wh::new(i64::from(wh)),
        extra: RawBytes::default(),
    }))
}

/// Whole minutes (rounded up), 1–900.
fn minutes(secs: u32) -> Result<u32, Invalid> {
    let m = secs.div_ceil(60);
    if m == 0 || m > MAX_MINUTES {
        return Err(Invalid::field(
            "duration_secs",
            "GN takes 1 to 900 minutes (60..=54000 s)",
        ));
    }
    Ok(m)
}

fn fen16(field: &str, fen: i64) -> Result<Fen, Invalid> {
    if !(0..=i64::from(u16::MAX)).contains(&fen) {
        return Err(Invalid::field(field, "0..=65535 fen"));
    }
    Ok(Fen::new(fen))
}

fn group(g: &str) -> Result<(), Invalid> {
    if g == "socket" {
        Ok(())
    } else {
        Err(Invalid::field(
            "group",
            format!("{g:?}: GN sockets have one group, socket"),
        ))
    }
}

fn bkv(body: BkvBody) -> Message {
    // Sequence and gateway are stamped when the frame is encoded.
    Message::Bkv(BkvPacket::new(0, GatewayId::default(), body))
}

fn node(field: &str, n: &proto::pylon::gateway::v1::Node) -> Result<Node, Invalid> {
    Ok(Node {
        socket: SocketNo(
            u8::try_from(n.socket)
                .ok()
                .filter(|s| (1..=250).contains(s))
                .ok_or_else(|| Invalid::field(&format!("{field}.socket"), "1..=250"))?,
        ),
        mac: n
            .mac
            .parse::<Mac>()
            .map_err(|e| Invalid::field(&format!("{field}.mac"), e))?,
    })
}

fn node_change(field: &str, n: &proto::pylon::gateway::v1::Node) -> Result<NodeChange, Invalid> {
    let Node { socket, mac } = node(field, n)?;
    Ok(NodeChange {
        socket,
        mac,
        extra: RawBytes::default(),
    })
}

/// BKV 0x1011 carries only the keys to change.
fn set_params(
    socket: SocketNo,
    values: &std::collections::HashMap<String, i64>,
) -> Result<SetParams, Invalid> {
    const KEYS: [&str; 9] = [
        "full_charge_delay_s",
        "no_load_delay_s",
        "full_power_threshold_dw",
        "no_load_power_threshold_dw",
        "high_temperature_threshold_c",
        "power_limit_dw",
        "max_charge_duration_s",
        "trickle_threshold_pct",
        "overcurrent_limit_ma",
    ];
    known_keys(values, "socket", &KEYS)?;
    if values.is_empty() {
        return Err(Invalid::field("values", "name at least one parameter"));
    }
    Ok(SetParams {
        socket: Some(socket),
        full_charge_delay: value::<u16>(values, KEYS[0])?.map(|v| Seconds::new(v.into())),
        no_load_delay: value::<u16>(values, KEYS[1])?.map(|v| Seconds::new(v.into())),
        full_power_threshold: value::<u16>(values, KEYS[2])?.map(|v| DeciWatts::new(v.into())),
        no_load_power_threshold: value::<u16>(values, KEYS[3])?.map(|v| DeciWatts::new(v.into())),
        high_temperature_threshold: value::<i8>(values, KEYS[4])?
            .map(|v| codec_gn::units::Celsius::new(v.into())),
        power_limit: value::<u16>(values, KEYS[5])?.map(|v| DeciWatts::new(v.into())),
        max_charge_duration: value::<u32>(values, KEYS[6])?
            .filter(|s| s.is_multiple_of(60) && s / 60 <= u32::from(u16::MAX))
            .map(Seconds::new)
            .map_or_else(
                || match values.get(KEYS[6]) {
                    Some(_) => Err(Invalid::field(
                        "values.max_charge_duration_s",
                        "whole minutes (a multiple of 60)",
                    )),
                    None => Ok(None),
                },
                |s| Ok(Some(s)),
            )?,
        trickle_threshold_pct: value::<u8>(values, KEYS[7])?,
        overcurrent_limit: value::<u16>(values, KEYS[8])?.map(|v| MilliAmps::new(v.into())),
        ..Default::default()
    })
}

pub(super) fn encode(
    gateway: GatewayId,
    sequence: u32,
    message: &Message,
) -> Result<Bytes, Invalid> {
    let mut message = message.clone();
    if let Message::Bkv(b) = &mut message {
        // BKV key 0x02 repeats the frame sequence, key 0x03 the gateway.
        *b = BkvPacket::new(sequence, gateway, b.body.clone());
    }
    Packet::new(Direction::Down, sequence, gateway, message)
        .encode()
        .map_err(|e| Invalid(format!("cannot encode: {e}")))
}

pub(super) fn encode_raw(frame: &codec_gn::Frame, sequence: u32) -> Result<Bytes, Invalid> {
    codec_gn::Frame {
        sequence,
        ..frame.clone()
    }
    .encode()
    .map_err(|e| Invalid::field("frame_hex", e))
}

/// (command, sub-command or BKV command) of a message: what an answer echoes.
fn signature(message: &Message) -> (u16, u16) {
    let sub = match message {
        Message::SocketDown(d) => u16::from(d.sub_command()),
        Message::SocketUp(u) => u16::from(u.sub_command()),
        Message::NodeListDown(d) => u16::from(d.sub_command()),
        Message::NodeListUp(u) => u16::from(u.sub_command()),
        Message::Bkv(b) => b.command(),
        _ => 0,
    };
    (message.command(), sub)
}

pub(super) fn answers(plan: &Plan, sequence: u32, packet: &Packet) -> bool {
    if plan.expect != Expect::Answer
        || packet.sequence != sequence
        || packet.direction != Direction::Up
    {
        return false;
    }
    let got = signature(&packet.message);
    match &plan.outgoing {
        // The status answer to 0x1D comes back as 0x1C (the document's bytes) or 0x1D.
        Outgoing::Gn(Message::SocketDown(SocketDown::QueryStatus(_))) => {
            got == (codec_gn::msg::command::SOCKET, 0x1C)
                || got == (codec_gn::msg::command::SOCKET, 0x1D)
        }
        Outgoing::Gn(m) => got == signature(m),
        Outgoing::GnRaw(f) => packet.command() == f.command,
        _ => false,
    }
}

pub(super) fn interpret(plan: &Plan, packet: &Packet) -> CommandResult {
    let result = |code: ResultCode| {
        if code.is_ok() {
            ok(u32::from(code.0))
        } else {
            rejected(
                u32::from(code.0),
                format!(
                    "设备返回失败 ({}) / the device answered failure ({})",
                    code.0, code.0
                ),
            )
        }
    };
    let started = |mut r: CommandResult, business: BusinessNo| {
        if plan.kind == Kind::Start
            && r.outcome == proto::pylon::gateway::v1::CommandOutcome::Ok as i32
        {
            r.business_no = u32::from(business.0);
            r.order_ref = business.0.to_string();
        }
        r
    };
    match &packet.message {
        Message::SocketUp(SocketUp::ControlAnswer(a)) => started(result(a.result), a.business_no),
        // The 0x17 answer is undocumented; read like 0x07's: result, socket, port, business.
        Message::SocketUp(SocketUp::Other(o)) => match o.body.0.as_ref() {
            [code, _, _, hi, lo, ..] => started(
                result(ResultCode(*code)),
                BusinessNo(u16::from_be_bytes([*hi, *lo])),
            ),
            _ => ok(0),
        },
        Message::SocketUp(SocketUp::StatusAnswer(s) | SocketUp::StatusAnswerAs1D(s)) => {
            let mut r = ok(0);
            r.ports = s
                .ports
                .iter()
                .map(|p| {
                    let business = p.business_no.0;
                    PortReading {
                        port: u32::from(p.port.0) + 1,
                        state: crate::events::port_state(PortState::from_gn(p.status.0, business)),
                        raw_status: u32::from(p.status.0),
                        power_dw: p.power.get(),
                        energy_wh: u64::try_from(p.energy.get()).unwrap_or(0),
                        order_ref: if business == 0 {
                            String::new()
                        } else {
                            business.to_string()
                        },
                    }
                })
                .collect();
            r
        }
        Message::SocketUp(SocketUp::VoiceAnswer(a)) => result(a.result),
        Message::NodeListUp(
            NodeListUp::RefreshResult(n) | NodeListUp::AddResult(n) | NodeListUp::DeleteResult(n),
        ) => result(n.result),
        Message::Bkv(b) => match &b.body {
            BkvBody::StartStopAnswer(a) => started(
                result(a.ack.unwrap_or(ResultCode::FAIL)),
                a.business_no.unwrap_or_default(),
            ),
            BkvBody::SetParamsAnswer(a) => result(a.ack.unwrap_or(ResultCode::FAIL)),
            BkvBody::ParamsAnswer(a) => {
                let mut r = result(a.ack.unwrap_or(ResultCode::OK));
                r.parameters = numeric_fields(&codec_gn::describe(packet)["payload"]);
                r.parameters.remove("socket");
                r.parameters.remove("ack");
                r
            }
            _ => ok(0),
        },
        _ => ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::pylon::gateway::v1::{
        CommandOutcome, ForwardedCommand, PowerBrackets, QueryPortsRequest, StartChargingRequest,
    };

    const SOCKET: &str = "82241218000382-3";

    fn start(limit: Limit) -> Result<Plan, Invalid> {
        super::super::plan(&ForwardedCommand {
            request: Some(Request::Start(StartChargingRequest {
                device_id: SOCKET.into(),
                port: 2,
                limit: Some(limit),
                ..Default::default()
            })),
        })
    }

    fn decode(bytes: &[u8]) -> Packet {
        Packet::decode(bytes).unwrap()
    }

    #[test]
    fn a_timed_start_is_0x07_in_whole_minutes_with_our_sequence() {
        let plan = start(Limit::DurationSecs(90)).unwrap();
        let p = decode(&plan.encode(0xABCD).unwrap());
        assert_eq!(p.sequence, 0xABCD);
        assert_eq!(p.gateway_id.to_string(), "82241218000382");
        let Message::SocketDown(SocketDown::Control(c)) = p.message else {
            panic!("{p:?}")
        };
        assert_eq!(
            (c.socket.0, c.port.0, c.switch, c.mode),
            (3, 1, Switch::ON, ControlMode::BY_TIME)
        );
        assert_eq!(c.duration.get(), 120);
    }

    #[test]
    fn brackets_and_amounts_are_checked() {
        let e = start(Limit::PowerBrackets(PowerBrackets::default())).unwrap_err();
        assert!(e.0.starts_with("power_brackets.brackets"), "{e}");
        assert!(
            start(Limit::DurationSecs(54_001))
                .unwrap_err()
                .0
                .starts_with("duration_secs")
        );
        let e = super::super::plan(&ForwardedCommand {
            request: Some(Request::Start(StartChargingRequest {
                device_id: "82241218000382".into(),
                port: 1,
                limit: Some(Limit::UntilFull(true)),
                ..Default::default()
            })),
        })
        .unwrap_err();
        assert!(e.0.starts_with("device_id"), "{e}");
    }

    #[test]
    fn the_control_answer_with_our_sequence_completes_and_names_the_business_no() {
        let plan = start(Limit::EnergyWh(500)).unwrap();
        let gw: GatewayId = "82241218000382".parse().unwrap();
        let answer = |seq, result| {
            Packet::new(
                Direction::Up,
                seq,
                gw,
                Message::SocketUp(SocketUp::ControlAnswer(
                    codec_gn::msg::socket_up::ControlAnswer {
                        result: ResultCode(result),
                        socket: SocketNo(3),
                        port: PortNo(1),
                        business_no: BusinessNo(0x0102),
                        extra: RawBytes::default(),
                    },
                )),
            )
        };
        let reply = |p| super::super::Reply::Gn {
            packet: p,
            raw: None,
        };
        assert!(plan.answered_by(9, &reply(answer(9, 1))));
        assert!(!plan.answered_by(9, &reply(answer(10, 1))));
        let r = plan.interpret(&reply(answer(9, 1)));
        assert_eq!(r.outcome, CommandOutcome::Ok as i32);
        assert_eq!((r.business_no, r.order_ref.as_str()), (258, "258"));
        let r = plan.interpret(&reply(answer(9, 0)));
        assert_eq!(r.outcome, CommandOutcome::Rejected as i32);
    }

    #[test]
    fn a_query_is_answered_by_0x1c() {
        let plan = super::super::plan(&ForwardedCommand {
            request: Some(Request::Query(QueryPortsRequest {
                device_id: SOCKET.into(),
            })),
        })
        .unwrap();
        let p = decode(&plan.encode(5).unwrap());
        assert!(
            matches!(p.message, Message::SocketDown(SocketDown::QueryStatus(ref q)) if q.socket.0 == 3)
        );
    }
}
