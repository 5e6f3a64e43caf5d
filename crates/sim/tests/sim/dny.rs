//! DNY piles against the in-test gateway.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codec_dny::{CHARGE_START, CHARGE_STOP, Downlink, OrderNo, Port, StartStop, Uplink};
use sim::{EndReason, PileConfig, PowerCurve, Protocol, SimEvent, spawn_pile};

use crate::dny_gw::{Listener, Seen, WAIT};

/// 3600× speed: a 2-hour charge takes 2 s, a 3-minute heartbeat period 50 ms.
const SPEED: u32 = 3600;

pub fn config(addr: SocketAddr, index: u32) -> PileConfig {
    let mut cfg = PileConfig::new(Protocol::Dny, index, addr).with_speed(SPEED);
    let p = cfg.profile_mut();
    p.curve = PowerCurve::constant_watts(200);
    // Fast reconnects for the tests that close connections.
    p.backoff_min = Duration::from_secs(1);
    cfg
}

pub fn start(port: u8, order: OrderNo, seconds: u16) -> Downlink {
    Downlink::StartStop(StartStop {
        rate_mode: 0,
        balance_or_expiry: 1000,
        port: Port::new(port),
        charge_command: CHARGE_START,
        duration_or_energy: seconds,
        order_no: order,
        ..StartStop::default()
    })
}

fn stop(port: u8, order: OrderNo) -> Downlink {
    Downlink::StartStop(StartStop {
        port: Port::new(port),
        charge_command: CHARGE_STOP,
        order_no: order,
        ..StartStop::default()
    })
}

async fn registered(events: &mut sim::EventStream) {
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::Registered))
        .await
        .expect("pile did not register");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_with_iccid_then_register_then_heartbeat() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 7)).unwrap();
    let mut conn = gw.accept().await;
    match conn.next().await {
        Seen::Iccid(i) => assert_eq!(i, "89860000000000000007"),
        other => panic!("expected the ICCID first, got {other:?}"),
    }
    let Seen::Frame(reg) = conn.next().await else {
        panic!("expected the register frame")
    };
    let Uplink::Register(r) = &reg.message else {
        panic!("expected register, got {:?}", reg.message)
    };
    assert_eq!(reg.physical_id.to_string(), "040f4247");
    assert_eq!(pile.id(), "040f4247");
    assert_eq!(r.port_count, 2);
    let Seen::Frame(hb) = conn.next().await else {
        panic!("expected the heartbeat frame")
    };
    let Uplink::Heartbeat(h) = &hb.message else {
        panic!("expected heartbeat, got {:?}", hb.message)
    };
    assert_eq!(h.port_status.as_bytes().as_ref(), &[0, 0]);
    assert_ne!(hb.message_id, reg.message_id);
    registered(&mut events).await;
    // The next heartbeat comes one (scaled) period later.
    conn.frame(|m| matches!(m, Uplink::Heartbeat(_))).await;
    let state = pile.state().await.unwrap();
    assert!(state.connected && state.registered);
    pile.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_charge_meters_and_settles_by_the_curve() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 1)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    registered(&mut events).await;
    let order = OrderNo::new([0x11; 16]);
    conn.send(0x1234, start(0, order, 7200));
    let ans = conn
        .frame(|m| matches!(m, Uplink::StartStopAnswer(_)))
        .await;
    assert_eq!(ans.message_id.get(), 0x1234);
    let Uplink::StartStopAnswer(a) = &ans.message else {
        unreachable!()
    };
    assert_eq!(
        (a.result, a.order_no, a.port),
        (0, Some(order), Some(Port::new(0)))
    );
    let mut meters = Vec::new();
    let settlement = loop {
        let f = conn
            .frame(|m| matches!(m, Uplink::PortPowerHeartbeat(_) | Uplink::Settlement(_)))
            .await;
        match f.message {
            Uplink::PortPowerHeartbeat(m) => meters.push(m),
            Uplink::Settlement(s) => break s,
            _ => unreachable!(),
        }
    };
    assert!(meters.len() >= 5, "only {} meter heartbeats", meters.len());
    for m in &meters {
        assert_eq!((m.port, m.order_no, m.status), (Port::new(0), order, 1));
        // 200 W: energy = 200 W × elapsed, in 10 Wh steps.
        let expect = u64::from(m.charge_duration_s) * 200 / 3600;
        assert!(m.energy.get().abs_diff(expect) <= 10, "{m:?}");
        assert_eq!(m.power.get(), 2000);
    }
    assert!(meters.windows(2).all(|w| w[0].energy <= w[1].energy));
    let r = &settlement.record;
    assert_eq!(r.charge_duration_s, 7200);
    assert_eq!(r.energy.get(), 400);
    assert_eq!(r.stop_reason, 3);
    assert_eq!((r.order_no, r.port, r.start_mode), (order, Port::new(0), 1));
    let settled = events
        .wait_for(WAIT, |e| matches!(e, SimEvent::Settled { .. }))
        .await
        .unwrap();
    let SimEvent::Settled {
        energy_wh,
        duration_s,
        reason,
        reason_code,
        ..
    } = settled
    else {
        unreachable!()
    };
    assert_eq!(
        (energy_wh, duration_s, reason, reason_code),
        (400, 7200, EndReason::Time, 3)
    );
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::SettlementAcked { .. }))
        .await
        .expect("settlement not acknowledged");
    assert_eq!(pile.state().await.unwrap().pending_settlements, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settlement_is_resent_with_the_same_id_until_acked() {
    let gw = Listener::bind().await;
    let (_pile, mut events) = spawn_pile(config(gw.addr, 2)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    conn.policy.skip_settlements.store(2, Ordering::Relaxed);
    let order = OrderNo::new([0x22; 16]);
    conn.send(7, start(1, order, 60));
    let mut ids = Vec::new();
    for _ in 0..3 {
        let f = conn.frame(|m| matches!(m, Uplink::Settlement(_))).await;
        ids.push(f.message_id);
    }
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    let attempts: Vec<u32> = {
        let mut v = Vec::new();
        while v.len() < 2 {
            match events.recv().await.unwrap() {
                SimEvent::SettlementResent { attempt, .. } => v.push(attempt),
                SimEvent::SettlementAcked { .. } => panic!("acked too early"),
                _ => {}
            }
        }
        v
    };
    assert_eq!(attempts, vec![2, 3]);
    events
        .wait_for(WAIT, |e| matches!(e, SimEvent::SettlementAcked { .. }))
        .await
        .expect("settlement not acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_command_is_answered_on_resend_with_the_same_id() {
    let gw = Listener::bind().await;
    let mut cfg = config(gw.addr, 3);
    cfg.profile_mut().faults.drop_command = Some(1);
    cfg.profile_mut().faults.drop_count = 1;
    let (pile, mut events) = spawn_pile(cfg).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    let order = OrderNo::new([0x33; 16]);
    let bytes = conn.send(0x0101, start(0, order, 600));
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::CommandReceived {
                    dropped: true,
                    id: 0x0101,
                    ..
                }
            )
        })
        .await
        .expect("first transmission not dropped");
    // The gateway's resend: same bytes, same message id.
    conn.send_raw(bytes.clone());
    let ans = conn
        .frame(|m| matches!(m, Uplink::StartStopAnswer(_)))
        .await;
    assert_eq!(ans.message_id.get(), 0x0101);
    // A second resend (the answer got lost) gets the same answer, and the charge
    // does not start twice.
    conn.send_raw(bytes);
    let again = conn
        .frame(|m| matches!(m, Uplink::StartStopAnswer(_)))
        .await;
    assert_eq!(again, ans);
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::CommandReceived {
                    duplicate: true,
                    ..
                }
            )
        })
        .await
        .expect("duplicate not recognised");
    let c = pile.counters();
    assert_eq!((c.commands_dropped, c.commands_received), (1, 3));
    let started = events
        .drain()
        .iter()
        .filter(|e| matches!(e, SimEvent::ChargingStarted { .. }))
        .count();
    assert!(started <= 1);
    assert_eq!(
        pile.state().await.unwrap().ports[0].status,
        sim::PortStatus::Charging
    );
    // Stop it: the stop must carry the running order.
    conn.send(0x0102, stop(0, OrderNo::new([0x99; 16])));
    let ignored = conn
        .frame(|m| matches!(m, Uplink::StartStopAnswer(_)))
        .await;
    assert!(matches!(ignored.message, Uplink::StartStopAnswer(ref a) if a.result == 2));
    conn.send(0x0103, stop(0, order));
    let s = conn.frame(|m| matches!(m, Uplink::Settlement(_))).await;
    assert!(matches!(s.message, Uplink::Settlement(ref s) if s.record.stop_reason == 7));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_swipe_then_start_then_card_stop() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 4)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    let card = 12_345_678u64;
    pile.swipe_card(1, card).await.unwrap();
    let f = conn.frame(|m| matches!(m, Uplink::CardSwipe(_))).await;
    let Uplink::CardSwipe(s) = &f.message else {
        unreachable!()
    };
    assert_eq!((s.card_id.decimal(), s.port), (12_345_678, Port::new(1)));
    conn.send(
        f.message_id.get(),
        Downlink::CardSwipeAnswer(codec_dny::CardSwipeAnswer {
            card_id: s.card_id,
            account_status: 0,
            rate_mode: 0,
            balance_or_expiry: 500,
            port: s.port,
            extra: bytes::Bytes::new(),
        }),
    );
    let answered = events
        .wait_for(WAIT, |e| matches!(e, SimEvent::CardAnswered { .. }))
        .await
        .unwrap();
    assert_eq!(
        answered,
        SimEvent::CardAnswered {
            card,
            status: 0,
            balance_fen: Some(500)
        }
    );
    let order = OrderNo::new([0x44; 16]);
    conn.send(0x0200, start(1, order, 3600));
    conn.frame(|m| matches!(m, Uplink::StartStopAnswer(_)))
        .await;
    // The same card again stops the charge (stop reason 0x16).
    pile.swipe_card(1, card).await.unwrap();
    let f = conn.frame(|m| matches!(m, Uplink::Settlement(_))).await;
    let Uplink::Settlement(s) = &f.message else {
        unreachable!()
    };
    assert_eq!(s.record.stop_reason, 0x16);
    assert_eq!(s.record.card_id.decimal(), 12_345_678);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplug_fault_and_alarm() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 5)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    conn.send(0x0300, start(0, OrderNo::new([1; 16]), 0));
    conn.send(0x0301, start(1, OrderNo::new([2; 16]), 0));
    events
        .wait_for(
            WAIT,
            |e| matches!(e, SimEvent::ChargingStarted { port, .. } if port.number == 2),
        )
        .await
        .unwrap();
    pile.unplug(0).await.unwrap();
    let f = conn.frame(|m| matches!(m, Uplink::Settlement(_))).await;
    assert!(matches!(f.message, Uplink::Settlement(ref s) if s.record.stop_reason == 5));
    pile.fault(1, sim::PortFault::OverCurrent).await.unwrap();
    let f = conn.frame(|m| matches!(m, Uplink::Settlement(_))).await;
    assert!(matches!(f.message, Uplink::Settlement(ref s) if s.record.stop_reason == 0x0C));
    pile.alarm(None, sim::Alarm::Smoke).await.unwrap();
    let f = conn.frame(|m| matches!(m, Uplink::Alarm(_))).await;
    assert!(matches!(f.message, Uplink::Alarm(ref a) if a.alarm_type == 4));
    // A persistent fault shows in the heartbeat's port status (8) and refuses starts.
    pile.fault(0, sim::PortFault::Broken).await.unwrap();
    conn.frame(|m| matches!(m, Uplink::Heartbeat(h) if h.port_status.get(0) == Some(8)))
        .await;
    conn.send(0x0302, start(0, OrderNo::new([3; 16]), 60));
    let a = conn
        .frame(|m| matches!(m, Uplink::StartStopAnswer(_)))
        .await;
    assert!(matches!(a.message, Uplink::StartStopAnswer(ref a) if a.result == 3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_pile_keeps_the_socket_but_sends_nothing() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 6)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Heartbeat(_))).await;
    registered(&mut events).await;
    pile.set_silent(true).await.unwrap();
    // Let anything already on the wire arrive, then expect silence for many
    // heartbeat periods (50 ms each) — and no close.
    while conn.next_within(Duration::from_millis(100)).await.is_some() {}
    assert!(conn.next_within(Duration::from_millis(600)).await.is_none());
    assert!(pile.state().await.unwrap().connected);
    pile.set_silent(false).await.unwrap();
    conn.frame(|m| matches!(m, Uplink::Heartbeat(_))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnects_after_the_server_closes() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 8)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    registered(&mut events).await;
    conn.close();
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::Disconnected {
                    reason: sim::DisconnectReason::PeerClosed
                }
            )
        })
        .await
        .expect("no disconnect");
    let mut again = gw.accept().await;
    assert!(matches!(again.next().await, Seen::Iccid(_)));
    again.frame(|m| matches!(m, Uplink::Register(_))).await;
    registered(&mut events).await;
    assert_eq!(pile.counters().connects, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_heartbeats_make_the_pile_reconnect() {
    let gw = Listener::bind().await;
    let (_pile, mut events) = spawn_pile(config(gw.addr, 9)).unwrap();
    let conn = gw.accept().await;
    conn.policy
        .answer_heartbeats
        .store(false, Ordering::Relaxed);
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::Disconnected {
                    reason: sim::DisconnectReason::MissedHeartbeats
                }
            )
        })
        .await
        .expect("pile kept a dead link");
    let mut again = gw.accept().await;
    assert!(matches!(again.next().await, Seen::Iccid(_)));
    drop(conn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_on_demand() {
    let gw = Listener::bind().await;
    let (pile, _events) = spawn_pile(config(gw.addr, 10)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Heartbeat(_))).await;
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
    pile.send_malformed(sim::Malformed::Garbage(16))
        .await
        .unwrap();
    loop {
        match conn.next().await {
            Seen::Bad(e) if e.contains("garbage") => break,
            Seen::Closed => panic!("closed"),
            _ => {}
        }
    }
    // The stream stays usable.
    conn.frame(|m| matches!(m, Uplink::Heartbeat(_))).await;
}
