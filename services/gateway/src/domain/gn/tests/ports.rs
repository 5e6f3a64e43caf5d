//! Status reports, snapshots, socket liveness and parameter answers.

use super::*;

/// (wire port, status byte, business number)
type PortRow = (u8, u8, u16);
fn cluster(sockets: &[(u8, &[PortRow])]) -> BkvBody {
    BkvBody::StatusReport(StatusReport {
        sockets: sockets
            .iter()
            .map(|(no, ports)| SocketCluster {
                socket: Some(SocketNo(*no)),
                firmware: Some(SocketFirmware(0xFFFF)),
                temperature: Some(Celsius::new(29)),
                rssi: Some(30),
                ports: ports
                    .iter()
                    .map(|&(port, status, business)| PortCluster {
                        port: Some(PortNo(port)),
                        status: Some(PortStatus(status)),
                        business_no: Some(BusinessNo(business)),
                        voltage: Some(DeciVolts::new(2297)),
                        power: Some(DeciWatts::new(400)),
                        current: Some(MilliAmps::new(42)),
                        energy: Some(Wh::new(12)),
                        charge_duration: Some(Seconds::from_minutes(3)),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

#[test]
fn a_socket_first_seen_in_a_status_report_connects() {
    let mut s = session();
    let out = bkv(&mut s, cluster(&[(1, &[(0, 0x90, 9), (1, 0x80, 0)])]), t(1));
    assert_eq!(
        kinds(&out),
        [
            "connected",
            "heartbeat",
            "port_status",
            "meter",
            "port_status"
        ]
    );
    let ev = events(&out);
    let DeviceEvent::Connected { device, .. } = &ev[0] else {
        unreachable!()
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-1"));
    let DeviceEvent::PortStatus { state, port, .. } = &ev[2] else {
        unreachable!()
    };
    assert_eq!((*state, *port), (PortState::Charging, 1));
    // Seen again: no second `connected`, no unchanged ports.
    let again = bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9), (1, 0x80, 0)])]),
        t(60),
    );
    assert_eq!(kinds(&again), ["heartbeat", "meter"]);
}

#[test]
fn a_status_answer_is_handled_like_a_status_cluster() {
    let mut s = session();
    let answer = |status| {
        SocketUp::StatusAnswer(StatusAnswer {
            socket: SocketNo(5),
            firmware: SocketFirmware(0x0102),
            temperature: Celsius::new(31),
            rssi: 20,
            ports: vec![PortReport {
                port: PortNo(0),
                status: PortStatus(status),
                business_no: BusinessNo(if status == 0x90 { 3 } else { 0 }),
                voltage: DeciVolts::new(2200),
                power: DeciWatts::new(1000),
                current: MilliAmps::new(450),
                energy: Wh::new(5),
                charge_duration: Seconds::from_minutes(2),
            }],
            extra: RawBytes::default(),
        })
    };
    let out = socket_up(&mut s, 0x1C91EE, answer(0x80), t(1));
    assert_eq!(kinds(&out), ["connected", "heartbeat", "port_status"]);
    let out = socket_up(&mut s, 0x1C91EF, answer(0x90), t(2));
    assert_eq!(kinds(&out), ["heartbeat", "port_status", "meter"]);
    let ev = events(&out);
    let DeviceEvent::Meter {
        device,
        order_ref,
        power_dw,
        energy_wh,
        elapsed_secs,
        ..
    } = &ev[2]
    else {
        unreachable!()
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-5"));
    assert_eq!(
        (order_ref.as_str(), *power_dw, *energy_wh, *elapsed_secs),
        ("3", 1000, 5, 120)
    );
    let DeviceEvent::PortStatus { previous, .. } = &ev[1] else {
        unreachable!()
    };
    assert_eq!(*previous, Some(PortState::Idle));
}

fn snapshots(out: &[Output]) -> Vec<(String, u32, PortState)> {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            DeviceEvent::PortStatus {
                device,
                port,
                state,
                snapshot: true,
                ..
            } => Some((device.device_id, port, state)),
            _ => None,
        })
        .collect()
}

#[test]
fn tick_publishes_every_port_as_a_snapshot_at_most_every_period() {
    let mut s = session();
    assert!(s.tick(t(1000)).is_empty(), "no ports known yet");
    bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9), (1, 0x80, 0)]), (2, &[(0, 0x80, 0)])]),
        t(0),
    );
    // The first report published every port: nothing due one minute later.
    assert!(s.tick(t(60)).is_empty());
    let out = s.tick(t(0) + SNAPSHOT_PERIOD);
    let one = format!("{GATEWAY}-1");
    let two = format!("{GATEWAY}-2");
    assert_eq!(
        snapshots(&out),
        [
            (one.clone(), 1, PortState::Charging),
            (one, 2, PortState::Idle),
            (two, 1, PortState::Idle),
        ]
    );
    assert!(
        s.tick(t(0) + SNAPSHOT_PERIOD + TimeDelta::seconds(60))
            .is_empty()
    );
    assert_eq!(snapshots(&s.tick(t(0) + SNAPSHOT_PERIOD * 2)).len(), 3);
}

#[test]
fn a_socket_missing_from_status_reports_goes_offline_and_comes_back() {
    let mut s = session();
    bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9)]), (2, &[(0, 0x80, 0)])]),
        t(0),
    );
    // Socket 2 keeps reporting, socket 1 falls silent.
    let mut last = t(0);
    for minute in [5, 10, 14] {
        last = t(minute * 60);
        bkv(&mut s, cluster(&[(2, &[(0, 0x80, 0)])]), last);
        let out = s.tick(last);
        assert!(
            !kinds(&out).contains(&"disconnected"),
            "minute {minute}: {out:?}"
        );
    }
    let now = t(0) + SOCKET_OFFLINE_AFTER;
    let out = s.tick(now);
    let ev: Vec<_> = events(&out)
        .into_iter()
        .filter(|e| !matches!(e, DeviceEvent::PortStatus { snapshot: true, .. }))
        .collect();
    let [
        DeviceEvent::Disconnected {
            device,
            reason,
            connected_secs,
            at,
            ..
        },
        DeviceEvent::PortStatus {
            device: pd,
            port,
            state,
            previous,
            raw_status,
            snapshot: false,
            ..
        },
    ] = &ev[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-1"));
    assert_eq!(*reason, DisconnectCause::IdleTimeout);
    assert_eq!(*connected_secs, 15 * 60);
    assert_eq!(*at, now);
    assert_eq!(pd, device);
    assert_eq!(*port, 1);
    assert_eq!(
        (*state, *previous),
        (PortState::Offline, Some(PortState::Charging))
    );
    assert_eq!(*raw_status, 0x10);
    assert!(last < now);
    // Snapshots say the port is offline; no second disconnect.
    let later = s.tick(now + SNAPSHOT_PERIOD);
    assert!(!kinds(&later).contains(&"disconnected"));
    assert!(
        snapshots(&later).contains(&(format!("{GATEWAY}-1"), 1, PortState::Offline)),
        "{later:?}"
    );
    // It reports again: connected, and its port is a change again.
    let back = bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x80, 0)])]),
        now + TimeDelta::minutes(20),
    );
    assert_eq!(kinds(&back), ["connected", "heartbeat", "port_status"]);
}

#[test]
fn closing_the_gateway_takes_its_online_sockets_offline_once() {
    let mut s = session();
    bkv(
        &mut s,
        cluster(&[(1, &[(0, 0x90, 9)]), (2, &[(0, 0x80, 0)])]),
        t(0),
    );
    let out = s.close(t(60));
    let gone: Vec<_> = events(&out)
        .into_iter()
        .filter_map(|e| match e {
            DeviceEvent::Disconnected { device, reason, .. } => {
                Some((device.device_id.clone(), reason))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        gone,
        [
            (format!("{GATEWAY}-1"), DisconnectCause::GatewayGone),
            (format!("{GATEWAY}-2"), DisconnectCause::GatewayGone)
        ]
    );
    assert!(kinds(&s.close(t(61))).is_empty(), "already offline");
}

#[test]
fn parameter_answers_become_parameter_reports() {
    let mut s = session();
    let out = bkv(
        &mut s,
        BkvBody::ParamsAnswer(ParamsAnswer {
            socket: Some(SocketNo(3)),
            ack: Some(ResultCode::OK),
            max_charge_duration: Some(Seconds::from_minutes(600)),
            power_limit: Some(DeciWatts::new(7000)),
            ..Default::default()
        }),
        t(1),
    );
    let [
        DeviceEvent::ParameterReport {
            device, parameters, ..
        },
    ] = &events(&out)[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(device.device_id, format!("{GATEWAY}-3"));
    assert_eq!(
        parameters.get("max_charge_duration_s").map(String::as_str),
        Some("36000")
    );
    assert_eq!(
        parameters.get("power_limit_dw").map(String::as_str),
        Some("7000")
    );
    assert!(!parameters.contains_key("socket") && !parameters.contains_key("ack"));
}
