//! Property tests: every GN message type round-trips (`decode(encode(m)) == m`),
//! and arbitrary payloads that decode re-encode exactly.

use bytes::Bytes;
use codec_gn::codes::{
    BillingMode, ControlMode, PortStatus, RawBytes, ResultCode, SocketFirmware, Switch, TimeOfDay,
};
use codec_gn::msg::gateway::{Heartbeat, HeartbeatReply, Ota, PaddedAscii};
use codec_gn::msg::node_list::{Node, NodeChange, NodeListDown, NodeListUp, NodeResult, Refresh};
use codec_gn::msg::socket_common::{EndReport, PortReport, PowerBracket};
use codec_gn::msg::socket_down::*;
use codec_gn::msg::socket_up::*;
use codec_gn::msg::{OtherSub, UnknownCommand};
use codec_gn::units::*;
use codec_gn::{
    BusinessNo, CardNo, Direction, Frame, GatewayId, Mac, Message, Packet, PortNo, SocketNo,
};
use proptest::collection::vec;
use proptest::prelude::*;

pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}
fn raw(max: usize) -> impl Strategy<Value = RawBytes> {
    bytes(max).prop_map(RawBytes)
}
pub fn gateway() -> impl Strategy<Value = GatewayId> {
    any::<[u8; 7]>().prop_map(GatewayId::from_bytes)
}
pub fn socket() -> impl Strategy<Value = SocketNo> {
    any::<u8>().prop_map(SocketNo)
}
pub fn port() -> impl Strategy<Value = PortNo> {
    any::<u8>().prop_map(PortNo)
}
pub fn minutes() -> impl Strategy<Value = Seconds> {
    any::<u16>().prop_map(|m| Seconds::from_minutes(m.into()))
}
pub fn dw() -> impl Strategy<Value = DeciWatts> {
    any::<u16>().prop_map(|v| DeciWatts::new(v.into()))
}
pub fn fen16() -> impl Strategy<Value = Fen> {
    any::<u16>().prop_map(|v| Fen::new(v.into()))
}
pub fn wh16() -> impl Strategy<Value = Wh> {
    any::<u16>().prop_map(|v| Wh::new(v.into()))
}
pub fn celsius() -> impl Strategy<Value = Celsius> {
    any::<u8>().prop_map(|v| Celsius::new(v.into()))
}
/// Instants whose wall clock at +08:00 is in years 1970–2100.
pub fn instant() -> impl Strategy<Value = UnixTime> {
    (-28_800i64..4_102_444_800).prop_map(UnixTime::new)
}
fn tod() -> impl Strategy<Value = TimeOfDay> {
    any::<(u8, u8)>().prop_map(|(hour, minute)| TimeOfDay { hour, minute })
}
fn result() -> impl Strategy<Value = ResultCode> {
    any::<u8>().prop_map(ResultCode)
}
fn switch() -> impl Strategy<Value = Switch> {
    any::<u8>().prop_map(Switch)
}

fn port_report() -> impl Strategy<Value = PortReport> {
    (
        port(),
        any::<u8>(),
        any::<u16>(),
        any::<u16>(),
        dw(),
        any::<u16>(),
        wh16(),
        minutes(),
    )
        .prop_map(|(port, st, b, v, power, c, energy, d)| PortReport {
            port,
            status: PortStatus(st),
            business_no: BusinessNo(b),
            voltage: DeciVolts::new(v.into()),
            power,
            current: MilliAmps::new(c.into()),
            energy,
            charge_duration: d,
        })
}

fn end_report() -> impl Strategy<Value = EndReport> {
    (
        socket(),
        any::<u16>(),
        celsius(),
        any::<u8>(),
        port_report(),
    )
        .prop_map(|(socket, fw, t, rssi, p)| EndReport {
            socket,
            firmware: SocketFirmware(fw),
            temperature: t,
            rssi,
            port: p.port,
            status: p.status,
            business_no: p.business_no,
            power: p.power,
            current: p.current,
            energy: p.energy,
            charge_duration: p.charge_duration,
        })
}

fn brackets() -> impl Strategy<Value = Vec<PowerBracket>> {
    vec((dw(), fen16(), minutes()), 0..6).prop_map(|v| {
        v.into_iter()
            .map(|(max_power, price, duration)| PowerBracket {
                max_power,
                price,
                duration,
            })
            .collect()
    })
}

fn power_bracket_start() -> impl Strategy<Value = PowerBracketStart> {
    (socket(), port(), switch(), fen16(), brackets(), raw(4)).prop_map(
        |(socket, port, switch, amount, brackets, extra)| PowerBracketStart {
            socket,
            port,
            switch,
            amount,
            brackets,
            extra,
        },
    )
}

fn other_sub(known: &'static [u8]) -> impl Strategy<Value = OtherSub> {
    (
        any::<u8>().prop_filter("unknown sub", move |s| !known.contains(s)),
        raw(12),
    )
        .prop_map(|(sub_command, body)| OtherSub { sub_command, body })
}

fn socket_down() -> impl Strategy<Value = SocketDown> {
    prop_oneof![
        (socket(), raw(4))
            .prop_map(|(socket, extra)| SocketDown::QueryStatus(QueryStatus { socket, extra })),
        (
            socket(),
            port(),
            switch(),
            any::<u8>(),
            minutes(),
            wh16(),
            raw(4)
        )
            .prop_map(|(socket, port, switch, m, duration, energy, extra)| {
                SocketDown::Control(Control {
                    socket,
                    port,
                    switch,
                    mode: ControlMode(m),
                    duration,
                    energy,
                    extra,
                })
            }),
        power_bracket_start().prop_map(SocketDown::PowerBracketStart),
        (
            socket(),
            port(),
            any::<u16>(),
            switch(),
            any::<u8>(),
            any::<u16>(),
            wh16(),
            fen16(),
            brackets(),
            raw(4)
        )
            .prop_map(
                |(socket, port, b, switch, mode, duration_raw, energy, amount, brackets, extra)| {
                    let mode = BillingMode(mode);
                    let plan = (mode == BillingMode::POWER_BRACKETS)
                        .then_some(BracketPlan { amount, brackets });
                    SocketDown::CardOrder(CardOrder {
                        socket,
                        port,
                        business_no: BusinessNo(b),
                        switch,
                        mode,
                        duration_raw,
                        energy,
                        plan,
                        extra,
                    })
                }
            ),
        (socket(), result(), raw(4)).prop_map(|(socket, result, extra)| SocketDown::EndAck(
            EndAck {
                socket,
                result,
                extra
            }
        )),
        (socket(), port(), any::<[u8; 6]>(), any::<u32>(), raw(4)).prop_map(
            |(socket, port, c, bal, extra)| {
                SocketDown::BalanceAnswer(BalanceAnswer {
                    socket,
                    port,
                    card: CardNo::from_bytes(c),
                    balance: Fen::new(bal.into()),
                    extra,
                })
            }
        ),
        (
            socket(),
            port(),
            switch(),
            switch(),
            vec((tod(), tod()), 0..3),
            raw(4)
        )
            .prop_map(
                |(socket, port, beeper, voice, w, extra)| SocketDown::VoiceWindows(VoiceWindows {
                    socket,
                    port,
                    beeper,
                    voice,
                    windows: w
                        .into_iter()
                        .map(|(start, end)| TimeWindow { start, end })
                        .collect(),
                    extra,
                })
            ),
        other_sub(&[0x1d, 0x07, 0x17, 0x0b, 0x0c, 0x1a, 0x1b]).prop_map(SocketDown::Other),
    ]
}

fn socket_up() -> impl Strategy<Value = SocketUp> {
    let status = (
        socket(),
        any::<u16>(),
        celsius(),
        any::<u8>(),
        vec(port_report(), 0..4),
        raw(13),
    )
        .prop_map(
            |(socket, fw, temperature, rssi, ports, extra)| StatusAnswer {
                socket,
                firmware: SocketFirmware(fw),
                temperature,
                rssi,
                ports,
                extra,
            },
        )
        .boxed();
    prop_oneof![
        status.clone().prop_map(SocketUp::StatusAnswer),
        status.prop_map(SocketUp::StatusAnswerAs1D),
        (result(), socket(), port(), any::<u16>(), raw(4)).prop_map(
            |(result, socket, port, b, extra)| {
                SocketUp::ControlAnswer(ControlAnswer {
                    result,
                    socket,
                    port,
                    business_no: BusinessNo(b),
                    extra,
                })
            }
        ),
        (end_report(), raw(4))
            .prop_map(|(report, extra)| SocketUp::ChargeEnded(ChargeEnded { report, extra })),
        (
            end_report(),
            instant(),
            any::<u8>(),
            fen16(),
            dw(),
            vec(minutes(), 0..6),
            raw(4)
        )
            .prop_map(
                |(report, end_time, end_reason, amount, settle_power, bracket_durations, extra)| {
                    SocketUp::PowerBracketEnded(PowerBracketEnded {
                        report,
                        end_time,
                        end_reason,
                        amount,
                        settle_power,
                        bracket_durations,
                        extra,
                    })
                }
            ),
        (
            socket(),
            port(),
            any::<u16>(),
            any::<u8>(),
            any::<[u8; 6]>(),
            any::<[u8; 20]>(),
            raw(4)
        )
            .prop_map(|(socket, port, b, st, c, off, extra)| SocketUp::CardSwiped(
                CardSwiped {
                    socket,
                    port,
                    business_no: BusinessNo(b),
                    status: PortStatus(st),
                    card: CardNo::from_bytes(c),
                    offline_params: RawBytes(off.to_vec().into()),
                    extra,
                }
            )),
        (socket(), port(), result(), raw(4)).prop_map(|(socket, port, result, extra)| {
            SocketUp::OrderAccepted(OrderAccepted {
                socket,
                port,
                result,
                extra,
            })
        }),
        (
            end_report(),
            any::<[u8; 6]>(),
            any::<u8>(),
            any::<u8>(),
            fen16(),
            dw(),
            vec(minutes(), 0..6),
            raw(4)
        )
            .prop_map(
                |(report, c, card_type, m, amount, settle_power, bracket_durations, extra)| {
                    SocketUp::CardChargeEnded(CardChargeEnded {
                        report,
                        card: CardNo::from_bytes(c),
                        card_type,
                        billing_mode: BillingMode(m),
                        amount,
                        settle_power,
                        bracket_durations,
                        extra,
                    })
                }
            ),
        (socket(), port(), any::<[u8; 6]>(), raw(4)).prop_map(|(socket, port, c, extra)| {
            SocketUp::BalanceQuery(BalanceQuery {
                socket,
                port,
                card: CardNo::from_bytes(c),
                extra,
            })
        }),
        (socket(), port(), result(), raw(4)).prop_map(|(socket, port, result, extra)| {
            SocketUp::VoiceAnswer(VoiceAnswer {
                socket,
                port,
                result,
                extra,
            })
        }),
        other_sub(&[0x1c, 0x1d, 0x07, 0x02, 0x18, 0x0b, 0x0f, 0x0c, 0x1a, 0x1b])
            .prop_map(SocketUp::Other),
    ]
}

fn node_list_down() -> impl Strategy<Value = NodeListDown> {
    let change = (socket(), any::<[u8; 6]>(), raw(4))
        .prop_map(|(socket, m, extra)| NodeChange {
            socket,
            mac: Mac::from_bytes(m),
            extra,
        })
        .boxed();
    prop_oneof![
        (any::<u8>(), vec((socket(), any::<[u8; 6]>()), 0..6), raw(6)).prop_map(
            |(channel, n, extra)| {
                NodeListDown::Refresh(Refresh {
                    channel,
                    nodes: n
                        .into_iter()
                        .map(|(socket, m)| Node {
                            socket,
                            mac: Mac::from_bytes(m),
                        })
                        .collect(),
                    extra,
                })
            }
        ),
        change.clone().prop_map(NodeListDown::Add),
        change.prop_map(NodeListDown::Delete),
        power_bracket_start().prop_map(NodeListDown::PowerBracketStart),
        other_sub(&[0x08, 0x09, 0x0a, 0x17]).prop_map(NodeListDown::Other),
    ]
}

fn node_list_up() -> impl Strategy<Value = NodeListUp> {
    let r = (result(), raw(4))
        .prop_map(|(result, extra)| NodeResult { result, extra })
        .boxed();
    prop_oneof![
        r.clone().prop_map(NodeListUp::RefreshResult),
        r.clone().prop_map(NodeListUp::AddResult),
        r.prop_map(NodeListUp::DeleteResult),
        other_sub(&[0x08, 0x09, 0x0a]).prop_map(NodeListUp::Other),
    ]
}

pub fn gn_message() -> impl Strategy<Value = (Direction, Message)> {
    use Direction::{Down, Up};
    prop_oneof![
        (any::<[u8; 20]>(), any::<[u8; 8]>(), any::<u8>(), raw(4)).prop_map(
            |(i, f, signal, extra)| {
                (
                    Up,
                    Message::Heartbeat(Heartbeat {
                        iccid: PaddedAscii::from_bytes(i),
                        firmware: PaddedAscii::from_bytes(f),
                        signal,
                        extra,
                    }),
                )
            }
        ),
        (instant(), raw(4)).prop_map(|(time, extra)| (
            Down,
            Message::HeartbeatReply(HeartbeatReply { time, extra })
        )),
        (
            any::<u8>(),
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<[u8; 13]>(),
            raw(4)
        )
            .prop_map(|(target, ip, ftp_port, n, extra)| {
                (
                    Down,
                    Message::Ota(Ota {
                        target,
                        ftp_ip: ip.into(),
                        ftp_port,
                        file_name: PaddedAscii::from_bytes(n),
                        extra,
                    }),
                )
            }),
        node_list_down().prop_map(|m| (Down, Message::NodeListDown(m))),
        node_list_up().prop_map(|m| (Up, Message::NodeListUp(m))),
        socket_down().prop_map(|m| (Down, Message::SocketDown(m))),
        socket_up().prop_map(|m| (Up, Message::SocketUp(m))),
        super::props_bkv::bkv_packet().prop_map(|(d, p)| (d, Message::Bkv(p))),
        (
            any::<u16>().prop_filter("unknown", |c| ![0, 5, 7, 0x15, 0x1000].contains(c)),
            raw(40),
            any::<bool>()
        )
            .prop_map(|(command, payload, up)| {
                (
                    if up { Up } else { Down },
                    Message::Unknown(UnknownCommand { command, payload }),
                )
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_message_round_trips((direction, message) in gn_message(), seq in any::<u32>(), gw in gateway()) {
        let p = Packet::new(direction, seq, gw, message);
        let bytes = p.encode().unwrap();
        prop_assert_eq!(Packet::decode(&bytes).unwrap(), p);
    }

    #[test]
    fn decodable_payloads_reencode_exactly(
        command in prop_oneof![Just(0u16), Just(5), Just(7), Just(0x15), Just(0x1000), any::<u16>()],
        up in any::<bool>(),
        payload in bytes(64),
        seq in any::<u32>(),
        gw in gateway(),
    ) {
        let d = if up { Direction::Up } else { Direction::Down };
        let bytes = Frame::new(d, command, seq, gw, payload).encode().unwrap();
        if let Ok(p) = Packet::decode(&bytes) {
            prop_assert_eq!(p.encode().unwrap(), bytes);
        }
    }
}
