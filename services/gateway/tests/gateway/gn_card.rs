//! A simulated GN gateway's card flow against the real gateway: a swipe asks charging
//! (the test answers `pylon.charging.card.authorize`), the order starts the socket, the
//! start and the end come out as `charging_started` / `charging_ended`.

use std::time::Duration;

use futures::StreamExt;
use prost::Message as _;
use proto::events as pb;
use proto::pylon::gateway::v1::{CardAuthorizeRequest, CardAuthorizeResponse};
use sim::{EndReason, OrderRef, PileConfig, Protocol, SimEvent, spawn_pile};
use tokio::sync::mpsc;

use crate::Harness;

/// Answers card decisions with `status` and `balance_fen`, handing each request to the
/// test.
async fn gn_card_responder(
    h: &Harness,
    status: u32,
    balance_fen: i64,
) -> mpsc::UnboundedReceiver<CardAuthorizeRequest> {
    let mut sub = h
        .nats
        .subscribe(h.ns.subject(&["charging", "card", "authorize"]))
        .await
        .unwrap();
    // The subscription must be known to the server before a pile asks.
    h.nats.flush().await.unwrap();
    let nats = h.nats.clone();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(req) = sub.next().await {
            let asked = CardAuthorizeRequest::decode(req.payload.as_ref()).unwrap();
            let _ = tx.send(asked);
            let answer = CardAuthorizeResponse {
                account_status: status,
                balance_fen,
            };
            if let Some(reply) = req.reply {
                nats.publish(reply, answer.encode_to_vec().into())
                    .await
                    .unwrap();
            }
        }
    });
    rx
}

/// The next event of `kind` about `device`, skipping the others.
async fn next_for<E: prost::Message + Default>(
    h: &mut Harness,
    kind: &str,
    device: &str,
    id: impl Fn(&E) -> Option<String>,
) -> E {
    loop {
        let (_, e): (_, E) = h.next(kind).await;
        if id(&e).as_deref() == Some(device) {
            return e;
        }
    }
}

const CARD: u64 = 0xA1_B2C3_D4E5;

#[tokio::test]
async fn a_card_swipe_starts_a_socket_and_the_start_and_end_are_published() {
    let mut h = Harness::start().await;
    let mut asked = gn_card_responder(&h, 0, 5001).await;
    let (pile, mut sim_events) =
        spawn_pile(PileConfig::new(Protocol::Gn, 3, h.device_addr).with_speed(60)).unwrap();
    let port = pile.ports()[0].clone();
    let socket = port.device.clone();

    // The socket shows up in the gateway's first status cluster as a device of its own.
    let c: pb::DeviceConnected =
        next_for(&mut h, "connected", &socket, |c: &pb::DeviceConnected| {
            c.device.as_ref().map(|d| d.device_id.clone())
        })
        .await;
    assert_eq!(c.device.unwrap().gateway_id, pile.id());

    pile.swipe_card(port.index, CARD).await.unwrap();
    let swiped: pb::CardSwiped = next_for(&mut h, "card_swiped", &socket, |c: &pb::CardSwiped| {
        c.device.as_ref().map(|d| d.device_id.clone())
    })
    .await;
    assert_eq!((swiped.port, swiped.card_no.as_str()), (1, "00a1b2c3d4e5"));
    assert_ne!(
        swiped.business_no, 0,
        "the socket allocated the order's number"
    );

    let req = tokio::time::timeout(Duration::from_secs(5), asked.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (req.protocol.as_str(), req.device_id.as_str(), req.port),
        ("gn", socket.as_str(), 1)
    );
    assert_eq!(req.card_no, "00a1b2c3d4e5");

    // The order reached the socket and it charges under the swipe's business number.
    let started = sim_events
        .wait_for(Duration::from_secs(10), |e| {
            matches!(e, SimEvent::ChargingStarted { .. })
        })
        .await
        .expect("the simulated socket started charging");
    let SimEvent::ChargingStarted { port: sp, order } = started else {
        unreachable!()
    };
    assert_eq!(sp, port);
    assert_eq!(
        order,
        OrderRef::Gn(u16::try_from(swiped.business_no).unwrap())
    );

    let s: pb::ChargingStarted = next_for(
        &mut h,
        "charging_started",
        &socket,
        |c: &pb::ChargingStarted| c.device.as_ref().map(|d| d.device_id.clone()),
    )
    .await;
    assert_eq!(s.port, 1);
    assert_eq!(s.business_no, swiped.business_no);
    assert_eq!(s.order_ref, swiped.business_no.to_string());

    // The same card again stops the charge; the 0x0C end report is published and
    // acknowledged (the socket stops resending it).
    tokio::time::sleep(Duration::from_millis(500)).await;
    pile.swipe_card(port.index, CARD).await.unwrap();
    let settled = sim_events
        .wait_for(Duration::from_secs(10), |e| {
            matches!(e, SimEvent::Settled { .. })
        })
        .await
        .expect("the simulated socket ended the charge");
    let SimEvent::Settled {
        energy_wh,
        duration_s,
        reason,
        ..
    } = settled
    else {
        unreachable!()
    };
    assert_eq!(reason, EndReason::CardStop);
    let e: pb::ChargingEnded = next_for(
        &mut h,
        "charging_ended",
        &socket,
        |c: &pb::ChargingEnded| c.device.as_ref().map(|d| d.device_id.clone()),
    )
    .await;
    assert_eq!((e.port, e.business_no), (1, swiped.business_no));
    assert_eq!(e.order_ref, swiped.business_no.to_string());
    assert_eq!(e.card_no, "00a1b2c3d4e5");
    assert_eq!(
        (e.energy_wh, e.duration_secs),
        (energy_wh, u64::from(duration_s))
    );
    assert!(
        sim_events
            .wait_for(Duration::from_secs(5), |e| {
                matches!(e, SimEvent::SettlementAcked { .. })
            })
            .await
            .is_some(),
        "the gateway acknowledged the end report"
    );
    // Published once, although the acknowledgement may cross a resend.
    h.none("charging_ended", 500).await;
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn a_refused_card_starts_nothing_and_a_balance_query_gets_the_balance() {
    let mut h = Harness::start().await;
    let mut asked = gn_card_responder(&h, 6, 42).await;
    let (pile, mut sim_events) =
        spawn_pile(PileConfig::new(Protocol::Gn, 4, h.device_addr).with_speed(60)).unwrap();
    let port = pile.ports()[1].clone();
    let socket = port.device.clone();
    let _: pb::DeviceConnected =
        next_for(&mut h, "connected", &socket, |c: &pb::DeviceConnected| {
            c.device.as_ref().map(|d| d.device_id.clone())
        })
        .await;

    pile.swipe_card(port.index, CARD).await.unwrap();
    let swiped: pb::CardSwiped = next_for(&mut h, "card_swiped", &socket, |c: &pb::CardSwiped| {
        c.device.as_ref().map(|d| d.device_id.clone())
    })
    .await;
    assert_eq!(swiped.port, 2);
    assert!(
        sim_events
            .wait_for(Duration::from_secs(2), |e| {
                matches!(e, SimEvent::ChargingStarted { .. })
            })
            .await
            .is_none(),
        "a refused card does not charge"
    );
    h.none("charging_started", 300).await;

    pile.query_balance(port.index, CARD).await.unwrap();
    let req = loop {
        let r = tokio::time::timeout(Duration::from_secs(5), asked.recv())
            .await
            .unwrap()
            .unwrap();
        if r.port == 0 {
            break r;
        }
    };
    assert_eq!(
        (req.device_id.as_str(), req.card_no.as_str()),
        (socket.as_str(), "00a1b2c3d4e5")
    );
    let answered = sim_events
        .wait_for(Duration::from_secs(5), |e| {
            matches!(e, SimEvent::CardAnswered { .. })
        })
        .await
        .expect("the socket got its balance");
    let SimEvent::CardAnswered { balance_fen, .. } = answered else {
        unreachable!()
    };
    assert_eq!(balance_fen, Some(42));
    let _ = pile.shutdown().await;
    h.stop().await;
}
