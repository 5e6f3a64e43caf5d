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

#[tokio::test]
async fn a_registered_pile_s_events_carry_its_operator() {
    let mut h = Harness::start().await;
    let tenant = "0195f0a0-0000-7000-8000-000000000001";
    let id = sim::ids::dny_physical_id(51, 2).unwrap().to_string();
    let js = async_nats::jetstream::new(h.nats.clone());
    let kv = bus::kv::ensure_bucket(&js, &h.ns, "device_registry", 1, std::time::Duration::ZERO)
        .await
        .unwrap();
    kv.put(
        &id,
        format!("{{\"tenant_id\":\"{tenant}\"}}")
            .into_bytes()
            .into(),
    )
    .await
    .unwrap();
    let (pile, _events) =
        spawn_pile(PileConfig::new(Protocol::Dny, 51, h.device_addr).with_speed(10)).unwrap();
    assert_eq!(pile.id(), id);
    let (subject, msg) = h.next_event("connected").await;
    assert_eq!(subject, h.ns.subject(&["device", tenant, &id, "connected"]));
    let headers = msg.headers.expect("CloudEvents headers");
    assert_eq!(headers.get("ce-tenant").map(|v| v.as_str()), Some(tenant));
    // An unregistered pile stays unassigned.
    let (other, _e) =
        spawn_pile(PileConfig::new(Protocol::Dny, 52, h.device_addr).with_speed(10)).unwrap();
    loop {
        let (subject, _) = h.next_event("connected").await;
        if subject.contains(other.id()) {
            assert_eq!(
                subject,
                h.ns.subject(&["device", "_", other.id(), "connected"])
            );
            break;
        }
    }
    let _ = pile.shutdown().await;
    let _ = other.shutdown().await;
    h.stop().await;
}
