//! Card swipes, balance queries and start answers.

use super::*;

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
