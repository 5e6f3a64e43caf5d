//! GN gateways against the in-test server.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codec_gn::bkv::{BkvBody, BkvPacket};
use codec_gn::codes::{BillingMode, ControlMode, PortStatus, RawBytes, Switch};
use codec_gn::msg::socket_down::{BalanceAnswer, CardOrder, Control, QueryStatus, SocketDown};
use codec_gn::msg::socket_up::SocketUp;
use codec_gn::units::{Fen, Seconds, Wh};
use codec_gn::{Message, Packet, PortNo, SocketNo};
use sim::{EndReason, PileConfig, PowerCurve, Protocol, SimEvent, spawn_pile};

use crate::gn_gw::{Conn, Listener, Seen, WAIT};

pub fn config(addr: SocketAddr, index: u32, sockets: u8) -> PileConfig {
    let mut cfg = PileConfig::new(Protocol::Gn, index, addr)
        .with_speed(3600)
        .with_ports(sockets);
    let p = cfg.profile_mut();
    p.curve = PowerCurve::constant_watts(200);
    p.backoff_min = Duration::from_secs(1);
    cfg
}

fn control(socket: u8, port: u8, on: bool, mode: ControlMode, minutes: u32, wh: i64) -> Message {
    Message::SocketDown(SocketDown::Control(Control {
        socket: SocketNo(socket),
        port: PortNo(port),
        switch: if on { Switch::ON } else { Switch::OFF },
        mode,
        duration: Seconds::from_minutes(minutes),
        energy: Wh::new(wh),
        extra: RawBytes::default(),
    }))
}

pub fn is_up(p: &Packet, f: impl Fn(&SocketUp) -> bool) -> bool {
    matches!(&p.message, Message::SocketUp(m) if f(m))
}

pub fn is_bkv(p: &Packet, f: impl Fn(&BkvBody) -> bool) -> bool {
    matches!(&p.message, Message::Bkv(b) if f(&b.body))
}

pub async fn ready(conn: &mut Conn, events: &mut sim::EventStream) {
    conn.packet(|p| is_bkv(p, |b| matches!(b, BkvBody::StatusReport(_))))
        .await;
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::Registered))
        .await
        .expect("gateway not registered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_connect_report_and_status_clusters() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 7, 3)).unwrap();
    let mut conn = gw.accept().await;
    let Seen::Packet(hb) = conn.next().await else {
        panic!("expected a heartbeat first")
    };
    let Message::Heartbeat(h) = &hb.message else {
        panic!("expected a heartbeat first, got {:?}", hb.message)
    };
    assert_eq!(hb.gateway_id.to_string(), "82300000000007");
    assert_eq!(pile.id(), "82300000000007");
    assert_eq!(h.iccid.text(), "89860100000000000007");
    assert_eq!(hb.sequence, 0);
    let Seen::Packet(cr) = conn.next().await else {
        panic!()
    };
    assert!(is_bkv(&cr, |b| matches!(b, BkvBody::ConnectReport(_))));
    let Seen::Packet(st) = conn.next().await else {
        panic!()
    };
    let Message::Bkv(BkvPacket {
        body: BkvBody::StatusReport(r),
        ..
    }) = &st.message
    else {
        panic!("expected a status cluster, got {:?}", st.message)
    };
    assert_eq!(r.sockets.len(), 3);
    for (i, s) in r.sockets.iter().enumerate() {
        assert_eq!(s.socket, Some(SocketNo(i as u8 + 1)));
        assert_eq!(s.ports.len(), 2);
        assert!(s.ports.iter().all(|p| p.status == Some(PortStatus(0x80))));
    }
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::Registered))
        .await
        .unwrap();
    // Heartbeats every (scaled) minute, clusters every 5.
    conn.packet(|p| matches!(p.message, Message::Heartbeat(_)))
        .await;
    conn.packet(|p| is_bkv(p, |b| matches!(b, BkvBody::StatusReport(_))))
        .await;
    assert_eq!(pile.ports()[5].to_string(), "82300000000007-3#2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_start_by_time_and_energy_stop_and_end_reports() {
    let gw = Listener::bind().await;
    let (_pile, mut events) = spawn_pile(config(gw.addr, 1, 2)).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    conn.send(
        0x001c_9a51,
        control(1, 0, true, ControlMode::BY_TIME, 60, 0),
    );
    let ans = conn
        .packet(|p| is_up(p, |m| matches!(m, SocketUp::ControlAnswer(_))))
        .await;
    assert_eq!(ans.sequence, 0x001c_9a51);
    let Message::SocketUp(SocketUp::ControlAnswer(a)) = &ans.message else {
        unreachable!()
    };
    assert!(a.result.is_ok());
    let business = a.business_no;
    assert_ne!(business.0, 0);
    // The change shows in a status cluster at once.
    conn.packet(|p| {
        is_bkv(p, |b| {
            matches!(b, BkvBody::StatusReport(r) if r.sockets.iter().any(|s| s.ports.iter()
                .any(|x| x.status == Some(PortStatus(0x90)) && x.business_no == Some(business))))
        })
    })
    .await;
    // Port B by energy, then stopped by the server.
    conn.send(0x22, control(2, 1, true, ControlMode::BY_ENERGY, 0, 100));
    let b = conn.packet(|p| p.sequence == 0x22).await;
    let Message::SocketUp(SocketUp::ControlAnswer(b)) = &b.message else {
        panic!("{b:?}")
    };
    let business_b = b.business_no;
    assert_ne!(business_b, business);
    conn.send(0x23, control(2, 1, false, ControlMode::BY_ENERGY, 0, 0));
    let s = conn.packet(|p| p.sequence == 0x23).await;
    assert!(
        matches!(&s.message, Message::SocketUp(SocketUp::ControlAnswer(a)) if a.business_no == business_b && a.result.is_ok())
    );
    let stopped = conn
        .packet(|p| {
            is_up(
                p,
                |m| matches!(m, SocketUp::ChargeEnded(e) if e.report.business_no == business_b),
            )
        })
        .await;
    assert!(
        matches!(&stopped.message, Message::SocketUp(SocketUp::ChargeEnded(e)) if e.report.status == PortStatus(0x90))
    );
    // Port A ends by time after 60 minutes.
    let end = conn
        .packet(|p| {
            is_up(
                p,
                |m| matches!(m, SocketUp::ChargeEnded(e) if e.report.business_no == business),
            )
        })
        .await;
    let Message::SocketUp(SocketUp::ChargeEnded(e)) = &end.message else {
        unreachable!()
    };
    assert_eq!(e.report.charge_duration, Seconds::new(3600));
    assert_eq!(e.report.energy, Wh::new(200));
    assert_eq!(e.report.status, PortStatus(0xB0));
    let settled = events
        .wait_for(WAIT, |e| {
            matches!(e, SimEvent::Settled { order: sim::OrderRef::Gn(b), .. } if *b == business.0)
        })
        .await
        .unwrap();
    assert!(matches!(
        settled,
        SimEvent::Settled {
            energy_wh: 200,
            duration_s: 3600,
            reason: EndReason::Time,
            ..
        }
    ));
    events
        .wait_for(WAIT, |e| {
            matches!(e, SimEvent::SettlementAcked { order: sim::OrderRef::Gn(b), .. } if *b == business.0)
        })
        .await
        .expect("end report not acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_swipe_order_and_balance() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 2, 2)).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    let card = 0x0000_0029_8352u64;
    pile.swipe_card(2, card).await.unwrap();
    let sw = conn
        .packet(|p| is_up(p, |m| matches!(m, SocketUp::CardSwiped(_))))
        .await;
    let Message::SocketUp(SocketUp::CardSwiped(s)) = &sw.message else {
        unreachable!()
    };
    assert_eq!((s.socket, s.port), (SocketNo(2), PortNo(0)));
    assert_eq!(s.card.to_string(), "000000298352");
    let order = Message::SocketDown(SocketDown::CardOrder(CardOrder {
        socket: s.socket,
        port: s.port,
        business_no: s.business_no,
        switch: Switch::ON,
        mode: BillingMode::TIME,
        duration_raw: 600,
        energy: Wh::new(0),
        plan: None,
        extra: RawBytes::default(),
    }));
    conn.send(0x77, order);
    let acc = conn.packet(|p| p.sequence == 0x77).await;
    assert!(
        matches!(&acc.message, Message::SocketUp(SocketUp::OrderAccepted(a)) if a.result.is_ok())
    );
    let end = conn
        .packet(|p| is_up(p, |m| matches!(m, SocketUp::CardChargeEnded(_))))
        .await;
    let Message::SocketUp(SocketUp::CardChargeEnded(e)) = &end.message else {
        unreachable!()
    };
    assert_eq!((e.card, e.billing_mode), (s.card, BillingMode::TIME));
    assert_eq!(e.report.business_no, s.business_no);
    assert_eq!(e.report.charge_duration, Seconds::new(600));
    assert_eq!(e.report.energy, Wh::new(33));
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::SettlementAcked { .. }))
        .await
        .unwrap();
    pile.query_balance(3, card).await.unwrap();
    let q = conn
        .packet(|p| is_up(p, |m| matches!(m, SocketUp::BalanceQuery(_))))
        .await;
    let Message::SocketUp(SocketUp::BalanceQuery(q)) = &q.message else {
        unreachable!()
    };
    let answer = Message::SocketDown(SocketDown::BalanceAnswer(BalanceAnswer {
        socket: q.socket,
        port: q.port,
        card: q.card,
        balance: Fen::new(5001),
        extra: RawBytes::default(),
    }));
    conn.send(0x1234_5678, answer);
    let got = events
        .wait_for(WAIT, |e| matches!(e, SimEvent::CardAnswered { .. }))
        .await
        .unwrap();
    assert_eq!(
        got,
        SimEvent::CardAnswered {
            card,
            status: 0,
            balance_fen: Some(5001)
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unacknowledged_end_report_is_resent_then_the_gateway_reconnects() {
    let gw = Listener::bind().await;
    let (_pile, mut events) = spawn_pile(config(gw.addr, 3, 1)).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    conn.policy.ack_reports.store(false, Ordering::Relaxed);
    conn.send(9, control(1, 0, true, ControlMode::BY_TIME, 1, 0));
    let mut copies = Vec::new();
    while copies.len() < 4 {
        let p = conn
            .packet(|p| is_up(p, |m| matches!(m, SocketUp::ChargeEnded(_))))
            .await;
        copies.push(p);
    }
    assert!(copies.windows(2).all(|w| w[0] == w[1]));
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::Disconnected {
                    reason: sim::DisconnectReason::UnackedReports
                }
            )
        })
        .await
        .expect("gateway did not give up on the connection");
    let mut again = gw.accept().await;
    again
        .packet(|p| is_up(p, |m| matches!(m, SocketUp::ChargeEnded(_))))
        .await;
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::SettlementAcked { .. }))
        .await
        .expect("not acknowledged after the reconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_command_is_answered_on_resend() {
    let gw = Listener::bind().await;
    let mut cfg = config(gw.addr, 4, 1);
    cfg.profile_mut().faults.drop_command = Some(1);
    cfg.profile_mut().faults.drop_count = 1;
    let (_pile, mut events) = spawn_pile(cfg).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    let query = Message::SocketDown(SocketDown::QueryStatus(QueryStatus {
        socket: SocketNo(1),
        extra: RawBytes::default(),
    }));
    conn.send(0x001c_91ee, query.clone());
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::CommandReceived {
                    dropped: true,
                    id: 0x001c_91ee,
                    sub: Some(0x1D),
                    ..
                }
            )
        })
        .await
        .expect("not dropped");
    conn.send(0x001c_91ee, query);
    let a = conn.packet(|p| p.sequence == 0x001c_91ee).await;
    assert!(
        matches!(&a.message, Message::SocketUp(SocketUp::StatusAnswer(s)) if s.ports.len() == 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_malformed_and_reconnect() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 8, 1)).unwrap();
    let mut conn = gw.accept().await;
    ready(&mut conn, &mut events).await;
    pile.set_silent(true).await.unwrap();
    while conn.next_within(Duration::from_millis(100)).await.is_some() {}
    // Many heartbeat periods (17 ms each) pass without a byte, the socket stays.
    assert!(conn.next_within(Duration::from_millis(500)).await.is_none());
    pile.set_silent(false).await.unwrap();
    pile.send_malformed(sim::Malformed::BadChecksum)
        .await
        .unwrap();
    loop {
        match conn.next().await {
            Seen::Bad(e) if e.contains("checksum") => break,
            Seen::Closed => panic!("closed"),
            _ => {}
        }
    }
    conn.packet(|p| matches!(p.message, Message::Heartbeat(_)))
        .await;
    conn.close();
    let mut again = gw.accept().await;
    let Seen::Packet(first) = again.next().await else {
        panic!("expected a packet")
    };
    assert!(matches!(first.message, Message::Heartbeat(_)));
}
