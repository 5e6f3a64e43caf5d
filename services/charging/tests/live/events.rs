//! Device events published directly (as the gateway would), with chosen instants:
//! meter samples, replays and out-of-order delivery.

use chrono::{TimeDelta, Utc};
use proto::events as pb;

use crate::{app, live_until, ts};

fn device(id: &str) -> Option<pb::DeviceRef> {
    Some(pb::DeviceRef {
        device_id: id.into(),
        protocol: pb::Protocol::Dny as i32,
        gateway_id: String::new(),
    })
}

/// Publishes `e` on `pylon.device.<tenant>.<id>.<kind>` and returns what was sent.
pub async fn publish<E: bus::Event>(
    app: &apptest::TestApp,
    tenant: &str,
    id: &str,
    kind: &str,
    e: &E,
) -> bus::OutgoingEvent {
    let subject = app.bus.namespace.subject(&["device", tenant, id, kind]);
    let ev = bus::OutgoingEvent::new(subject, "pylon/gateway", tenant, Utc::now(), e);
    republish(app, &ev).await;
    ev
}

pub async fn republish(app: &apptest::TestApp, ev: &bus::OutgoingEvent) {
    bus::Publisher::new(app.bus.jetstream.clone())
        .publish(ev)
        .await
        .unwrap();
}

pub async fn connect(app: &apptest::TestApp, tenant: &str, id: &str) {
    let e = pb::DeviceConnected {
        device: device(id),
        connected_at: ts(Utc::now()),
        ..Default::default()
    };
    publish(app, tenant, id, "connected", &e).await;
}

#[tokio::test]
async fn meter_samples_show_on_the_port_and_older_events_do_not_overwrite() {
    let (app, _) = app().await;
    let tenant = app.root.id.clone();
    let admin = app.root.admin.clone();
    let id = "0a0b0c0d";
    let now = Utc::now();
    connect(&app, &tenant, id).await;
    let status = |state: pb::PortState, at| pb::PortStatusChanged {
        device: device(id),
        port: 1,
        state: state as i32,
        reported_at: ts(at),
        ..Default::default()
    };
    publish(
        &app,
        &tenant,
        id,
        "port_status",
        &status(pb::PortState::Charging, now),
    )
    .await;
    let meter = pb::MeterSample {
        device: device(id),
        port: 1,
        order_ref: "00112233445566778899aabbccddeeff".into(),
        power_dw: 12_000,
        energy_wh: 350,
        elapsed_secs: 600,
        sampled_at: ts(now + TimeDelta::seconds(1)),
        ..Default::default()
    };
    let sent = publish(&app, &tenant, id, "meter", &meter).await;
    let d = live_until(&app, &admin, id, |d| d["ports"][0]["power_dw"] == 12_000).await;
    let p = &d["ports"][0];
    assert_eq!(p["state"], "charging");
    assert_eq!(
        (p["energy_wh"].as_u64(), p["elapsed_secs"].as_u64()),
        (Some(350), Some(600))
    );
    assert_eq!(p["order_ref"], "00112233445566778899aabbccddeeff");

    // A replay of the same event (same id) changes nothing.
    republish(&app, &sent).await;
    // An older sample and an older status arrive late: neither overwrites.
    let older = pb::MeterSample {
        power_dw: 1,
        sampled_at: ts(now - TimeDelta::seconds(30)),
        ..meter.clone()
    };
    publish(&app, &tenant, id, "meter", &older).await;
    publish(
        &app,
        &tenant,
        id,
        "port_status",
        &status(pb::PortState::Idle, now - TimeDelta::seconds(60)),
    )
    .await;
    // A marker event after them: once it shows, the late ones were processed too.
    let alarm = pb::DeviceAlarm {
        device: device(id),
        kind: "over_temperature".into(),
        raw_code: 3,
        raised_at: ts(now + TimeDelta::seconds(2)),
        ..Default::default()
    };
    publish(&app, &tenant, id, "alarm", &alarm).await;
    let d = live_until(&app, &admin, id, |d| {
        d["last_alarm"]["kind"] == "over_temperature"
    })
    .await;
    let p = &d["ports"][0];
    assert_eq!(
        (p["state"].as_str(), p["power_dw"].as_u64()),
        (Some("charging"), Some(12_000)),
        "{d}"
    );

    // The tenant's operator sees it too (its events carry the tenant's token), and a
    // charge without meter samples for long enough is listed as stuck.
    let stale = pb::PortStatusChanged {
        port: 2,
        ..status(pb::PortState::Charging, now - TimeDelta::minutes(20))
    };
    publish(&app, &tenant, id, "port_status", &stale).await;
    live_until(&app, &admin, id, |d| {
        d["ports"].as_array().is_some_and(|p| p.len() == 2)
    })
    .await;
    let stuck = app.ok(app.get("/api/v1/charging/live/stuck", &admin).await);
    let stuck = stuck.as_array().unwrap();
    assert_eq!(stuck.len(), 1, "{stuck:?}");
    assert_eq!(
        (stuck[0]["device_id"].as_str(), stuck[0]["port"].as_u64()),
        (Some(id), Some(2))
    );
    assert_eq!(stuck[0]["reason"], "no_order");

    // Disconnect: offline, the ports keep their last state.
    let gone = pb::DeviceDisconnected {
        device: device(id),
        reason: pb::DisconnectReason::IdleTimeout as i32,
        disconnected_at: ts(now + TimeDelta::seconds(5)),
        ..Default::default()
    };
    publish(&app, &tenant, id, "disconnected", &gone).await;
    let d = live_until(&app, &admin, id, |d| d["online"] == false).await;
    assert_eq!(d["offline_reason"], "idle_timeout");
}
