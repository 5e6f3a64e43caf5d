//! Single operations: reboot, parameters and voice reach the simulated devices and are
//! audited with their outcome; callers without `devices:operate`, bad input and
//! offline devices.

use std::time::Duration;

use futures::StreamExt;
use prost::Message as _;
use reqwest::StatusCode;
use serde_json::json;
use sim::{DisconnectReason, Protocol, SimEvent};

use crate::{message, world};

#[tokio::test]
async fn reboot_parameters_and_voice_reach_the_devices_and_are_audited() {
    let w = world().await;
    let (pile, mut events, id) = w.pile(Protocol::Dny, 31).await;
    let (gn, mut gn_events, gw) = w.pile(Protocol::Gn, 32).await;
    let (user, token) = w.maintainer().await;
    let mut recorded = w
        .app
        .subscribe("charging", &format!("{}.operation.recorded", w.t.id))
        .await;

    // Reboot: the pile restarts (and comes back).
    let op = w.app.ok(w
        .app
        .post(
            &format!("/api/v1/charging/devices/{id}/reboot"),
            &token,
            json!({}),
        )
        .await);
    assert_eq!(
        (
            op["action"].as_str(),
            op["status"].as_str(),
            op["outcome"].as_str()
        ),
        (Some("reboot"), Some("done"), Some("ok")),
        "{op}"
    );
    assert_eq!(op["actor"]["id"], user.as_str());
    assert_eq!(op["actor"]["roles"], json!(["maintainer"]));
    events
        .wait_for(Duration::from_secs(10), |e| {
            matches!(
                e,
                SimEvent::Disconnected {
                    reason: DisconnectReason::Reboot
                }
            )
        })
        .await
        .expect("the pile rebooted");
    events
        .wait_for(Duration::from_secs(10), |e| {
            matches!(e, SimEvent::Registered)
        })
        .await
        .expect("the pile came back");
    // The outbox published the completed operation on PYLON_CHARGING.
    let msg = tokio::time::timeout(Duration::from_secs(10), recorded.next())
        .await
        .unwrap()
        .unwrap();
    let ev = proto::events::OperationRecorded::decode(msg.payload).unwrap();
    assert_eq!(
        (
            ev.action.as_str(),
            ev.outcome.as_str(),
            ev.device_id.as_str(),
            ev.actor_id.as_str()
        ),
        ("reboot", "ok", id.as_str(), user.as_str())
    );
    assert_eq!(ev.operation_id, op["id"].as_str().unwrap());

    // Parameters: read run2, write it, read the new values back from the pile.
    let path = format!("/api/v1/charging/devices/{id}/parameters");
    let before = w
        .app
        .ok(w.app.get(&format!("{path}?group=run2"), &token).await);
    assert_eq!(before["group"], "run2");
    assert!(before["values"]["max_charge_time_s"].is_i64(), "{before}");
    assert_eq!(before["operation"]["outcome"], "ok");
    let set = w.app.ok(w
        .app
        .put(
            &path,
            &token,
            json!({"group": "run2", "values": {"max_charge_time_s": 7200, "overload_power_dw": 15000}}),
        )
        .await);
    assert_eq!(set["outcome"], "ok", "{set}");
    assert_eq!(set["request"]["values"]["max_charge_time_s"], 7200);
    let after = w
        .app
        .ok(w.app.get(&format!("{path}?group=run2"), &token).await);
    assert_eq!(after["values"]["max_charge_time_s"], 7200, "{after}");
    assert_eq!(after["values"]["overload_power_dw"], 15000, "{after}");

    // Invalid writes are refused naming the field, before anything is sent or audited.
    let audited = w.audit(&id).await.len();
    let r = w
        .app
        .put(
            &path,
            &token,
            json!({"group": "run2", "values": {"max_charge_time_s": 7200}}),
        )
        .await;
    assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
    assert!(
        message(&r).starts_with("values.overload_power_dw"),
        "{}",
        r.1
    );
    let r = w
        .app
        .put(&path, &token, json!({"group": "run12", "values": {"x": 1}}))
        .await;
    assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
    assert!(message(&r).starts_with("group"), "{}", r.1);
    let r = w
        .app
        .put(
            &format!("/api/v1/charging/devices/{id}/voice"),
            &token,
            json!({"beeper": true, "voice": true}),
        )
        .await;
    assert_eq!(r.0, StatusCode::BAD_REQUEST, "{}", r.1);
    assert!(message(&r).starts_with("device_id"), "{}", r.1);
    assert_eq!(w.audit(&id).await.len(), audited);

    // Voice on the GN gateway (every socket): 0x0015/0x1B reaches it.
    let voice = w.app.ok(w
        .app
        .put(
            &format!("/api/v1/charging/devices/{gw}/voice"),
            &token,
            json!({"beeper": true, "voice": false, "windows": [{"start": "22:00", "end": "7:00"}]}),
        )
        .await);
    assert_eq!(voice["outcome"], "ok", "{voice}");
    assert_eq!(voice["request"]["windows"][0]["end"], "07:00");
    gn_events
        .wait_for(Duration::from_secs(5), |e| {
            matches!(
                e,
                SimEvent::CommandReceived {
                    command: 0x0015,
                    sub: Some(0x1B),
                    ..
                }
            )
        })
        .await
        .expect("the GN gateway got the voice windows");
    let r = w
        .app
        .put(
            &format!("/api/v1/charging/devices/{gw}/voice"),
            &token,
            json!({"beeper": true, "voice": true, "windows": [{"start": "25:00", "end": "7:00"}]}),
        )
        .await;
    assert!(message(&r).starts_with("windows[0].start"), "{}", r.1);

    // The audit, newest first, each with who, what and the outcome.
    let ops = w.audit(&id).await;
    let actions: Vec<&str> = ops.iter().map(|o| o["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "get_parameters",
            "set_parameters",
            "get_parameters",
            "reboot"
        ]
    );
    for o in &ops {
        assert_eq!(
            (o["status"].as_str(), o["outcome"].as_str()),
            (Some("done"), Some("ok")),
            "{o}"
        );
        assert_eq!(o["actor"]["id"], user.as_str());
        assert!(o["finished_at"].is_string());
    }
    // The tenant-wide list filters by action.
    let all = w.app.ok(w
        .app
        .get("/api/v1/charging/operations?action=set_voice", &w.t.admin)
        .await);
    assert_eq!(all["total"], 1, "{all}");
    assert_eq!(all["items"][0]["device_id"], gw.as_str());
    let _ = pile.shutdown().await;
    let _ = gn.shutdown().await;
}

#[tokio::test]
async fn a_driver_gets_403_and_nothing_is_sent_or_audited() {
    let w = world().await;
    let (pile, mut events, id) = w.pile(Protocol::Dny, 33).await;
    let driver = w.app.driver(&w.t).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/charging/devices/{id}/reboot"),
            &driver.token,
            json!({}),
        )
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let r = w
        .app
        .get(
            &format!("/api/v1/charging/devices/{id}/parameters?group=run2"),
            &driver.token,
        )
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let r = w
        .app
        .get(
            &format!("/api/v1/charging/devices/{id}/operations"),
            &driver.token,
        )
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    // Nothing reached the pile, nothing was audited.
    let sent = events
        .wait_for(Duration::from_millis(1500), |e| {
            matches!(
                e,
                SimEvent::CommandReceived {
                    command: 0x87 | 0x92,
                    ..
                }
            )
        })
        .await;
    assert!(sent.is_none(), "{sent:?}");
    assert!(w.audit(&id).await.is_empty());
    let all = w
        .app
        .ok(w.app.get("/api/v1/charging/operations", &w.t.admin).await);
    assert_eq!(all["total"], 0, "{all}");
    let _ = pile.shutdown().await;
}

#[tokio::test]
async fn an_offline_device_is_audited_as_failed_with_device_offline() {
    let w = world().await;
    let id = sim::ids::dny_physical_id(34, 2).unwrap().to_string();
    w.register(&id, "dny").await;
    let (_, token) = w.maintainer().await;
    let r = w
        .app
        .post(
            &format!("/api/v1/charging/devices/{id}/reboot"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(r.0, StatusCode::CONFLICT, "{}", r.1);
    assert_eq!(r.1["code"], 12002, "{}", r.1);
    let m = message(&r);
    assert!(
        m.contains("设备离线") && m.contains("the device is offline"),
        "{m}"
    );
    let ops = w.audit(&id).await;
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (
            ops[0]["action"].as_str(),
            ops[0]["status"].as_str(),
            ops[0]["outcome"].as_str()
        ),
        (Some("reboot"), Some("done"), Some("device_offline")),
        "{}",
        ops[0]
    );
    assert!(m.contains(ops[0]["id"].as_str().unwrap()), "{m}");
    let failed = w.app.ok(w
        .app
        .get("/api/v1/charging/operations?outcome=device_offline", &token)
        .await);
    assert_eq!(failed["total"], 1);
    // An unknown device is 404, and audited nowhere.
    let r = w
        .app
        .post(
            "/api/v1/charging/devices/04ceffff/reboot",
            &token,
            json!({}),
        )
        .await;
    assert_eq!(r.0, StatusCode::NOT_FOUND, "{}", r.1);
    let all = w
        .app
        .ok(w.app.get("/api/v1/charging/operations", &token).await);
    assert_eq!(all["total"], 1);
}
