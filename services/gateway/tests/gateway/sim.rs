//! Simulated piles (crates/sim) against the gateway: what the pile does shows up as
//! the gateway's events with the same ids and values.

use proto::events as pb;
use sim::{PileConfig, Protocol, spawn_pile};

use crate::Harness;

#[tokio::test]
async fn a_simulated_dny_pile_is_seen_and_its_card_swipe_refused_without_charging() {
    let mut h = Harness::start().await;
    let (pile, _events) =
        spawn_pile(PileConfig::new(Protocol::Dny, 1, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();

    let (subject, c): (_, pb::DeviceConnected) = h.next("connected").await;
    assert_eq!(subject, h.ns.subject(&["device", "_", &id, "connected"]));
    assert_eq!(
        c.iccid,
        pile.iccid(),
        "the modem's ICCID preamble reached the event"
    );
    let (_, hb): (_, pb::DeviceHeartbeat) = h.next("heartbeat").await;
    assert_eq!(hb.device.unwrap().device_id, id);
    assert_eq!(hb.port_count as usize, pile.ports().len());

    // No charging service answers card decisions here: the gateway refuses in time and
    // records the swipe.
    pile.swipe_card(0, 0x1234_5678).await.unwrap();
    let (_, swiped): (_, pb::CardSwiped) = h.next("card_swiped").await;
    assert_eq!(swiped.port, 1);
    let _ = pile.shutdown().await;
    let (_, d): (_, pb::DeviceDisconnected) = h.next("disconnected").await;
    assert_eq!(d.device.unwrap().device_id, id);
    h.stop().await;
}

#[tokio::test]
async fn a_simulated_gn_gateway_reports_its_sockets() {
    let mut h = Harness::start().await;
    let (pile, _events) =
        spawn_pile(PileConfig::new(Protocol::Gn, 1, h.device_addr).with_speed(10)).unwrap();
    let (_, c): (_, pb::DeviceConnected) = h.next("connected").await;
    assert_eq!(c.device.unwrap().device_id, pile.id());
    // Every socket behind the gateway shows up as a device with its gateway.
    let socket = pile.ports()[0].device.clone();
    loop {
        let (_, hb): (_, pb::DeviceHeartbeat) = h.next("heartbeat").await;
        let d = hb.device.unwrap();
        if d.device_id == socket {
            assert_eq!(d.gateway_id, pile.id());
            break;
        }
    }
    let (_, ps): (_, pb::PortStatusChanged) = h.next("port_status").await;
    assert!(ps.device.unwrap().device_id.starts_with(pile.id()));
    let _ = pile.shutdown().await;
    h.stop().await;
}
