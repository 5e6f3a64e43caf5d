//! BKV property tests: generic item lists round-trip, every typed BKV body
//! round-trips, and any list that decodes re-encodes exactly.

use bytes::Bytes;
use codec_gn::bkv::*;
use codec_gn::codes::{PortStatus, RawBytes, ResultCode, SocketFirmware, Switch, TimeOfDay};
use codec_gn::units::*;
use codec_gn::{BusinessNo, Direction, PortNo, SocketNo};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

use super::props::{bytes, celsius, dw, fen16, gateway, instant, minutes, wh16};

fn item() -> impl Strategy<Value = BkvItem> {
    prop_oneof![
        (any::<u8>(), bytes(20)).prop_map(|(k, v)| BkvItem::new(k, v)),
        (any::<bool>(), bytes(4), bytes(160))
            .prop_map(|(text, k, v)| { BkvItem::with_key(BkvKey::from_raw(text, k).unwrap(), v) }),
    ]
}

/// Items no typed record claims: number keys 0xA0–0xFF, string keys, or
/// multi-byte keys.
fn extra() -> impl Strategy<Value = Vec<BkvItem>> {
    let unknown = prop_oneof![
        (0xa0u8..=0xff, bytes(6)).prop_map(|(k, v)| BkvItem::new(k, v)),
        (bytes(3), bytes(6))
            .prop_map(|(k, v)| BkvItem::with_key(BkvKey::from_raw(true, k).unwrap(), v)),
        (any::<[u8; 2]>(), bytes(6)).prop_map(|(k, v)| {
            BkvItem::with_key(
                BkvKey::from_raw(false, Bytes::copy_from_slice(&k)).unwrap(),
                v,
            )
        }),
    ];
    vec(unknown, 0..3)
}

fn socket() -> impl Strategy<Value = Option<SocketNo>> {
    of(any::<u8>().prop_map(SocketNo))
}
fn port() -> impl Strategy<Value = Option<PortNo>> {
    of(any::<u8>().prop_map(PortNo))
}
fn ack() -> impl Strategy<Value = Option<ResultCode>> {
    of(any::<u8>().prop_map(ResultCode))
}
fn status() -> impl Strategy<Value = Option<PortStatus>> {
    of(any::<u8>().prop_map(PortStatus))
}
fn business() -> impl Strategy<Value = Option<BusinessNo>> {
    of(any::<u16>().prop_map(BusinessNo))
}
fn u8o() -> impl Strategy<Value = Option<u8>> {
    of(any::<u8>())
}
fn secs16() -> impl Strategy<Value = Seconds> {
    any::<u16>().prop_map(|s| Seconds::new(s.into()))
}
fn dv() -> impl Strategy<Value = DeciVolts> {
    any::<u16>().prop_map(|v| DeciVolts::new(v.into()))
}
fn ma() -> impl Strategy<Value = MilliAmps> {
    any::<u16>().prop_map(|v| MilliAmps::new(v.into()))
}

fn port_cluster() -> impl Strategy<Value = PortCluster> {
    (
        (port(), status(), business(), of(dv())),
        (of(dw()), of(ma()), of(wh16()), of(minutes())),
        extra(),
    )
        .prop_map(
            |(
                (port, status, business_no, voltage),
                (power, current, energy, charge_duration),
                extra,
            )| PortCluster {
                port,
                status,
                business_no,
                voltage,
                power,
                current,
                energy,
                charge_duration,
                extra,
                layout: Layout::default(),
            },
        )
}

fn status_report() -> impl Strategy<Value = StatusReport> {
    let socket_cluster = (
        socket(),
        of(any::<u16>()),
        of(celsius()),
        u8o(),
        vec(port_cluster(), 0..3),
        extra(),
    )
        .prop_map(
            |(socket, fw, temperature, rssi, ports, extra)| SocketCluster {
                socket,
                firmware: fw.map(SocketFirmware),
                temperature,
                rssi,
                ports,
                extra,
                layout: Layout::default(),
            },
        );
    (vec(socket_cluster, 0..3), extra()).prop_map(|(sockets, extra)| StatusReport {
        sockets,
        extra,
        layout: Layout::default(),
    })
}

fn charge_ended() -> impl Strategy<Value = ChargeEnded> {
    (
        (of(celsius()), socket(), port(), status(), business()),
        (
            of(dw()),
            of(ma()),
            of(wh16()),
            of(minutes()),
            of(instant()),
            u8o(),
        ),
        (
            u8o(),
            of(fen16()),
            of(fen16()),
            u8o(),
            of(bytes(12).prop_map(RawBytes)),
            extra(),
        ),
    )
        .prop_map(|(a, b, c)| ChargeEnded {
            temperature: a.0,
            socket: a.1,
            port: a.2,
            status: a.3,
            business_no: a.4,
            power: b.0,
            current: b.1,
            energy: b.2,
            charge_duration: b.3,
            end_time: b.4,
            end_reason: b.5,
            charge_mode: c.0,
            electricity_fee: c.1,
            service_fee: c.2,
            bracket_count: c.3,
            bracket_usage: c.4,
            extra: c.5,
            layout: Layout::default(),
        })
}

fn start_stop() -> impl Strategy<Value = StartStop> {
    let bracket =
        (any::<(u8, u8)>(), fen16(), fen16()).prop_map(|((hour, minute), e, s)| FeeBracket {
            end: TimeOfDay { hour, minute },
            electricity_price: e,
            service_fee: s,
        });
    (
        (
            socket(),
            port(),
            of(any::<u8>().prop_map(Switch)),
            u8o(),
            u8o(),
        ),
        (of(fen16()), u8o(), u8o(), of(vec(bracket, 0..4)), extra()),
    )
        .prop_map(|(a, b)| StartStop {
            socket: a.0,
            port: a.1,
            switch: a.2,
            charge_mode: a.3,
            control_type: a.4,
            payment: b.0,
            service_fee_mode: b.1,
            bracket_count: b.2,
            fee_brackets: b.3,
            extra: b.4,
            layout: Layout::default(),
        })
}

fn event() -> impl Strategy<Value = Event> {
    (
        (socket(), u8o(), u8o(), u8o(), u8o(), u8o(), u8o()),
        (
            of(dv()),
            of(dv()),
            of(any::<u16>()),
            of(any::<u16>()),
            u8o(),
            u8o(),
            status(),
            status(),
        ),
        extra(),
    )
        .prop_map(|(a, b, extra)| Event {
            socket: a.0,
            socket_event_reason: a.1,
            socket_event_status: a.2,
            port1_event_reason: a.3,
            port1_event_status: a.4,
            port2_event_reason: a.5,
            port2_event_status: a.6,
            over_voltage: b.0,
            under_voltage: b.1,
            port1_leak_current_raw: b.2,
            port2_leak_current_raw: b.3,
            port1_over_temperature_raw: b.4,
            port2_over_temperature_raw: b.5,
            port1_charge_status: b.6,
            port2_charge_status: b.7,
            extra,
            layout: Layout::default(),
        })
}

type Params = (
    (
        Option<Seconds>,
        Option<Seconds>,
        Option<DeciWatts>,
        Option<DeciWatts>,
        Option<Celsius>,
        Option<DeciWatts>,
    ),
    (
        Option<Seconds>,
        Option<u8>,
        Option<MilliAmps>,
        Option<Fen>,
        Option<u16>,
    ),
);

fn params() -> impl Strategy<Value = Params> {
    (
        (
            of(secs16()),
            of(secs16()),
            of(dw()),
            of(dw()),
            of(celsius()),
            of(dw()),
        ),
        (
            of(minutes()),
            u8o(),
            of(ma()),
            of(any::<u32>().prop_map(|v| Fen::new(v.into()))),
            of(any::<u16>()),
        ),
    )
}

fn body(direction: Direction) -> BoxedStrategy<BkvBody> {
    let small = |s: Option<SocketNo>, p: Option<PortNo>, a: Option<ResultCode>, e: Vec<BkvItem>| {
        (s, p, a, e)
    };
    let answers = (socket(), port(), ack(), extra())
        .prop_map(move |(s, p, a, e)| small(s, p, a, e))
        .boxed();
    match direction {
        Direction::Up => prop_oneof![
            status_report().prop_map(BkvBody::StatusReport),
            charge_ended().prop_map(BkvBody::ChargeEnded),
            (answers.clone(), business()).prop_map(|((socket, port, ack, extra), business_no)| {
                BkvBody::StartStopAnswer(StartStopAnswer {
                    socket,
                    port,
                    ack,
                    business_no,
                    extra,
                    layout: Layout::default(),
                })
            }),
            event().prop_map(BkvBody::Event),
            answers.clone().prop_map(|(socket, _, ack, extra)| {
                BkvBody::SetParamsAnswer(SetParamsAnswer {
                    socket,
                    ack,
                    extra,
                    layout: Layout::default(),
                })
            }),
            (socket(), ack(), params(), extra()).prop_map(|(socket, ack, (a, b), extra)| {
                BkvBody::ParamsAnswer(ParamsAnswer {
                    socket,
                    ack,
                    full_charge_delay: a.0,
                    no_load_delay: a.1,
                    full_power_threshold: a.2,
                    no_load_power_threshold: a.3,
                    high_temperature_threshold: a.4,
                    power_limit: a.5,
                    max_charge_duration: b.0,
                    trickle_threshold_pct: b.1,
                    overcurrent_limit: b.2,
                    key_base_amount: b.3,
                    anti_pulse_time_raw: b.4,
                    extra,
                    layout: Layout::default(),
                })
            }),
            (socket(), port(), of(instant()), extra()).prop_map(|(socket, port, time, extra)| {
                BkvBody::ConnectReport(ConnectReport {
                    socket,
                    port,
                    time,
                    extra,
                    layout: Layout::default(),
                })
            }),
            other(&[0x1017, 0x1004, 0x1007, 0x1010, 0x1011, 0x1012, 0x1013]),
        ]
        .boxed(),
        Direction::Down => prop_oneof![
            (ack(), extra()).prop_map(|(ack, extra)| {
                BkvBody::StatusReportAck(StatusReportAck {
                    ack,
                    extra,
                    layout: Layout::default(),
                })
            }),
            answers.clone().prop_map(|(socket, port, ack, extra)| {
                BkvBody::ChargeEndedAck(ChargeEndedAck {
                    ack,
                    socket,
                    port,
                    extra,
                    layout: Layout::default(),
                })
            }),
            start_stop().prop_map(BkvBody::StartStop),
            answers.prop_map(|(socket, _, ack, extra)| {
                BkvBody::EventAck(EventAck {
                    socket,
                    ack,
                    extra,
                    layout: Layout::default(),
                })
            }),
            (socket(), params(), extra()).prop_map(|(socket, (a, b), extra)| {
                BkvBody::SetParams(SetParams {
                    socket,
                    full_charge_delay: a.0,
                    no_load_delay: a.1,
                    full_power_threshold: a.2,
                    no_load_power_threshold: a.3,
                    high_temperature_threshold: a.4,
                    power_limit: a.5,
                    max_charge_duration: b.0,
                    trickle_threshold_pct: b.1,
                    overcurrent_limit: b.2,
                    key_base_amount: b.3,
                    anti_pulse_time_raw: b.4,
                    extra,
                    layout: Layout::default(),
                })
            }),
            (socket(), extra()).prop_map(|(socket, extra)| {
                BkvBody::QueryParams(QueryParams {
                    socket,
                    extra,
                    layout: Layout::default(),
                })
            }),
            other(&[0x1017, 0x1004, 0x1007, 0x1010, 0x1011, 0x1012]),
        ]
        .boxed(),
    }
}

fn other(known: &'static [u16]) -> impl Strategy<Value = BkvBody> {
    (
        any::<u16>().prop_filter("untyped", move |c| !known.contains(c)),
        extra(),
    )
        .prop_map(|(command, extra)| BkvBody::Other {
            command,
            body: OtherBody {
                extra,
                layout: Layout::default(),
            },
        })
}

/// A typed BKV packet and the direction it travels.
pub fn bkv_packet() -> impl Strategy<Value = (Direction, BkvPacket)> {
    (any::<bool>(), of(any::<u64>()), of(gateway())).prop_flat_map(|(up, sequence, gateway_id)| {
        let d = if up { Direction::Up } else { Direction::Down };
        body(d).prop_map(move |body| {
            (
                d,
                BkvPacket {
                    sequence,
                    gateway_id,
                    body,
                },
            )
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generic_lists_round_trip(items in vec(item(), 0..8)) {
        let wire = encode_list(&items);
        prop_assert_eq!(parse_list(&wire).unwrap(), items);
    }

    #[test]
    fn any_bytes_parse_or_fail_cleanly(b in bytes(64)) {
        if let Ok(items) = parse_list(&b) {
            prop_assert_eq!(encode_list(&items), b);
        }
    }

    #[test]
    fn typed_packets_round_trip((direction, packet) in bkv_packet()) {
        let mut out = bytes::BytesMut::new();
        packet.encode_into(&mut out).unwrap();
        let wire = out.freeze();
        prop_assert_eq!(BkvPacket::decode(&wire, direction).unwrap(), packet);
    }

    #[test]
    fn decodable_lists_reencode_exactly(
        items in vec(prop_oneof![
            (prop::sample::select(vec![0x01u8, 0x02, 0x03, 0x08, 0x0a, 0x0e, 0x0f, 0x2e, 0x4a, 0x5b, 0x83, 0x94]),
             bytes(10)).prop_map(|(k, v)| BkvItem::new(k, v)),
            item(),
        ], 0..10),
        command in prop::sample::select(vec![0x1017u16, 0x1004, 0x1007, 0x1010, 0x1011, 0x1012, 0x1013, 0x4242]),
        up in any::<bool>(),
    ) {
        let mut all = vec![BkvItem::new(1, Bytes::copy_from_slice(&command.to_be_bytes()))];
        all.extend(items);
        let wire = encode_list(&all);
        let d = if up { Direction::Up } else { Direction::Down };
        if let Ok(p) = BkvPacket::decode(&wire, d) {
            let mut out = bytes::BytesMut::new();
            p.encode_into(&mut out).unwrap();
            prop_assert_eq!(out.freeze(), wire);
        }
    }
}
