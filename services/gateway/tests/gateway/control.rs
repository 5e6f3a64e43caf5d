//! gRPC DeviceControl against simulated piles: commands reach the device with the
//! protocol's correlation, answers come back typed, lost answers are resent once, and a
//! call through any replica reaches the replica holding the device.

use std::time::Duration;

use proto::events as pb;
use proto::pylon::gateway::v1::start_charging_request::Limit;
use proto::pylon::gateway::v1::{
    CommandOutcome, GetParametersRequest, ManageNodesRequest, Node, QueryPortsRequest,
    StartChargingRequest, StopChargingRequest, manage_nodes_request::Operation,
};
use sim::{OrderRef, PileConfig, Protocol, SimEvent, spawn_pile};

use crate::{Harness, Replica, control};

const ORDER: &str = "00112233445566778899aabbccddeeff";

fn outcome(r: &proto::pylon::gateway::v1::CommandResult) -> CommandOutcome {
    CommandOutcome::try_from(r.outcome).unwrap()
}

/// Waits until the device's session is known (its first frame was handled).
pub async fn connected(h: &mut Harness, device: &str) {
    loop {
        let (_, c): (_, pb::DeviceConnected) = h.next("connected").await;
        if c.device.unwrap().device_id == device {
            return;
        }
    }
}

#[tokio::test]
async fn a_dny_start_meters_and_stop_settles_with_the_simulators_numbers() {
    let mut h = Harness::start().await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 11, h.device_addr).with_speed(120)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let mut grpc = control(h.grpc_addr).await;

    let started = grpc
        .start_charging(StartChargingRequest {
            device_id: id.clone(),
            port: 1,
            order_ref: ORDER.into(),
            limit: Some(Limit::DurationSecs(3600)),
            balance_fen: 1000,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&started), CommandOutcome::Ok, "{started:?}");
    assert_eq!(started.order_ref, ORDER);
    assert_eq!(started.attempts, 1);
    assert!(!started.replica.is_empty());
    assert!(
        started.answer_json.contains("start"),
        "{}",
        started.answer_json
    );
    let ev = sim
        .wait_for(Duration::from_secs(5), |e| {
            matches!(e, SimEvent::ChargingStarted { .. })
        })
        .await
        .expect("the pile started charging");
    let SimEvent::ChargingStarted { order, port } = ev else {
        unreachable!()
    };
    assert_eq!(order, OrderRef::Dny(ORDER.parse().unwrap()));
    assert_eq!(port.number, 1);

    // Meter samples name the order (0x06 every 5 min of pile time: 2.5 s here); wait
    // until energy shows.
    loop {
        let (_, m): (_, pb::MeterSample) = h.next("meter").await;
        assert_eq!(m.order_ref, ORDER);
        assert_eq!(m.port, 1);
        if m.energy_wh > 0 {
            break;
        }
    }

    let stopped = grpc
        .stop_charging(StopChargingRequest {
            device_id: id.clone(),
            port: 1,
            order_ref: ORDER.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&stopped), CommandOutcome::Ok, "{stopped:?}");
    let settled = sim
        .wait_for(Duration::from_secs(10), |e| {
            matches!(e, SimEvent::Settled { .. })
        })
        .await
        .expect("the pile settled");
    let SimEvent::Settled {
        energy_wh,
        duration_s,
        ..
    } = settled
    else {
        unreachable!()
    };
    let (_, ended): (_, pb::ChargingEnded) = h.next("charging_ended").await;
    assert_eq!(ended.order_ref, ORDER);
    assert_eq!(ended.energy_wh, energy_wh);
    assert_eq!(ended.duration_secs, u64::from(duration_s));
    assert_eq!(ended.reason, pb::EndReason::RemoteStop as i32);
    assert!(energy_wh > 0 && duration_s > 0);
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn a_lost_answer_is_resent_with_the_same_id_and_two_lost_answers_time_out() {
    let mut h = Harness::start_with(|c| c.gateway.command_timeout_ms = 400).await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 12, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let mut grpc = control(h.grpc_addr).await;
    let get = || GetParametersRequest {
        device_id: id.clone(),
        group: "run2".into(),
    };

    pile.drop_commands(1).await.unwrap();
    let r = grpc.get_parameters(get()).await.unwrap().into_inner();
    assert_eq!(outcome(&r), CommandOutcome::Ok, "{r:?}");
    assert_eq!(r.attempts, 2);
    assert!(r.parameters.contains_key("max_charge_time_s"), "{r:?}");
    let mut seen = Vec::new();
    while let Some(e) = sim.next_within(Duration::from_millis(200)).await {
        if let SimEvent::CommandReceived {
            command: 0x92,
            id,
            dropped,
            ..
        } = e
        {
            seen.push((id, dropped));
        }
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].0, seen[1].0, "the resend reuses the message id");
    assert_eq!((seen[0].1, seen[1].1), (true, false));

    pile.drop_commands(2).await.unwrap();
    let r = grpc.get_parameters(get()).await.unwrap().into_inner();
    assert_eq!(outcome(&r), CommandOutcome::Timeout, "{r:?}");
    assert_eq!(r.attempts, 2);
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn bad_requests_fail_naming_the_field_and_unknown_devices_are_offline() {
    let mut h = Harness::start().await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 13, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let mut grpc = control(h.grpc_addr).await;
    let start = |device_id: &str, order_ref: &str, limit| StartChargingRequest {
        device_id: device_id.into(),
        port: 1,
        order_ref: order_ref.into(),
        limit,
        balance_fen: 0,
    };

    for (req, field) in [
        (
            start("nope", ORDER, Some(Limit::UntilFull(true))),
            "device_id",
        ),
        (start(&id, "12", Some(Limit::UntilFull(true))), "order_ref"),
        (start(&id, ORDER, None), "limit"),
        (start(&id, ORDER, Some(Limit::EnergyWh(1))), "energy_wh"),
    ] {
        let e = grpc.start_charging(req).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        assert!(e.message().starts_with(field), "{field}: {}", e.message());
    }
    let r = grpc
        .start_charging(start("0badc0de", ORDER, Some(Limit::UntilFull(true))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&r), CommandOutcome::DeviceOffline, "{r:?}");
    // Nothing reached the pile.
    while let Some(e) = sim.next_within(Duration::from_millis(300)).await {
        assert!(
            !matches!(e, SimEvent::CommandReceived { .. }),
            "a refused request was sent: {e:?}"
        );
    }
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn a_gn_socket_starts_by_energy_reports_its_ports_and_stops() {
    let mut h = Harness::start().await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Gn, 14, h.device_addr).with_speed(10)).unwrap();
    connected(&mut h, pile.id()).await;
    let socket = pile.ports()[0].device.clone();
    let mut grpc = control(h.grpc_addr).await;

    let r = grpc
        .start_charging(StartChargingRequest {
            device_id: socket.clone(),
            port: 1,
            limit: Some(Limit::EnergyWh(2000)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&r), CommandOutcome::Ok, "{r:?}");
    assert_ne!(r.business_no, 0, "the socket allocates a business number");
    let ev = sim
        .wait_for(Duration::from_secs(5), |e| {
            matches!(e, SimEvent::ChargingStarted { .. })
        })
        .await
        .unwrap();
    let SimEvent::ChargingStarted { order, .. } = ev else {
        unreachable!()
    };
    assert_eq!(order, OrderRef::Gn(r.business_no as u16));

    let q = grpc
        .query_ports(QueryPortsRequest {
            device_id: socket.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&q), CommandOutcome::Ok, "{q:?}");
    let a = q.ports.iter().find(|p| p.port == 1).expect("port A");
    assert_eq!(a.state, pb::PortState::Charging as i32, "{q:?}");
    assert_eq!(a.order_ref, r.business_no.to_string());

    let s = grpc
        .stop_charging(StopChargingRequest {
            device_id: socket.clone(),
            port: 1,
            order_ref: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&s), CommandOutcome::Ok, "{s:?}");

    let n = grpc
        .manage_nodes(ManageNodesRequest {
            device_id: pile.id().to_owned(),
            operation: Some(Operation::Add(Node {
                socket: 200,
                mac: "aabbccddeeff".into(),
            })),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&n), CommandOutcome::Ok, "{n:?}");
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn a_command_through_one_replica_reaches_a_pile_on_the_other() {
    let mut h = Harness::start().await;
    let other = Replica::beside(&h, |_| {}).await;
    let (pile, _sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 15, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let get = || GetParametersRequest {
        device_id: id.clone(),
        group: "run11".into(),
    };

    let here = control(h.grpc_addr)
        .await
        .get_parameters(get())
        .await
        .unwrap()
        .into_inner();
    let there = control(other.grpc_addr)
        .await
        .get_parameters(get())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&here), CommandOutcome::Ok, "{here:?}");
    assert_eq!(outcome(&there), CommandOutcome::Ok, "{there:?}");
    assert_eq!(
        there.replica, here.replica,
        "the replica holding the connection executed both"
    );
    assert!(there.parameters.contains_key("heartbeat_interval_s"));

    // The pile leaves: the other replica reports it offline instead of waiting.
    pile.shutdown().await.unwrap();
    let _: (_, pb::DeviceDisconnected) = h.next("disconnected").await;
    let gone = control(other.grpc_addr)
        .await
        .get_parameters(get())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&gone), CommandOutcome::DeviceOffline, "{gone:?}");
    other.stop().await;
    h.stop().await;
}
