use std::time::Duration;

use proto::events as pb;
use tokio::io::AsyncReadExt;

use crate::{Harness, hex, read_some, send};

const REGISTER: &str = "444e5913003b37ab04b900207e00021421000000e4009104";

/// True if the server closed the connection within `ms`.
async fn closed_within(stream: &mut tokio::net::TcpStream, ms: u64) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn bytes_that_are_no_pile_are_closed() {
    let h = Harness::start().await;
    let mut tls = h.connect().await;
    send(&mut tls, &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]).await;
    assert!(closed_within(&mut tls, 2000).await);
    h.stop().await;
}

#[tokio::test]
async fn silent_connections_are_closed_after_the_handshake_timeout() {
    let h = Harness::start_with(|c| c.gateway.handshake_timeout_secs = 1).await;
    let mut idle = h.connect().await;
    assert!(
        !closed_within(&mut idle, 300).await,
        "not before the timeout"
    );
    assert!(closed_within(&mut idle, 3000).await);
    h.stop().await;
}

#[tokio::test]
async fn a_second_connection_for_a_device_replaces_the_first() {
    let mut h = Harness::start().await;
    let mut first = h.connect().await;
    send(&mut first, &hex(REGISTER)).await;
    read_some(&mut first, 300).await;
    h.next_event("connected").await;
    let mut second = h.connect().await;
    send(&mut second, &hex(REGISTER)).await;
    assert!(
        closed_within(&mut first, 2000).await,
        "the old connection is closed"
    );
    let (_, d): (_, pb::DeviceDisconnected) = h.next("disconnected").await;
    assert_eq!(d.reason, pb::DisconnectReason::Replaced as i32);
    // The new one is served.
    assert!(!read_some(&mut second, 300).await.is_empty());
    let js = async_nats::jetstream::new(h.nats.clone());
    let kv = js
        .get_key_value(h.ns.name("device_sessions"))
        .await
        .unwrap();
    assert!(
        kv.get("04ab373b").await.unwrap().is_some(),
        "the replaced connection did not erase the session"
    );
    h.stop().await;
}

#[tokio::test]
async fn connections_per_address_are_capped() {
    let h = Harness::start_with(|c| c.gateway.max_connections_per_ip = 2).await;
    let _a = h.connect().await;
    let _b = h.connect().await;
    let mut c = h.connect().await;
    assert!(
        closed_within(&mut c, 2000).await,
        "the third connection from one address is refused"
    );
    h.stop().await;
}

#[tokio::test]
async fn unregistered_devices_are_refused_when_configured() {
    let mut h = Harness::start_with(|c| c.gateway.reject_unregistered = true).await;
    let mut pile = h.connect().await;
    send(&mut pile, &hex(REGISTER)).await;
    assert!(closed_within(&mut pile, 2000).await);
    let (_, d): (_, pb::DeviceDisconnected) = h.next("disconnected").await;
    assert_eq!(d.reason, pb::DisconnectReason::Rejected as i32);
    h.stop().await;
}

#[tokio::test]
async fn dedicated_ports_take_only_their_protocol() {
    let (dny_port, gn_port) = (testkit::free_port(), testkit::free_port());
    let mut h = Harness::start_with(|c| {
        c.gateway.dny_listen = format!("127.0.0.1:{dny_port}");
        c.gateway.gn_listen = format!("127.0.0.1:{gn_port}");
    })
    .await;
    let dny_addr: std::net::SocketAddr = format!("127.0.0.1:{dny_port}").parse().unwrap();
    let gn_addr: std::net::SocketAddr = format!("127.0.0.1:{gn_port}").parse().unwrap();
    // A GN gateway knocking on the DNY port is closed before it is anyone.
    let (wrong, _) =
        sim::spawn_pile(sim::PileConfig::new(sim::Protocol::Gn, 31, dny_addr).with_speed(10))
            .unwrap();
    h.none("connected", 1500).await;
    let _ = wrong.shutdown().await;
    for (protocol, addr) in [(sim::Protocol::Dny, dny_addr), (sim::Protocol::Gn, gn_addr)] {
        let (pile, _) =
            sim::spawn_pile(sim::PileConfig::new(protocol, 32, addr).with_speed(10)).unwrap();
        let (_, c): (_, proto::events::DeviceConnected) = h.next("connected").await;
        assert_eq!(c.device.unwrap().device_id, pile.id());
        let _ = pile.shutdown().await;
    }
    h.stop().await;
}
