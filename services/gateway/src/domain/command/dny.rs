//! DNY's half of commands (fact sheet 1.4, 1.7.8–1.7.10, 1.8.6): the 0x8x frames, and
//! their answers, which echo the command byte and message id (firmware packets:
//! `firmware`, `transfer`).

use bytes::Bytes;
use codec_dny::{
    CHARGE_START, CHARGE_STOP, DeciVolts, DeciWatts, Downlink, Frame, Message as _, MessageId,
    NoData, OrderNo, PhysicalId, Port, RawFrame, RunParams2, RunParams11, StartStop, Uplink,
};
use proto::pylon::gateway::v1::forwarded_command::Request;
use proto::pylon::gateway::v1::start_charging_request::Limit;
use proto::pylon::gateway::v1::{CommandResult, PortReading};

use super::request::{hex_frame, known_keys, numeric_fields, port, value};
use super::{Expect, Invalid, Kind, Outgoing, Plan, Target, firmware, ok, rejected};
use crate::domain::PortState;

/// DNY piles have at most 16 ports (0-based on the wire, 0xFF = "any").
const MAX_PORTS: u32 = 16;
/// Balances above this are read by the pile as an expiry timestamp (fact sheet 1.7.8).
const MAX_BALANCE_FEN: i64 = 100_000_000;

pub(super) fn plan(id: PhysicalId, request: &Request) -> Result<Plan, Invalid> {
    let target = Target::Dny(id);
    let plan = |kind, message: Downlink, port| Plan {
        target,
        kind,
        outgoing: Outgoing::Dny(message),
        expect: Expect::Answer,
        port,
        timing: None,
    };
    Ok(match request {
        Request::Start(r) => {
            let wire_port = port(r.port, MAX_PORTS)?;
            let order_no = order_no(&r.order_ref)?;
            let (rate_mode, duration_or_energy) = match &r.limit {
                Some(Limit::DurationSecs(s)) => (
                    0,
                    u16::try_from(*s)
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| Invalid::field("duration_secs", "must be 1..=65535"))?,
                ),
                // The pile counts 0.01 kWh: whole 10 Wh steps, rounded down.
                Some(Limit::EnergyWh(wh)) => (
                    codec_dny::RATE_MODE_ENERGY,
                    u16::try_from(wh / 10)
                        .ok()
                        .filter(|c| *c > 0)
                        .ok_or_else(|| Invalid::field("energy_wh", "must be 10..=655350"))?,
                ),
                Some(Limit::UntilFull(true)) => (0, 0),
                Some(Limit::UntilFull(false)) | None => {
                    return Err(Invalid::field(
                        "limit",
                        "required: duration_secs, energy_wh or until_full",
                    ));
                }
                Some(Limit::PowerBrackets(_) | Limit::Amount(_)) => {
                    return Err(Invalid::field(
                        "limit",
                        "DNY piles charge by time, energy or until full; convert the amount \
                         with the tariff first",
                    ));
                }
            };
            let balance = r.balance_fen.clamp(0, MAX_BALANCE_FEN);
            plan(
                Kind::Start,
                Downlink::StartStop(StartStop {
                    rate_mode,
                    balance_or_expiry: u32::try_from(balance).unwrap_or(0),
                    port: Port::new(wire_port),
                    charge_command: CHARGE_START,
                    duration_or_energy,
                    order_no,
                    ..Default::default()
                }),
                Some(r.port),
            )
        }
        Request::Stop(r) => plan(
            Kind::Stop,
            Downlink::StartStop(StartStop {
                port: Port::new(port(r.port, MAX_PORTS)?),
                charge_command: CHARGE_STOP,
                order_no: order_no(&r.order_ref)?,
                ..Default::default()
            }),
            Some(r.port),
        ),
        // 0x81 has no answer of its own: the pile reports register and heartbeats.
        Request::Query(_) => Plan {
            expect: Expect::NextHeartbeat,
            ..plan(
                Kind::Query,
                Downlink::QueryNetworkStatus(NoData::default()),
                None,
            )
        },
        Request::GetParameters(r) => {
            let message = match r.group.as_str() {
                "run11" => Downlink::ReadRunParams11(NoData::default()),
                "run12" => Downlink::ReadRunParams12(NoData::default()),
                "run2" => Downlink::ReadRunParams2(NoData::default()),
                "card" => Downlink::ReadCardParams(NoData::default()),
                other => return Err(unknown_group(other)),
            };
            plan(Kind::GetParameters, message, None)
        }
        Request::SetParameters(r) => plan(
            Kind::SetParameters,
            set_parameters(&r.group, &r.values)?,
            None,
        ),
        Request::Reboot(_) => plan(Kind::Reboot, Downlink::Reboot(NoData::default()), None),
        // 0xE4: the pile downloads its firmware itself; the answer is not documented.
        // (With an image the request is a `Transfer`: `request::prepare` never gets here.)
        Request::Upgrade(r) if !r.firmware.is_empty() => {
            return Err(Invalid::field(
                "firmware",
                "an image is a transfer of many packets, not one command",
            ));
        }
        Request::Upgrade(r) if !r.dny_kind.is_empty() || r.check_packet.is_some() => {
            return Err(Invalid::field(
                "firmware",
                "required with dny_kind or check_packet (without it the pile downloads by \
                 itself: 0xE4)",
            ));
        }
        Request::Upgrade(_) => Plan {
            expect: Expect::Nothing,
            ..plan(
                Kind::Upgrade,
                Downlink::TriggerSelfUpgrade(NoData::default()),
                None,
            )
        },
        Request::Nodes(_) => {
            return Err(Invalid::field(
                "device_id",
                "the node list is a GN gateway's; this is a DNY pile",
            ));
        }
        Request::Voice(_) => {
            return Err(Invalid::field(
                "device_id",
                "DNY documents no voice windows (0x89 plays a prompt: use SendRaw)",
            ));
        }
        Request::Raw(r) => {
            let bytes = hex_frame(&r.frame_hex)?;
            let raw = codec_dny::decode_frame_lenient(&bytes)
                .map(|(raw, _, _)| raw)
                .map_err(|e| Invalid::field("frame_hex", e))?;
            if raw.physical_id != id {
                return Err(Invalid::field(
                    "frame_hex",
                    format!("the frame is for {}, not {id}", raw.physical_id),
                ));
            }
            Plan {
                target,
                kind: Kind::Raw,
                outgoing: Outgoing::DnyRaw(raw),
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

fn order_no(s: &str) -> Result<OrderNo, Invalid> {
    s.parse::<OrderNo>()
        .map_err(|_| Invalid::field("order_ref", "a DNY order number is 32 hex digits"))
}

fn need<T>(v: Option<T>, key: &str) -> Result<T, Invalid> {
    v.ok_or_else(|| Invalid::field(&format!("values.{key}"), "required for this group"))
}

fn unknown_group(group: &str) -> Invalid {
    Invalid::field(
        "group",
        format!("{group:?}: DNY groups are run11, run12, run2, card"),
    )
}

/// 0x83 and 0x85 replace the whole group, so every field is required.
fn set_parameters(
    group: &str,
    values: &std::collections::HashMap<String, i64>,
) -> Result<Downlink, Invalid> {
    match group {
        "run11" => {
            const KEYS: [&str; 6] = [
                "unplug_power_dw",
                "unplug_detect_s",
                "float_percent",
                "float_detect_s",
                "float_time_s",
                "heartbeat_interval_s",
            ];
            known_keys(values, group, &KEYS)?;
            Ok(Downlink::SetRunParams11(RunParams11 {
                unplug_power: DeciWatts::new(need(value::<u16>(values, KEYS[0])?, KEYS[0])?.into()),
                unplug_detect_s: need(value(values, KEYS[1])?, KEYS[1])?,
                float_percent: need(value(values, KEYS[2])?, KEYS[2])?,
                float_detect_s: need(value(values, KEYS[3])?, KEYS[3])?,
                float_time_s: need(value(values, KEYS[4])?, KEYS[4])?,
                heartbeat_interval_s: need(value(values, KEYS[5])?, KEYS[5])?,
                extra: Bytes::new(),
            }))
        }
        "run2" => {
            const KEYS: [&str; 4] = [
                "max_charge_time_s",
                "overload_power_dw",
                "over_voltage_dv",
                "under_voltage_dv",
            ];
            known_keys(values, group, &KEYS)?;
            let over = value::<u16>(values, KEYS[2])?;
            let under = value::<u16>(values, KEYS[3])?;
            if over.is_none() && under.is_some() {
                return Err(Invalid::field(
                    "values.over_voltage_dv",
                    "required when under_voltage_dv is given (the frame's order)",
                ));
            }
            Ok(Downlink::SetRunParams2(RunParams2 {
                max_charge_time_s: need(value(values, KEYS[0])?, KEYS[0])?,
                overload_power: DeciWatts::new(
                    need(value::<u16>(values, KEYS[1])?, KEYS[1])?.into(),
                ),
                over_voltage: over.map(DeciVolts::new),
                under_voltage: under.map(DeciVolts::new),
                extra: Bytes::new(),
            }))
        }
        "run12" | "card" => Err(Invalid::field(
            "group",
            format!("{group} cannot be set through SetParameters; use SendRaw"),
        )),
        other => Err(unknown_group(other)),
    }
}

pub(super) fn encode(
    id: PhysicalId,
    correlation: u32,
    message: &Downlink,
) -> Result<Bytes, Invalid> {
    Frame {
        physical_id: id,
        message_id: message_id(correlation),
        message: message.clone(),
    }
    .to_bytes()
    .map_err(|e| Invalid(format!("cannot encode: {e}")))
}

pub(super) fn encode_raw(raw: &RawFrame, correlation: u32) -> Result<Bytes, Invalid> {
    RawFrame {
        message_id: message_id(correlation),
        ..raw.clone()
    }
    .to_bytes()
    .map_err(|e| Invalid::field("frame_hex", e))
}

fn message_id(correlation: u32) -> MessageId {
    MessageId::new((correlation & 0xFFFF) as u16)
}

/// The command byte the answer carries: DNY answers echo the command.
fn command_of(plan: &Plan) -> Option<u8> {
    match &plan.outgoing {
        Outgoing::Dny(m) => Some(m.command()),
        Outgoing::DnyRaw(raw) => Some(raw.command),
        _ => None,
    }
}

pub(super) fn answers(plan: &Plan, correlation: u32, frame: &Frame<Uplink>) -> bool {
    match plan.expect {
        Expect::NextHeartbeat => matches!(frame.message, Uplink::Heartbeat(_)),
        Expect::Answer => {
            frame.message_id == message_id(correlation)
                && command_of(plan) == Some(frame.message.command())
        }
        Expect::Nothing => false,
    }
}

pub(super) fn interpret(plan: &Plan, frame: &Frame<Uplink>) -> CommandResult {
    match &frame.message {
        Uplink::StartStopAnswer(a) => {
            // 0 done; 3 (port fault) and 9 (relay welded, started anyway) are "done" too.
            let mut r = if matches!(a.result, 0 | 3 | 9) {
                ok(u32::from(a.result))
            } else {
                rejected(u32::from(a.result), start_stop_code(a.result))
            };
            if plan.kind == Kind::Start || plan.kind == Kind::Stop {
                r.order_ref = match (&a.order_no, &plan.outgoing) {
                    (Some(o), _) => o.to_string(),
                    (None, Outgoing::Dny(Downlink::StartStop(s))) => s.order_no.to_string(),
                    _ => String::new(),
                };
            }
            r
        }
        Uplink::Heartbeat(h) => {
            let mut r = ok(0);
            r.ports = h
                .port_status
                .iter()
                .enumerate()
                .map(|(i, code)| PortReading {
                    port: i as u32 + 1,
                    state: crate::events::port_state(PortState::from_dny(code)),
                    raw_status: u32::from(code),
                    ..Default::default()
                })
                .collect();
            r
        }
        Uplink::RunParams11(_)
        | Uplink::RunParams12(_)
        | Uplink::RunParams2(_)
        | Uplink::CardParams(_) => {
            let mut r = ok(0);
            r.parameters = numeric_fields(&frame.message.fields());
            r
        }
        Uplink::UpgradeSubDeviceAnswer(a)
        | Uplink::UpgradePowerBoardAnswer(a)
        | Uplink::UpgradeHostWideAnswer(a)
        | Uplink::UpgradeOldAnswer(a)
        | Uplink::HostUpgradeOldAnswer(a)
        | Uplink::HostUpgradeAnswer(a) => firmware::interpret(plan, frame.message.command(), a),
        other => match result_byte(other) {
            Some(0) | None => ok(0),
            Some(code) => rejected(
                u32::from(code),
                format!("设备返回错误码 {code} / the device answered with code {code}"),
            ),
        },
    }
}

/// The result byte of the plain `ResultAnswer` answers.
fn result_byte(message: &Uplink) -> Option<u8> {
    match message {
        Uplink::SetRunParams11Answer(a)
        | Uplink::SetRunParams12Answer(a)
        | Uplink::SetRunParams2Answer(a)
        | Uplink::SetCardParamsAnswer(a)
        | Uplink::RebootAnswer(a)
        | Uplink::ClearStorageAnswer(a)
        | Uplink::PlayVoiceAnswer(a)
        | Uplink::ModifyChargeAnswer(a)
        | Uplink::SetWorkModeAnswer(a)
        | Uplink::SetQrCodeAnswer(a)
        | Uplink::LocateAnswer(a) => Some(a.result),
        _ => None,
    }
}

/// Fact sheet 1.8.6, for people.
fn start_stop_code(code: u8) -> String {
    let text = match code {
        1 => "未插充电器 / no charger plugged in",
        2 => "端口已是该状态 / the port is already in that state",
        4 => "无此端口 / no such port",
        5 => "多个端口等待充电，请指定端口 / several ports are waiting; name the port",
        6 => "多路设备功率超限 / the device's total power is over its limit",
        7 => "存储器损坏 / storage damaged",
        8 => "继电器坏或保险丝断 / relay broken or fuse blown",
        0x0A => "负载短路 / load short-circuit",
        0x0B => "烟感报警 / smoke alarm",
        0x0C => "过压 / over-voltage",
        0x0D => "欠压 / under-voltage",
        0x0E => "无响应 / no response",
        _ => "未知错误 / unknown code",
    };
    format!("{text} ({code})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::pylon::gateway::v1::{
        CommandOutcome, ForwardedCommand, SetParametersRequest, StartChargingRequest,
    };

    const PILE: &str = "04ceaa40";
    const ORDER: &str = "0123456789abcdef0123456789abcdef";

    fn start(limit: Limit) -> Result<Plan, Invalid> {
        super::super::plan(&ForwardedCommand {
            request: Some(Request::Start(StartChargingRequest {
                device_id: PILE.into(),
                port: 2,
                order_ref: ORDER.into(),
                limit: Some(limit),
                balance_fen: 500,
            })),
        })
    }

    fn reply(frame: Frame<Uplink>) -> super::super::Reply {
        super::super::Reply::Dny { frame, raw: None }
    }

    #[test]
    fn a_timed_start_is_an_0x82_with_the_order_and_our_message_id() {
        let plan = start(Limit::DurationSecs(3600)).unwrap();
        let bytes = plan.encode(0x1_0007).unwrap();
        let frame = Frame::<Downlink>::decode(&bytes).unwrap();
        assert_eq!(frame.message_id.get(), 7);
        let Downlink::StartStop(s) = frame.message else {
            panic!("not 0x82")
        };
        assert_eq!(
            (
                s.rate_mode,
                s.port.get(),
                s.charge_command,
                s.duration_or_energy
            ),
            (0, 1, CHARGE_START, 3600)
        );
        assert_eq!(s.order_no.to_string(), ORDER);
        assert_eq!(s.balance_or_expiry, 500);
    }

    #[test]
    fn energy_is_sent_in_hundredths_of_a_kwh() {
        let plan = start(Limit::EnergyWh(1234)).unwrap();
        let Outgoing::Dny(Downlink::StartStop(s)) = plan.outgoing else {
            panic!()
        };
        assert_eq!((s.rate_mode, s.duration_or_energy), (2, 123));
    }

    #[test]
    fn limits_dny_cannot_express_are_refused_by_name() {
        let e = start(Limit::Amount(Default::default())).unwrap_err();
        assert!(e.0.starts_with("limit"), "{e}");
        assert!(
            start(Limit::DurationSecs(70_000))
                .unwrap_err()
                .0
                .starts_with("duration_secs")
        );
        assert!(
            start(Limit::EnergyWh(5))
                .unwrap_err()
                .0
                .starts_with("energy_wh")
        );
    }

    #[test]
    fn only_the_answer_with_our_id_and_command_completes() {
        let plan = start(Limit::UntilFull(true)).unwrap();
        let answer = |id: u16, message| Frame {
            physical_id: PILE.parse().unwrap(),
            message_id: MessageId::new(id),
            message,
        };
        let good = answer(
            7,
            Uplink::StartStopAnswer(codec_dny::StartStopAnswer {
                result: 0,
                ..Default::default()
            }),
        );
        assert!(plan.answered_by(7, &reply(good.clone())));
        assert!(!plan.answered_by(8, &reply(good)));
        let other = answer(7, Uplink::RebootAnswer(codec_dny::ResultAnswer::new(0)));
        assert!(!plan.answered_by(7, &reply(other)));
    }

    #[test]
    fn start_answers_map_to_outcomes() {
        let plan = start(Limit::UntilFull(true)).unwrap();
        let frame = |result| Frame {
            physical_id: PILE.parse().unwrap(),
            message_id: MessageId::new(1),
            message: Uplink::StartStopAnswer(codec_dny::StartStopAnswer {
                result,
                ..Default::default()
            }),
        };
        let r = plan.interpret(&reply(frame(0)));
        assert_eq!(r.outcome, CommandOutcome::Ok as i32);
        assert_eq!(r.order_ref, ORDER);
        let r = plan.interpret(&reply(frame(1)));
        assert_eq!(r.outcome, CommandOutcome::Rejected as i32);
        assert_eq!(r.device_code, 1);
        assert!(r.detail.contains("no charger"), "{}", r.detail);
    }

    #[test]
    fn set_parameters_needs_every_field_of_the_group() {
        let set = |values: &[(&str, i64)]| {
            super::super::plan(&ForwardedCommand {
                request: Some(Request::SetParameters(SetParametersRequest {
                    device_id: PILE.into(),
                    group: "run2".into(),
                    values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                })),
            })
        };
        let e = set(&[("max_charge_time_s", 36000)]).unwrap_err();
        assert!(e.0.contains("overload_power_dw"), "{e}");
        let e = set(&[("max_charge_time_s", 70000), ("overload_power_dw", 1)]).unwrap_err();
        assert!(e.0.contains("max_charge_time_s"), "{e}");
        let plan = set(&[("max_charge_time_s", 36000), ("overload_power_dw", 20000)]).unwrap();
        let Outgoing::Dny(Downlink::SetRunParams2(p)) = plan.outgoing else {
            panic!()
        };
        assert_eq!(
            (p.max_charge_time_s, p.overload_power.get()),
            (36000, 20000)
        );
    }
}
