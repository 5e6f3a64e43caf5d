//! The events the sessions produce, as published: subject kind, `ce-type` and payload.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use proto::events as pb;

use super::{ConnInfo, outgoing};
use crate::domain::{DeviceEvent, DeviceKey, DisconnectCause, Protocol};

fn socket() -> DeviceKey {
    DeviceKey {
        protocol: Protocol::Gn,
        device_id: "82241218000382-3".into(),
        gateway_id: Some("82241218000382".into()),
    }
}

fn at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn publish(e: &DeviceEvent) -> bus::OutgoingEvent {
    let conn = ConnInfo {
        remote_addr: "10.0.0.1:5000".into(),
        replica: "r1".into(),
        tenant: "_".into(),
    };
    outgoing(&bus::Namespace::root(), e, &conn)
}

#[test]
fn charging_started_is_published_under_its_kind() {
    let ev = publish(&DeviceEvent::ChargingStarted {
        device: socket(),
        port: 2,
        order_ref: "26".into(),
        business_no: 26,
        at: at(),
    });
    assert_eq!(
        ev.subject,
        "pylon.device._.82241218000382-3.charging_started"
    );
    assert_eq!(ev.meta.event_type, "pylon.device.charging_started.v1");
    let p: pb::ChargingStarted = ev.decode().unwrap();
    assert_eq!((p.port, p.order_ref.as_str(), p.business_no), (2, "26", 26));
    assert_eq!(p.device.unwrap().gateway_id, "82241218000382");
    assert_eq!(p.started_at.unwrap().seconds, 1_700_000_000);
}

#[test]
fn a_socket_gone_quiet_is_a_device_disconnected_for_idle_timeout() {
    let ev = publish(&DeviceEvent::Disconnected {
        device: socket(),
        reason: DisconnectCause::IdleTimeout,
        detail: "socket missing from status reports for 900 s".into(),
        connected_secs: 900,
        at: at(),
    });
    assert_eq!(ev.subject, "pylon.device._.82241218000382-3.disconnected");
    assert_eq!(ev.meta.event_type, "pylon.device.disconnected.v1");
    let p: pb::DeviceDisconnected = ev.decode().unwrap();
    assert_eq!(p.reason, pb::DisconnectReason::IdleTimeout as i32);
    assert_eq!(p.connected_secs, 900);
}

#[test]
fn parameters_and_firmware_progress_are_published() {
    let parameters = BTreeMap::from([("max_charge_time_s".to_owned(), "36000".to_owned())]);
    let ev = publish(&DeviceEvent::ParameterReport {
        device: socket(),
        parameters,
        at: at(),
    });
    assert!(ev.subject.ends_with(".parameter_report"));
    let p: pb::ParameterReport = ev.decode().unwrap();
    assert_eq!(p.parameters["max_charge_time_s"], "36000");

    let ev = publish(&DeviceEvent::FirmwareProgress {
        device: socket(),
        packet: 12,
        total: 0,
        result: 1,
        end: None,
        detail: String::new(),
        at: at(),
    });
    assert!(ev.subject.ends_with(".firmware_progress"));
    let p: pb::FirmwareProgress = ev.decode().unwrap();
    assert_eq!((p.packet, p.result), (12, 1));
    assert_eq!(p.end, pb::FirmwareTransferEnd::Unspecified as i32);

    let ev = publish(&DeviceEvent::FirmwareProgress {
        device: socket(),
        packet: 3,
        total: 5,
        result: 2,
        end: Some(crate::domain::TransferEnd::Rejected),
        detail: "固件校验和错误 / firmware sum error (2)".into(),
        at: at(),
    });
    let p: pb::FirmwareProgress = ev.decode().unwrap();
    assert_eq!((p.packet, p.total, p.result), (3, 5, 2));
    assert_eq!(p.end, pb::FirmwareTransferEnd::Rejected as i32);
    assert!(p.detail.contains("sum error"), "{}", p.detail);
}

#[test]
fn a_card_swipe_carries_the_business_number() {
    let ev = publish(&DeviceEvent::CardSwiped {
        device: socket(),
        port: 1,
        card_no: "00001a900000".into(),
        business_no: 0x1A,
        at: at(),
    });
    let p: pb::CardSwiped = ev.decode().unwrap();
    assert_eq!((p.business_no, p.card_no.as_str()), (0x1A, "00001a900000"));
}
