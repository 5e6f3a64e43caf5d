//! End reports: acknowledged always, published once per (socket, port, business no).

use super::*;

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
