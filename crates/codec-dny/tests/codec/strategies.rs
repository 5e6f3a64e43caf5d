//! Struct-level strategies build messages the decoder would never produce
//! (optional fields set after absent ones, energies that are not whole
//! 0.01 kWh, powers beyond 16 bits, trailing bytes that would read as a
//! field): encoding must either refuse them or produce bytes that decode
//! back to exactly the same message (`decode(encode(m)) == m`).

use bytes::Bytes;
use codec_dny::*;
use proptest::prelude::*;

fn extra() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..4).prop_map(Bytes::from)
}

fn dw() -> impl Strategy<Value = DeciWatts> {
    prop_oneof![0u32..=0xFFFF, any::<u32>()].prop_map(DeciWatts::new)
}

fn wh() -> impl Strategy<Value = Wh> {
    prop_oneof![(0u64..=0xFFFF).prop_map(|v| v * 10), 0u64..700_000].prop_map(Wh::new)
}

fn order() -> impl Strategy<Value = OrderNo> {
    any::<[u8; 16]>().prop_map(OrderNo::new)
}

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::of(s)
}

/// Encoding either refuses `m` or round-trips it exactly, in a whole frame.
fn sound<M: Message + PartialEq + Clone + std::fmt::Debug>(m: M) -> Result<(), TestCaseError> {
    let frame = Frame {
        physical_id: PhysicalId::new(0x04AB_373B),
        message_id: MessageId::new(7),
        message: m,
    };
    if let Ok(bytes) = frame.to_bytes() {
        prop_assert_eq!(Frame::<M>::decode(&bytes).unwrap(), frame);
    }
    Ok(())
}

fn heartbeat() -> impl Strategy<Value = Heartbeat> {
    (
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..20),
        any::<u8>(),
        any::<u8>(),
        extra(),
    )
        .prop_map(|(v, ports, signal, t, extra)| Heartbeat {
            voltage: DeciVolts::new(v),
            port_status: PortStatuses::new(Bytes::from(ports)),
            signal,
            temperature: Temperature::from_raw(t),
            extra,
        })
}

fn old_heartbeat() -> impl Strategy<Value = OldHeartbeat> {
    let port = (any::<u8>(), dw(), dw()).prop_map(|(status, power, peak_power)| OldPortReading {
        status,
        power,
        peak_power,
    });
    (
        (
            any::<u16>(),
            any::<u16>(),
            prop::collection::vec(port, 0..6),
        ),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            opt(any::<u8>()),
            extra(),
        ),
    )
        .prop_map(
            |((fw, v, ports), (vid, signal, dt, t, wm, extra))| OldHeartbeat {
                firmware_version: fw,
                voltage: DeciVolts::new(v),
                ports,
                virtual_id: vid,
                signal,
                device_type: dt,
                temperature: Temperature::from_raw(t),
                work_mode: wm,
                extra,
            },
        )
}

fn register() -> impl Strategy<Value = Register> {
    (any::<[u8; 5]>(), any::<u16>(), opt(any::<u16>()), extra()).prop_map(|(b, fw, pb, extra)| {
        Register {
            firmware_version: fw,
            port_count: b[0],
            virtual_id: b[1],
            device_type: b[2],
            work_mode: b[3],
            power_board_version: pb,
            extra,
        }
    })
}

fn record() -> impl Strategy<Value = ChargeRecord> {
    (
        any::<u16>(),
        dw(),
        wh(),
        any::<[u8; 3]>(),
        any::<[u8; 4]>(),
        order(),
    )
        .prop_map(|(d, p, e, b, card, order_no)| ChargeRecord {
            charge_duration_s: d,
            max_power: p,
            energy: e,
            port: Port::new(b[0]),
            start_mode: b[1],
            card_id: CardId::new(card),
            stop_reason: b[2],
            order_no,
        })
}

fn settlement() -> impl Strategy<Value = Settlement> {
    (
        record(),
        opt(dw()),
        opt(any::<u32>()),
        opt(any::<u16>()),
        extra(),
    )
        .prop_map(|(record, smp, ts, occ, extra)| Settlement {
            record,
            second_max_power: smp,
            timestamp: ts.map(UnixTime::new),
            occupancy_min: occ,
            extra,
        })
}

fn power_heartbeat() -> impl Strategy<Value = PortPowerHeartbeat> {
    (
        (
            any::<[u8; 3]>(),
            any::<u16>(),
            wh(),
            dw(),
            dw(),
            dw(),
            dw(),
            order(),
        ),
        (
            opt(any::<u16>()),
            opt(dw()),
            opt(any::<u16>()),
            opt(0u32..70_000),
        ),
        (
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u32>()),
            opt(any::<u16>()),
            extra(),
        ),
    )
        .prop_map(
            |((b, d, e, p, mx, mn, av, o), (ie, pk, v, c), (at, pt, ts, occ, extra))| {
                PortPowerHeartbeat {
                    port: Port::new(b[0]),
                    status: b[1],
                    charge_duration_s: d,
                    energy: e,
                    start_mode: b[2],
                    power: p,
                    max_power: mx,
                    min_power: mn,
                    avg_power: av,
                    order_no: o,
                    interval_energy_raw: ie,
                    peak_power: pk,
                    voltage: v.map(DeciVolts::new),
                    current: c.map(MilliAmps::new),
                    ambient_temperature: at.map(Temperature::from_raw),
                    port_temperature: pt.map(Temperature::from_raw),
                    timestamp: ts.map(UnixTime::new),
                    occupancy_min: occ,
                    extra,
                }
            },
        )
}

fn start_stop() -> impl Strategy<Value = StartStop> {
    (
        (any::<[u8; 3]>(), any::<u32>(), any::<u16>(), order()),
        (
            opt(any::<u16>()),
            opt(dw()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u16>()),
        ),
        (
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            extra(),
        ),
    )
        .prop_map(
            |((b, boe, de, o), (md, op, qr, lc, ef), (sc, iu, fa, fp, fj, extra))| StartStop {
                rate_mode: b[0],
                balance_or_expiry: boe,
                port: Port::new(b[1]),
                charge_command: b[2],
                duration_or_energy: de,
                order_no: o,
                max_duration_s: md,
                overload_power: op,
                qr_light: qr,
                long_charge_mode: lc,
                extra_float_time_s: ef,
                short_circuit_check: sc,
                ignore_unplug: iu,
                force_auto_stop: fa,
                full_power_w: fp,
                full_power_max_judge_min: fj,
                extra,
            },
        )
}

fn start_stop_answer() -> impl Strategy<Value = StartStopAnswer> {
    (
        any::<u8>(),
        opt(order()),
        opt(any::<u8>()),
        opt(any::<u16>()),
        extra(),
    )
        .prop_map(
            |(result, order_no, port, waiting_ports, extra)| StartStopAnswer {
                result,
                order_no,
                port: port.map(Port::new),
                waiting_ports,
                extra,
            },
        )
}

fn card_swipe() -> impl Strategy<Value = CardSwipe> {
    (
        any::<[u8; 4]>(),
        any::<[u8; 2]>(),
        prop_oneof![0u32..=0xFFFF, any::<u32>()],
        opt(any::<u32>()),
        opt(prop::collection::vec(any::<u8>(), 0..20)),
        extra(),
    )
        .prop_map(|(card, b, bal, ts, card2, extra)| CardSwipe {
            card_id: CardId::new(card),
            card_type: b[0],
            port: Port::new(b[1]),
            balance: Fen::new(bal),
            timestamp: ts.map(UnixTime::new),
            card2: card2.map(Bytes::from),
            extra,
        })
}

fn host_status() -> impl Strategy<Value = HostStatus> {
    let ma =
        prop_oneof![(0u32..=0xFFFF).prop_map(|v| v * 10), any::<u32>()].prop_map(MilliAmps::new);
    (
        (any::<[u8; 4]>(), any::<u16>(), ma.clone(), wh(), ma, wh()),
        (
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            opt(any::<u8>()),
            extra(),
        ),
    )
        .prop_map(
            |((b, v, c, e, mc, me), (lk, lt, nt, bl, bs, extra))| HostStatus {
                breaker: b[0],
                temperature_raw: b[1],
                voltage: DeciVolts::new(v),
                current: c,
                energy: e,
                meter_current: mc,
                meter_energy: me,
                smoke_alarm: b[2],
                alarm_relay: b[3],
                leakage_ma: lk,
                live_temperature_raw: lt,
                neutral_temperature_raw: nt,
                breaker_lock: bl,
                breaker_style: bs,
                extra,
            },
        )
}

fn run_params2() -> impl Strategy<Value = RunParams2> {
    (
        any::<u16>(),
        dw(),
        opt(any::<u16>()),
        opt(any::<u16>()),
        extra(),
    )
        .prop_map(|(t, p, ov, uv, extra)| RunParams2 {
            max_charge_time_s: t,
            overload_power: p,
            over_voltage: ov.map(DeciVolts::new),
            under_voltage: uv.map(DeciVolts::new),
            extra,
        })
}

proptest! {
    #[test]
    fn heartbeat_0x21(m in heartbeat()) { sound(Uplink::Heartbeat(m))?; }

    #[test]
    fn old_heartbeat_0x01(m in old_heartbeat()) { sound(Uplink::OldHeartbeat(m))?; }

    #[test]
    fn register_0x20(m in register()) { sound(Uplink::Register(m))?; }

    #[test]
    fn settlement_0x03(m in settlement()) { sound(Uplink::Settlement(m))?; }

    #[test]
    fn charge_finished_0x43(record in record(), extra in extra()) {
        sound(Uplink::ChargeFinished(ChargeFinished { record, extra }))?;
    }

    #[test]
    fn port_power_heartbeat_0x06(m in power_heartbeat()) { sound(Uplink::PortPowerHeartbeat(m))?; }

    #[test]
    fn start_stop_0x82(m in start_stop()) { sound(Downlink::StartStop(m))?; }

    #[test]
    fn start_stop_answer_0x82(m in start_stop_answer()) { sound(Uplink::StartStopAnswer(m))?; }

    #[test]
    fn card_swipe_0x02(m in card_swipe()) { sound(Uplink::CardSwipe(m))?; }

    #[test]
    fn host_status_0x17(m in host_status()) { sound(Uplink::HostStatus(m))?; }

    #[test]
    fn run_params_0x85_0x92(m in run_params2()) {
        sound(Downlink::SetRunParams2(m.clone()))?;
        sound(Uplink::RunParams2(m))?;
    }
}

#[test]
fn valid_messages_always_encode() {
    // Options set as a prefix, energies in whole 0.01 kWh, no extra.
    let m = Settlement {
        record: ChargeRecord {
            energy: Wh::new(1230),
            ..Default::default()
        },
        second_max_power: Some(DeciWatts::new(5)),
        timestamp: Some(UnixTime::new(1)),
        occupancy_min: None,
        extra: Bytes::new(),
    };
    assert!(
        Frame {
            physical_id: PhysicalId::new(1),
            message_id: MessageId::new(1),
            message: Uplink::Settlement(m)
        }
        .to_bytes()
        .is_ok()
    );
    // And the refusals say why.
    let bad = Uplink::Settlement(Settlement {
        record: ChargeRecord {
            energy: Wh::new(1235),
            ..Default::default()
        },
        ..Default::default()
    });
    let e = Frame {
        physical_id: PhysicalId::new(1),
        message_id: MessageId::new(1),
        message: bad,
    }
    .to_bytes()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot encode command 0x03 field `energy`: 1235 Wh is not a multiple of 10 Wh (0.01 kWh)"
    );
    let gap = Downlink::StartStop(StartStop {
        max_duration_s: None,
        qr_light: Some(1),
        ..Default::default()
    });
    let e = Frame {
        physical_id: PhysicalId::new(1),
        message_id: MessageId::new(1),
        message: gap,
    }
    .to_bytes()
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("earlier optional field `max_duration_s`"),
        "{e}"
    );
}
