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

/// The station page's electricity price (milli-fen per kWh) as the driver sees it.
async fn electricity(w: &crate::World, token: &str, site_id: &str) -> i64 {
    let detail = w.app.ok(w
        .app
        .get(&format!("/api/v1/charging/stations/{site_id}"), token)
        .await);
    detail["tariff"]["energy"]["flat"]["electricity_millifen_per_kwh"]
        .as_i64()
        .unwrap_or_else(|| panic!("no flat tariff: {detail}"))
}

/// Polls the station page until its price is `want` (within 5 s, far below the cache's
/// 60 s time to live: only billing's events or the version's start can make it).
async fn until_price(w: &crate::World, token: &str, site_id: &str, want: i64) {
    let mut seen = 0;
    for _ in 0..50 {
        seen = electricity(w, token, site_id).await;
        if seen == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the station still shows {seen}, not {want}");
}

fn flat(electricity: i64) -> serde_json::Value {
    json!({"energy": {"flat": {
        "electricity_millifen_per_kwh": electricity,
        "service_millifen_per_kwh": 50_000,
    }}})
}

#[tokio::test]
async fn tariff_changes_reach_drivers_at_once_though_resolutions_are_kept() {
    let w = world().await;
    let place = w.app.region_and_site(&w.t, "east").await;
    let tariff = |name: &'static str, electricity: i64| {
        let w = &w;
        async move {
            w.app.ok(w
                .app
                .post(
                    "/api/v1/billing/tariffs",
                    &w.t.admin,
                    json!({"name": name, "body": flat(electricity)}),
                )
                .await)["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let assign = |node: String, tariff_id: String| {
        let w = &w;
        async move {
            w.app.ok(w
                .app
                .post(
                    "/api/v1/billing/assignments",
                    &w.t.admin,
                    json!({"node_path": node, "tariff_id": tariff_id}),
                )
                .await)
        }
    };
    let base = tariff("base", 100_000).await;
    assign(w.t.path(), base.clone()).await;
    let site = w.app.ok(w
        .app
        .post(
            "/api/v1/charging/sites",
            &w.t.admin,
            json!({"node_path": place.site_path, "name": "E", "lat": 31.0, "lng": 121.0, "address": "路"}),
        )
        .await);
    let site_id = site["id"].as_str().unwrap().to_owned();
    let d = w.app.driver(&w.t).await;
    assert_eq!(electricity(&w, &d.token, &site_id).await, 100_000);

    // A new version in effect now: billing's event makes charging forget what it kept.
    let version = |tariff_id: String, electricity: i64, from: Option<String>| {
        let w = &w;
        async move {
            let r = w
                .app
                .post(
                    &format!("/api/v1/billing/tariffs/{tariff_id}/versions"),
                    &w.t.admin,
                    json!({"body": flat(electricity), "effective_from": from}),
                )
                .await;
            assert_eq!(r.0, StatusCode::OK, "{}", r.1);
        }
    };
    version(base.clone(), 120_000, None).await;
    until_price(&w, &d.token, &site_id, 120_000).await;

    // An assignment nearer the site wins at once; removing it falls back as quickly.
    let local = tariff("local", 90_000).await;
    let a = assign(place.site_path.clone(), local).await;
    until_price(&w, &d.token, &site_id, 90_000).await;
    let r = w
        .app
        .delete(
            &format!("/api/v1/billing/assignments/{}", a["id"].as_str().unwrap()),
            &w.t.admin,
        )
        .await;
    assert!(r.0.is_success(), "{}", r.1);
    until_price(&w, &d.token, &site_id, 120_000).await;

    // A version scheduled for later: the old price until its start, the new one after,
    // with no event at that moment (the resolution said how long it stays valid).
    let from = chrono::Utc::now() + chrono::Duration::seconds(2);
    version(base, 150_000, Some(from.to_rfc3339())).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(electricity(&w, &d.token, &site_id).await, 120_000);
    let wait = (from - chrono::Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait).await;
    until_price(&w, &d.token, &site_id, 150_000).await;
}
