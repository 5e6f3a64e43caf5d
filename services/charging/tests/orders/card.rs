//! Flow (b): a card bound to a driver's wallet is swiped at a pile; the gateway asks
//! charging, the pile starts by itself, the order appears, the second swipe ends it and
//! it settles from the pile's settlement.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use sim::SimEvent;

use crate::world;

#[tokio::test]
async fn a_card_swipe_charges_the_cards_wallet() {
    let w = world().await;
    w.tariff().await;
    let (pile, mut sim, _device) = w.registered_pile(44).await;
    let d = w.driver_with(4_000).await;
    let r = w
        .app
        .post(
            "/api/v1/charging/me/cards",
            &d.token,
            json!({"card_no": "1234abcd"}),
        )
        .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);

    pile.swipe_card(0, 0x1234_ABCD).await.unwrap();
    let answered = sim
        .wait_for(Duration::from_secs(10), |e| {
            matches!(e, SimEvent::CardAnswered { .. })
        })
        .await
        .expect("the gateway answered the swipe");
    let SimEvent::CardAnswered { status, .. } = answered else {
        unreachable!()
    };
    assert_eq!(status, 0, "approved");
    // The order appears with the pile's first report of the session.
    let mut order = serde_json::Value::Null;
    for _ in 0..150 {
        let list = w
            .app
            .ok(w.app.get("/api/v1/charging/me/orders", &d.token).await);
        if list["total"] == 1 && list["items"][0]["state"] == "charging" {
            order = list["items"][0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = w
        .app
        .ok(w.app.get("/api/v1/charging/me/orders", &d.token).await);
    let pool = sqlx::PgPool::connect(&w.app.db.url).await.unwrap();
    let auths: Vec<(String, i32, Option<chrono::DateTime<chrono::Utc>>)> =
        sqlx::query_as("SELECT device_id, port, picked_at FROM charging.card_authorizations")
            .fetch_all(&pool)
            .await
            .unwrap();
    let ports: Vec<(String, i32, String, String)> = sqlx::query_as(
        "SELECT device_id, port, state, COALESCE(order_ref,'') FROM charging.live_ports",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    eprintln!("DEBUG auths={auths:?} ports={ports:?}");
    assert_eq!(order["state"], "charging", "no card order appeared: {list}");
    let id = order["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Swiping again ends the session.
    pile.swipe_card(0, 0x1234_ABCD).await.unwrap();
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
    let expected = (energy_wh as i64 * 150 + 500) / 1000;
    assert_eq!(o["amount_fen"], expected, "{o}");
    let wallet = w
        .app
        .ok(w.app.get("/api/v1/payment/wallet", &d.token).await);
    assert_eq!(
        (
            wallet["balance_fen"].as_i64().unwrap(),
            wallet["held_fen"].as_i64().unwrap()
        ),
        (4_000 - expected, 0)
    );
    let _ = pile.shutdown().await;
}
