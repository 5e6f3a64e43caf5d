//! Flow (a): a driver starts on a simulated DNY pile, charges, stops; the order is
//! billed from the pile's settlement and captured from the hold.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sim::{PileConfig, Protocol, SimEvent, spawn_pile};

use crate::world;

#[tokio::test]
async fn scan_pay_charge_stop_settle_on_a_dny_pile() {
    let w = world().await;
    w.tariff().await;
    let (pile, mut sim) =
        spawn_pile(PileConfig::new(Protocol::Dny, 41, w.device_addr).with_speed(60)).unwrap();
    let device = pile.id().to_owned();
    w.register(&device, "dny").await;
    sim.wait_for(Duration::from_secs(10), |e| {
        matches!(e, SimEvent::Registered)
    })
    .await
    .expect("the pile registered");
    let d = w.driver_with(5_000).await;

    let body = json!({"device_id": device, "port": 1, "duration_secs": 7200, "hold_fen": 2_000});
    let (s, o) = w.start(&d, "o1", body.clone()).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let id = o["data"]["id"].as_str().unwrap().to_owned();
    // The same request again is the same order; another on the busy port is refused.
    let (_, again) = w.start(&d, "o1", body.clone()).await;
    assert_eq!(again["data"]["id"], id.as_str());
    let other = w.driver_with(5_000).await;
    let (s, busy) = w.start(&other, "o2", body).await;
    assert_eq!(s, StatusCode::CONFLICT, "{busy}");
    assert_eq!(busy["code"], charging::error::code::PORT_BUSY);

    w.until(&d, &id, "charging", 15).await;
    // Let it charge for a while of pile time (60x), then stop.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let stop = w
        .app
        .post(
            &format!("/api/v1/charging/orders/{id}/stop"),
            &d.token,
            json!({}),
        )
        .await;
    assert_eq!(stop.0, StatusCode::OK, "{}", stop.1);
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
    let o = w.until(&d, &id, "settled", 20).await;
    assert_eq!(o["energy_wh"], energy_wh as i64);
    assert_eq!(o["duration_secs"], i64::from(duration_s));
    // 1.5 yuan per kWh = 150 fen per kWh: round half up of energy × 0.15 fen/Wh.
    let expected = (energy_wh as i64 * 150 + 500) / 1000;
    assert_eq!(o["amount_fen"], expected, "{o}");
    let wallet = w
        .app
        .ok(w.app.get("/api/v1/payment/wallet", &d.token).await);
    assert_eq!(wallet["balance_fen"], 5_000 - expected);
    assert_eq!(wallet["held_fen"], 0);
    // The port is free again.
    let (s, next) = w
        .start(
            &other,
            "o3",
            json!({"device_id": device, "port": 1, "duration_secs": 600, "hold_fen": 500}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{next}");
    let _ = pile.shutdown().await;
}

#[tokio::test]
async fn an_offline_pile_fails_the_start_and_releases_the_hold() {
    let w = world().await;
    w.tariff().await;
    w.register("0badc0de", "dny").await;
    let d = w.driver_with(3_000).await;
    let (s, o) = w
        .start(
            &d,
            "x",
            json!({"device_id": "0badc0de", "port": 1, "until_full": true, "hold_fen": 1_000}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let id = o["data"]["id"].as_str().unwrap().to_owned();
    let o = w.until(&d, &id, "start_failed", 15).await;
    assert!(
        o["failure"].as_str().unwrap().contains("not connected"),
        "{o}"
    );
    for _ in 0..50 {
        let wallet = w
            .app
            .ok(w.app.get("/api/v1/payment/wallet", &d.token).await);
        if wallet["held_fen"] == 0 {
            assert_eq!(wallet["balance_fen"], 3_000, "nothing charged");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hold not released");
}

#[tokio::test]
async fn an_empty_wallet_or_an_unknown_device_starts_nothing() {
    let w = world().await;
    w.tariff().await;
    w.register("0badc0df", "dny").await;
    let d = w.driver_with(100).await;
    let (s, e) = w
        .start(
            &d,
            "y",
            json!({"device_id": "0badc0df", "port": 1, "until_full": true, "hold_fen": 1_000}),
        )
        .await;
    assert_eq!(s, StatusCode::PAYMENT_REQUIRED, "{e}");
    let (s, e) = w
        .start(
            &d,
            "z",
            json!({"device_id": "00000001", "port": 1, "until_full": true, "hold_fen": 50}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, e) = w
        .start(
            &d,
            "v",
            json!({"device_id": "0badc0df", "port": 1, "hold_fen": 50}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["message"].as_str().unwrap().starts_with("limit"), "{e}");
}
