//! A small fleet: connects spread over source addresses, events to one sink.

use std::collections::HashSet;
use std::net::IpAddr;

use sim::{Fleet, FleetConfig, NetConfig, Profile, Protocol, SimEvent};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::dny_gw::WAIT;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fleet_connects_from_several_source_addresses() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (peers_tx, mut peers) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, peer)) = listener.accept().await {
            let _ = peers_tx.send(peer.ip());
            held.push(s);
        }
    });
    let mut net = NetConfig::new(addr);
    net.source_addrs = vec![IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 3])];
    net.socket_buffer = Some(4096);
    let (tx, mut events) = mpsc::channel(1024);
    let mut cfg = FleetConfig::new(3, 2, net);
    cfg.profile = Profile::bench();
    // Nobody answers here: keep the piles from giving up on the silent server.
    cfg.profile.dny_missed_heartbeats = 0;
    cfg.profile.gn_missed_heartbeats = 0;
    cfg.speed = 60;
    cfg.connect_rate = 0;
    cfg.events = Some(tx);
    let fleet = Fleet::start(cfg).unwrap();
    let mut connected = HashSet::new();
    while connected.len() < 5 {
        let e = timeout(WAIT, events.recv()).await.unwrap().unwrap();
        if matches!(e.event, SimEvent::Connected { .. }) {
            connected.insert((e.protocol, e.pile));
        }
    }
    assert!(connected.contains(&(Protocol::Gn, 1)));
    let mut ips = HashSet::new();
    for _ in 0..5 {
        ips.insert(timeout(WAIT, peers.recv()).await.unwrap().unwrap());
    }
    assert_eq!(
        ips,
        HashSet::from([IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 3])])
    );
    let summary = fleet.summary();
    assert_eq!(summary.piles, 5);
    assert_eq!(summary.counters.connected, 5);
    assert!(
        summary.to_string().contains("piles 5 connected 5"),
        "{summary}"
    );
    assert_eq!(fleet.piles()[3].id(), "82300000000000");
    fleet.shutdown(WAIT).await;
    assert!(fleet.piles().iter().all(|p| p.is_finished()));
    assert_eq!(fleet.summary().counters.connected, 0);
}
