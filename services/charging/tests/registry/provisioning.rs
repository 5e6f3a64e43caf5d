//! GN provisioning through the gateway's `ManageNodes`, with a simulated GN gateway.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sim::{PileConfig, Protocol, spawn_pile};

use crate::site;

#[tokio::test]
async fn binding_a_socket_provisions_it_offline_first_then_ok() {
    let device_port = testkit::free_port();
    let grpc_port = testkit::free_port();
    let app = apptest::spawn_with(
        vec![
            Arc::new(charging::Charging::default()),
            Arc::new(gateway::Gateway::default()),
        ],
        |c| {
            c.gateway.device_listen = format!("127.0.0.1:{device_port}").parse().unwrap();
            c.grpc.listen = format!("127.0.0.1:{grpc_port}").parse().unwrap();
            c.charging.gateway_grpc_url = format!("http://127.0.0.1:{grpc_port}");
        },
    )
    .await;
    let t = app.tenant("prov").await;
    let s = app.region_and_site(&t, "dock").await;
    let site = site(&app, &t.admin, &s.site_path).await;
    let gw = sim::ids::gn_gateway_id(21).to_string();
    app.ok(app
        .post(
            "/api/v1/charging/devices",
            &t.admin,
            json!({"protocol": "gn", "device_id": gw}),
        )
        .await);
    let socket = format!("{gw}-1");
    app.ok(app
        .post(
            "/api/v1/charging/devices",
            &t.admin,
            json!({"protocol": "gn", "device_id": socket, "mac": "854100001501", "uid": "S1"}),
        )
        .await);

    // The gateway is not connected: bound, but not provisioned.
    let r = app.ok(app
        .post(
            "/api/v1/charging/devices/bind",
            &t.admin,
            json!({"device_ids": [socket], "site_id": site["id"]}),
        )
        .await);
    assert_eq!(r[0]["ok"], true, "{r}");
    assert!(
        r[0]["provision_error"]
            .as_str()
            .unwrap()
            .starts_with("DEVICE_OFFLINE"),
        "{r}"
    );
    let d = app.ok(app
        .get(&format!("/api/v1/charging/devices/{socket}"), &t.admin)
        .await);
    assert_eq!(d["provisioned_at"], Value::Null);
    assert!(
        d["provision_error"]
            .as_str()
            .unwrap()
            .starts_with("DEVICE_OFFLINE")
    );

    // The gateway connects; pushing again reaches it.
    let addr = format!("127.0.0.1:{device_port}").parse().unwrap();
    let (pile, _sim) = spawn_pile(PileConfig::new(Protocol::Gn, 21, addr).with_speed(10)).unwrap();
    assert_eq!(pile.id(), gw);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let d = loop {
        let r = app.ok(app
            .post(
                &format!("/api/v1/charging/devices/{socket}/provision"),
                &t.admin,
                json!({}),
            )
            .await);
        if r[0]["provision_error"].is_null() {
            break r[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never provisioned: {r}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(d["provisioned_at"].is_string(), "{d}");
    // The whole list, on a radio channel.
    let r = app.ok(app
        .post(
            &format!("/api/v1/charging/devices/{gw}/provision?channel=3"),
            &t.admin,
            json!({}),
        )
        .await);
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert!(r[0]["provision_error"].is_null(), "{r}");
    let _ = pile.shutdown().await;
}
