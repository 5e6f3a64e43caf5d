//! Drivers find stations near them, with free ports and the tariff.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sim::{PileConfig, Protocol, SimEvent, spawn_pile};

use crate::world;

#[tokio::test]
async fn nearby_stations_are_sorted_by_distance_with_free_ports_and_tariff() {
    let w = world().await;
    w.tariff().await;
    let near = w.app.region_and_site(&w.t, "north").await;
    let far = w.app.site(&w.t, &near.region_id, "far").await;
    let site = |path: &str, name: &str, lat: f64, lng: f64| json!({"node_path": path, "name": name, "lat": lat, "lng": lng, "address": "路"});
    let a = w.app.ok(w
        .app
        .post(
            "/api/v1/charging/sites",
            &w.t.admin,
            site(&near.site_path, "A", 31.2304, 121.4737),
        )
        .await);
    let b = w.app.ok(w
        .app
        .post(
            "/api/v1/charging/sites",
            &w.t.admin,
            site(&far.site_path, "B", 31.2404, 121.4737),
        )
        .await);
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 45, w.device_addr).with_speed(10)).unwrap();
    let device = pile.id().to_owned();
    let r = w
        .app
        .post(
            "/api/v1/charging/devices",
            &w.t.admin,
            json!({"protocol": "dny", "device_id": device, "port_count": 2, "site_id": a["id"]}),
        )
        .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    sim.wait_for(Duration::from_secs(10), |e| {
        matches!(e, SimEvent::Registered)
    })
    .await
    .unwrap();
    let d = w.app.driver(&w.t).await;
    let q = "/api/v1/charging/stations?lat=31.2300&lng=121.4737&radius_m=3000";
    let mut list = serde_json::Value::Null;
    for _ in 0..100 {
        list = w.app.ok(w.app.get(q, &d.token).await);
        if list[0]["ports_free"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["site_id"], a["id"], "nearest first: {list}");
    assert_eq!(
        (
            list[0]["ports_total"].as_i64(),
            list[0]["ports_free"].as_i64()
        ),
        (Some(2), Some(2)),
        "{list}"
    );
    assert!(list[0]["distance_m"].as_u64().unwrap() < list[1]["distance_m"].as_u64().unwrap());
    assert_eq!(list[1]["site_id"], b["id"]);
    // A small radius leaves the far one out.
    let only = w.app.ok(w
        .app
        .get(
            "/api/v1/charging/stations?lat=31.2300&lng=121.4737&radius_m=500",
            &d.token,
        )
        .await);
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    let bad = w
        .app
        .get("/api/v1/charging/stations?lat=91&lng=0", &d.token)
        .await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST);

    let detail = w.app.ok(w
        .app
        .get(
            &format!("/api/v1/charging/stations/{}", a["id"].as_str().unwrap()),
            &d.token,
        )
        .await);
    assert_eq!(detail["name"], "A");
    assert_eq!(
        detail["tariff"]["energy"]["flat"]["electricity_millifen_per_kwh"], 100_000,
        "{detail}"
    );
    let _ = pile.shutdown().await;
}
