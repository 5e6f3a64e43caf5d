//! DNY firmware transfers through `DeviceControl.Upgrade` against simulated piles: every
//! packet reaches the pile in order, progress and the end reach JetStream, a lost answer
//! brings the same packet again, and a second transfer to the pile is refused while one
//! runs. `command_timeout_ms` = 400 makes a packet wait 800 ms for its answer.

use std::time::Duration;

use prost::Message as _;
use proto::events as pb;
use proto::pylon::gateway::v1::{CommandOutcome, DnyCheckPacket, UpgradeRequest};
use sim::{PileConfig, Protocol, SimEvent, spawn_pile};

use crate::control::connected;
use crate::{Harness, control};

fn upgrade(device_id: &str, len: usize) -> UpgradeRequest {
    UpgradeRequest {
        device_id: device_id.into(),
        firmware: (0..len).map(|i| i as u8).collect(),
        ..Default::default()
    }
}

fn outcome(r: &proto::pylon::gateway::v1::CommandResult) -> CommandOutcome {
    CommandOutcome::try_from(r.outcome).unwrap()
}

/// Firmware events until the transfer's end: the packet answers (packet, result) and
/// the end event.
async fn progress_until_end(h: &mut Harness) -> (Vec<(u32, u32)>, pb::FirmwareProgress) {
    let mut answers = Vec::new();
    loop {
        let (_, p): (_, pb::FirmwareProgress) = h.next("firmware_progress").await;
        if p.end == pb::FirmwareTransferEnd::Unspecified as i32 {
            answers.push((p.packet, p.result));
        } else {
            return (answers, p);
        }
    }
}

#[tokio::test]
async fn a_dny_pile_gets_every_packet_in_order_and_progress_reaches_jetstream() {
    let mut h = Harness::start_with(|c| c.gateway.command_timeout_ms = 400).await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 21, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let mut grpc = control(h.grpc_addr).await;

    let r = grpc.upgrade(upgrade(&id, 1000)).await.unwrap().into_inner();
    assert_eq!(outcome(&r), CommandOutcome::Sent, "{r:?}");
    assert!(r.detail.contains("5 packets"), "{}", r.detail);
    assert!(!r.replica.is_empty());
    // A transfer takes a while: a second one to the same pile is refused meanwhile.
    let again = grpc.upgrade(upgrade(&id, 1000)).await.unwrap().into_inner();
    assert_eq!(outcome(&again), CommandOutcome::Busy, "{again:?}");

    let mut packets = Vec::new();
    while packets.len() < 5 {
        let e = sim
            .wait_for(Duration::from_secs(10), |e| {
                matches!(e, SimEvent::FirmwarePacket { .. })
            })
            .await
            .expect("the pile received the next packet");
        if let SimEvent::FirmwarePacket { current, total } = e {
            packets.push((current, total));
        }
    }
    assert_eq!(packets, [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]);

    let (answers, end) = progress_until_end(&mut h).await;
    assert_eq!(answers, [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0)]);
    assert_eq!(
        end.end,
        pb::FirmwareTransferEnd::Completed as i32,
        "{end:?}"
    );
    assert_eq!((end.packet, end.total, end.result), (5, 5, 0));
    assert_eq!(end.device.unwrap().device_id, id);

    // The end is in the stream, not only on the wire.
    let js = async_nats::jetstream::new(h.nats.clone());
    let stream = js.get_stream(h.ns.name("PYLON_DEVICE")).await.unwrap();
    let stored = stream
        .get_last_raw_message_by_subject(&h.ns.subject(&["device", "_", &id, "firmware_progress"]))
        .await
        .unwrap();
    let stored = pb::FirmwareProgress::decode(stored.payload.as_ref()).unwrap();
    assert_eq!(stored.end, pb::FirmwareTransferEnd::Completed as i32);

    // The pile reboots into the new firmware and comes back; the transfer is over, so
    // it takes another one.
    connected(&mut h, &id).await;
    let r = grpc.upgrade(upgrade(&id, 10)).await.unwrap().into_inner();
    assert_eq!(outcome(&r), CommandOutcome::Sent, "{r:?}");
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn a_packet_whose_answer_is_lost_is_sent_again_with_the_same_id() {
    let mut h = Harness::start_with(|c| c.gateway.command_timeout_ms = 400).await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 22, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let mut grpc = control(h.grpc_addr).await;

    pile.drop_commands(1).await.unwrap();
    let mut request = upgrade(&id, 400);
    request.check_packet = Some(DnyCheckPacket {
        device_type: 0x21,
        firmware_version: 201,
    });
    let r = grpc.upgrade(request).await.unwrap().into_inner();
    assert_eq!(outcome(&r), CommandOutcome::Sent, "{r:?}");
    assert!(
        r.detail.contains("3 packets"),
        "two blocks and the check packet: {r:?}"
    );

    let (answers, end) = progress_until_end(&mut h).await;
    assert_eq!(
        end.end,
        pb::FirmwareTransferEnd::Completed as i32,
        "{end:?}"
    );
    assert_eq!(answers, [(1, 0), (2, 0), (3, 0)], "one answer per packet");

    let mut received = Vec::new();
    let mut accepted = Vec::new();
    while let Some(e) = sim.next_within(Duration::from_millis(300)).await {
        match e {
            SimEvent::CommandReceived {
                command: 0xE0,
                id,
                dropped,
                ..
            } => received.push((id, dropped)),
            SimEvent::FirmwarePacket { current, .. } => accepted.push(current),
            _ => {}
        }
    }
    assert_eq!(
        received.len(),
        4,
        "packet 1 twice, then 2 and 3: {received:?}"
    );
    assert_eq!(
        received[0],
        (received[1].0, true),
        "the lost one: {received:?}"
    );
    assert!(!received[1].1, "the resend was answered");
    assert_ne!(received[2].0, received[1].0, "the next packet has a new id");
    assert_eq!(accepted, [1, 2, 3]);
    let _ = pile.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn bad_firmware_requests_name_their_field_and_an_unknown_pile_is_offline() {
    let mut h = Harness::start().await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 23, h.device_addr).with_speed(10)).unwrap();
    let id = pile.id().to_owned();
    connected(&mut h, &id).await;
    let mut grpc = control(h.grpc_addr).await;

    let kind = |k: &str| UpgradeRequest {
        dny_kind: k.into(),
        ..upgrade(&id, 100)
    };
    let old_with_check = UpgradeRequest {
        check_packet: Some(DnyCheckPacket::default()),
        ..kind("old")
    };
    let kind_without_image = UpgradeRequest {
        firmware: Vec::new(),
        ..kind("old")
    };
    for (req, field) in [
        (kind("e0"), "dny_kind"),
        (upgrade(&id, 960 * 1024 + 1), "firmware"),
        (old_with_check, "check_packet"),
        (kind_without_image, "firmware"),
    ] {
        let e = grpc.upgrade(req).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        assert!(e.message().starts_with(field), "{field}: {}", e.message());
    }
    let r = grpc
        .upgrade(upgrade("0badc0de", 100))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(outcome(&r), CommandOutcome::DeviceOffline, "{r:?}");
    while let Some(e) = sim.next_within(Duration::from_millis(300)).await {
        assert!(
            !matches!(e, SimEvent::CommandReceived { .. }),
            "a refused request was sent: {e:?}"
        );
    }
    let _ = pile.shutdown().await;
    h.stop().await;
}
