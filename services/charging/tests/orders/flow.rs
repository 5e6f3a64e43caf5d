//! Flow (a): a driver starts on a simulated DNY pile, charges, stops; the order is
//! billed from the pile's settlement and captured from the hold.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sim::{PileConfig, Protocol, SimEvent};

use crate::world;

#[tokio::test]
async fn scan_pay_charge_stop_settle_on_a_dny_pile() {
    let w = world().await;
    w.tariff().await;
    let (pile, mut sim, device) = w.registered_pile(41).await;
    let d = w.driver_with(5_000).await;

    let body = json!({"device_id": device, "port": 1, "duration_secs": 7200, "hold_fen": 2_000});
    let id = w.started(&d, "o1", body.clone()).await;
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
    w.stop(&d, &id).await;
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
    let id = w
        .started(
            &d,
            "x",
            json!({"device_id": "0badc0de", "port": 1, "until_full": true, "hold_fen": 1_000}),
        )
        .await;
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

#[tokio::test]
async fn fifty_concurrent_starts_on_one_port_make_one_order() {
    let w = world().await;
    w.tariff().await;
    let (pile, _sim, device) = w.registered_pile(42).await;
    let d = w.driver_with(50_000).await;
    let starts = (0..50).map(|i| {
        let body = json!({"device_id": device, "port": 2, "duration_secs": 3600, "hold_fen": 500});
        let (w, d) = (&w, &d);
        async move { w.start(d, &format!("race-{i}"), body).await }
    });
    let results = futures::future::join_all(starts).await;
    let ok: Vec<_> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .collect();
    let busy = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok.len(), busy), (1, 49), "{results:?}");
    let id = ok[0].1["data"]["id"].as_str().unwrap().to_owned();
    w.until(&d, &id, "charging", 15).await;
    let wallet = w
        .app
        .ok(w.app.get("/api/v1/payment/wallet", &d.token).await);
    assert_eq!(wallet["held_fen"], 500, "one hold only");
    let _ = pile.shutdown().await;
}

#[tokio::test]
async fn an_operator_force_ends_an_order_whose_pile_went_silent() {
    let w = world().await;
    w.tariff().await;
    let (pile, _sim, device) = w.registered_pile(43).await;
    let d = w.driver_with(3_000).await;
    let id = w
        .started(
            &d,
            "s",
            json!({"device_id": device, "port": 1, "until_full": true, "hold_fen": 1_000}),
        )
        .await;
    w.until(&d, &id, "charging", 15).await;
    pile.set_silent(true).await.unwrap();
    let path = format!("/api/v1/charging/orders/{id}/force-end");
    // The driver may not; the operator may.
    assert_eq!(
        w.app.post(&path, &d.token, json!({})).await.0,
        StatusCode::FORBIDDEN
    );
    let r = w.app.post(&path, &w.t.admin, json!({})).await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    let o = w.until(&d, &id, "abnormal_end", 10).await;
    assert_eq!(o["state"], "abnormal_end");
    for _ in 0..100 {
        let wallet = w
            .app
            .ok(w.app.get("/api/v1/payment/wallet", &d.token).await);
        let o = w.app.ok(w
            .app
            .get(&format!("/api/v1/charging/orders/{id}"), &d.token)
            .await);
        // The capture releases the hold before the order records its amount: wait
        // for both.
        if wallet["held_fen"] == 0
            && let Some(amount) = o["amount_fen"].as_i64()
        {
            assert_eq!(wallet["balance_fen"], 3_000 - amount, "{o}");
            let _ = pile.shutdown().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the hold was not settled");
}

#[tokio::test]
async fn a_pile_that_reconnects_mid_charge_keeps_its_order_and_settles() {
    let w = world().await;
    w.tariff().await;
    let mut config = PileConfig::new(Protocol::Dny, 46, w.device_addr).with_speed(60);
    config.profile_mut().backoff_min = Duration::from_secs(1);
    let (pile, mut sim, device) = w.pile_with(config).await;
    let d = w.driver_with(3_000).await;
    let id = w
        .started(
            &d,
            "r",
            json!({"device_id": device, "port": 1, "duration_secs": 7200, "hold_fen": 1_000}),
        )
        .await;
    w.until(&d, &id, "charging", 15).await;
    // The modem drops the connection; the pile keeps charging and comes back.
    pile.reconnect().await.unwrap();
    sim.wait_for(Duration::from_secs(15), |e| {
        matches!(e, SimEvent::Registered)
    })
    .await
    .expect("the pile came back");
    let o = w.until(&d, &id, "charging", 5).await;
    assert_eq!(o["state"], "charging", "the order survived the reconnect");
    w.stop(&d, &id).await;
    let settled = sim
        .wait_for(Duration::from_secs(15), |e| {
            matches!(e, SimEvent::Settled { .. })
        })
        .await
        .expect("the pile settled");
    let SimEvent::Settled { energy_wh, .. } = settled else {
        unreachable!()
    };
    let o = w.until(&d, &id, "settled", 20).await;
    assert_eq!(o["energy_wh"], energy_wh as i64);
    let _ = pile.shutdown().await;
}

#[tokio::test]
async fn twenty_concurrent_stops_move_the_order_once() {
    let w = world().await;
    w.tariff().await;
    let (pile, _sim, device) = w.registered_pile(43).await;
    let d = w.driver_with(5_000).await;
    let body = json!({"device_id": device, "port": 1, "duration_secs": 7200, "hold_fen": 2_000});
    let id = w.started(&d, "race-stop", body).await;
    w.until(&d, &id, "charging", 15).await;

    // Every request decides on the order as it read it; only one may write its decision.
    let path = format!("/api/v1/charging/orders/{id}/stop");
    let stops = (0..20).map(|_| w.app.post(&path, &d.token, json!({})));
    let answers = futures::future::join_all(stops).await;
    for (s, b) in &answers {
        assert_eq!(*s, StatusCode::OK, "a repeated stop is accepted: {b}");
    }
    w.until(&d, &id, "settled", 20).await;
    let to = w.states(&d.token, &id).await;
    assert_eq!(
        to,
        [
            "authorized",
            "starting",
            "charging",
            "stopping",
            "ended",
            "settled"
        ],
        "each state once, in order"
    );
    let _ = pile.shutdown().await;
}
