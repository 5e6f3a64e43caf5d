//! A pile that goes quiet is declared gone, and when it comes back it is a device again,
//! commands included.

use std::time::Duration;

use proto::events as pb;
use proto::pylon::gateway::v1::{CommandOutcome, GetParametersRequest};
use sim::{PileConfig, Protocol, spawn_pile};

use crate::{Harness, control};

#[tokio::test]
async fn a_silent_pile_goes_offline_and_reconnects() {
    let mut h = Harness::start_with(|c| c.gateway.idle_timeout_secs = 2).await;
    // 200x: heartbeats every 0.9 s of wall time, well inside the 2 s idle timeout.
    let mut config = PileConfig::new(Protocol::Dny, 21, h.device_addr).with_speed(200);
    config.profile_mut().backoff_min = Duration::from_secs(1);
    let (pile, _sim) = spawn_pile(config).unwrap();
    let id = pile.id().to_owned();
    let (_, c): (_, pb::DeviceConnected) = h.next("connected").await;
    assert_eq!(c.device.unwrap().device_id, id);

    // Alive while it talks: no disconnect over several idle periods.
    h.none("disconnected", 4500).await;

    pile.set_silent(true).await.unwrap();
    let (_, d): (_, pb::DeviceDisconnected) = h.next("disconnected").await;
    assert_eq!(d.device.unwrap().device_id, id);
    assert_eq!(d.reason, pb::DisconnectReason::IdleTimeout as i32);
    let mut grpc = control(h.grpc_addr).await;
    let get = || GetParametersRequest {
        device_id: id.clone(),
        group: "run2".into(),
    };
    let r = grpc.get_parameters(get()).await.unwrap().into_inner();
    assert_eq!(r.outcome, CommandOutcome::DeviceOffline as i32, "{r:?}");

    // The pile notices the closed socket and connects again.
    pile.set_silent(false).await.unwrap();
    let (_, c): (_, pb::DeviceConnected) = h.next("connected").await;
    assert_eq!(c.device.unwrap().device_id, id);
    let r = grpc.get_parameters(get()).await.unwrap().into_inner();
    assert_eq!(r.outcome, CommandOutcome::Ok as i32, "{r:?}");
    let _ = pile.shutdown().await;
    h.stop().await;
}
