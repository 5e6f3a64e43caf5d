//! GN: BKV parameters, fee-mode and power-bracket orders, the node list, events.

use codec_gn::bkv::{BkvBody, BkvPacket, FeeBracket, QueryParams, SetParams, StartStop};
use codec_gn::codes::{RawBytes, Switch, TimeOfDay};
use codec_gn::msg::node_list::{Node, NodeListDown, NodeListUp, Refresh};
use codec_gn::msg::socket_common::PowerBracket;
use codec_gn::msg::socket_down::{PowerBracketStart, SocketDown, VoiceWindows};
use codec_gn::msg::socket_up::SocketUp;
use codec_gn::units::{DeciWatts, Fen, Seconds, Wh};
use codec_gn::{BusinessNo, Message, PortNo, SocketNo};
use sim::{EndReason, spawn_pile};

use crate::gn::{config, is_bkv, is_up, ready};
use crate::gn_gw::Listener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bkv_parameters_fee_mode_and_power_brackets() {
    let gw = Listener::bind().await;
    let (_pile, mut events) = spawn_pile(config(gw.addr, 5, 2)).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    let gw_id = conn.gateway.unwrap();
    let bkv = |seq, body| Message::Bkv(BkvPacket::new(seq, gw_id, body));
    conn.send(
        0x31,
        bkv(
            0x31,
            BkvBody::SetParams(SetParams {
                socket: Some(SocketNo(1)),
                power_limit: Some(DeciWatts::new(5000)),
                ..SetParams::default()
            }),
        ),
    );
    let a = conn.packet(|p| p.sequence == 0x31).await;
    assert!(is_bkv(
        &a,
        |b| matches!(b, BkvBody::SetParamsAnswer(x) if x.ack.is_some_and(|r| r.is_ok()))
    ));
    conn.send(
        0x32,
        bkv(
            0x32,
            BkvBody::QueryParams(QueryParams {
                socket: Some(SocketNo(1)),
                ..QueryParams::default()
            }),
        ),
    );
    let a = conn.packet(|p| p.sequence == 0x32).await;
    assert!(is_bkv(
        &a,
        |b| matches!(b, BkvBody::ParamsAnswer(x) if x.power_limit == Some(DeciWatts::new(5000)))
    ));
    // Fee mode: 20 fen at 0.50 + 0.50 yuan/kWh buys 200 Wh = 1 h at 200 W.
    let start = StartStop {
        socket: Some(SocketNo(1)),
        port: Some(PortNo(0)),
        switch: Some(Switch::ON),
        charge_mode: Some(4),
        control_type: Some(1),
        payment: Some(Fen::new(20)),
        service_fee_mode: Some(1),
        bracket_count: Some(1),
        fee_brackets: Some(vec![FeeBracket {
            end: TimeOfDay::END_OF_DAY,
            electricity_price: Fen::new(50),
            service_fee: Fen::new(50),
        }]),
        ..StartStop::default()
    };
    conn.send(0x33, bkv(0x33, BkvBody::StartStop(start)));
    let a = conn.packet(|p| p.sequence == 0x33).await;
    assert!(is_bkv(
        &a,
        |b| matches!(b, BkvBody::StartStopAnswer(x) if x.business_no.is_some())
    ));
    // Power brackets on socket 2: 25 fen at 0.25 yuan per hour up to 200 W = 1 h.
    let pb = PowerBracketStart {
        socket: SocketNo(2),
        port: PortNo(1),
        switch: Switch::ON,
        amount: Fen::new(25),
        brackets: vec![PowerBracket {
            max_power: DeciWatts::new(2000),
            price: Fen::new(25),
            duration: Seconds::from_minutes(60),
        }],
        extra: RawBytes::default(),
    };
    conn.send(0x34, Message::SocketDown(SocketDown::PowerBracketStart(pb)));
    let a = conn.packet(|p| p.sequence == 0x34).await;
    assert!(is_up(
        &a,
        |m| matches!(m, SocketUp::Other(o) if o.sub_command == 0x17 && o.body.0[0] == 1)
    ));
    // Both end after an hour (simulated); collect the two end reports in any order.
    let (mut fee_end, mut br_end) = (None, None);
    while fee_end.is_none() || br_end.is_none() {
        let p = conn
            .packet(|p| {
                is_bkv(p, |b| matches!(b, BkvBody::ChargeEnded(_)))
                    || is_up(p, |m| matches!(m, SocketUp::PowerBracketEnded(_)))
            })
            .await;
        match p.message {
            Message::Bkv(BkvPacket {
                body: BkvBody::ChargeEnded(e),
                ..
            }) => fee_end = Some(e),
            Message::SocketUp(SocketUp::PowerBracketEnded(e)) => br_end = Some(e),
            _ => unreachable!(),
        }
    }
    let (e, b) = (fee_end.unwrap(), br_end.unwrap());
    assert_eq!(e.energy, Some(Wh::new(200)));
    assert_eq!(
        (e.electricity_fee, e.service_fee),
        (Some(Fen::new(10)), Some(Fen::new(10)))
    );
    assert_eq!(e.end_reason, Some(EndReason::Amount.gn_code()));
    assert_eq!(
        (b.amount, b.settle_power),
        (Fen::new(25), DeciWatts::new(2000))
    );
    assert_eq!(b.bracket_durations, vec![Seconds::new(3600)]);
    assert_ne!(b.report.business_no, BusinessNo(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_list_rebinds_sockets_and_faults_raise_events() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 6, 2)).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    let mac = sim::ids::gn_socket_mac(6, 2);
    let refresh = Message::NodeListDown(NodeListDown::Refresh(Refresh {
        channel: 1,
        nodes: vec![Node {
            socket: SocketNo(9),
            mac,
        }],
        extra: RawBytes::default(),
    }));
    conn.send(0x41, refresh);
    let a = conn.packet(|p| p.sequence == 0x41).await;
    assert!(
        matches!(&a.message, Message::NodeListUp(NodeListUp::RefreshResult(r)) if r.result.is_ok())
    );
    let st = conn
        .packet(|p| is_bkv(p, |b| matches!(b, BkvBody::StatusReport(_))))
        .await;
    let Message::Bkv(BkvPacket {
        body: BkvBody::StatusReport(r),
        ..
    }) = &st.message
    else {
        unreachable!()
    };
    let numbers: Vec<_> = r.sockets.iter().map(|s| s.socket).collect();
    assert_eq!(numbers, vec![Some(SocketNo(9))]);
    let state = pile.state().await.unwrap();
    assert_eq!(state.ports[2].port.device, "82300000000006-9");
    assert_eq!(state.ports[0].status, sim::PortStatus::Unbound);
    // Voice windows for every socket (254) are answered for 254.
    let voice = Message::SocketDown(SocketDown::VoiceWindows(VoiceWindows {
        socket: SocketNo::BROADCAST,
        port: PortNo(0),
        beeper: Switch::ON,
        voice: Switch::OFF,
        windows: vec![],
        extra: RawBytes::default(),
    }));
    conn.send(0x42, voice);
    let a = conn.packet(|p| p.sequence == 0x42).await;
    assert!(is_up(
        &a,
        |m| matches!(m, SocketUp::VoiceAnswer(v) if v.socket == SocketNo::BROADCAST && v.result.is_ok())
    ));
    pile.fault(3, sim::PortFault::Overload).await.unwrap();
    let ev = conn
        .packet(|p| is_bkv(p, |b| matches!(b, BkvBody::Event(_))))
        .await;
    assert!(is_bkv(
        &ev,
        |b| matches!(b, BkvBody::Event(e) if e.socket == Some(SocketNo(9)) && e.port2_event_reason == Some(1))
    ));
}
