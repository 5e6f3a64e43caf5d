//! Card decisions as the gateway asks for them (core NATS request), against bindings
//! made over REST and the payment service's wallets.

use std::time::Duration;

use prost::Message as _;
use proto::pylon::gateway::v1::{CardAuthorizeRequest, CardAuthorizeResponse};
use serde_json::json;

use crate::app;
use crate::events::connect;

async fn ask(app: &apptest::TestApp, device: &str, port: u32, card: &str) -> CardAuthorizeResponse {
    let req = CardAuthorizeRequest {
        device_id: device.into(),
        protocol: "dny".into(),
        port,
        card_no: card.into(),
    };
    let subject = app
        .bus
        .namespace
        .subject(&["charging", "card", "authorize"]);
    let reply = tokio::time::timeout(
        Duration::from_secs(3),
        app.bus.client.request(subject, req.encode_to_vec().into()),
    )
    .await
    .expect("answered within the gateway's decision timeout")
    .unwrap();
    CardAuthorizeResponse::decode(reply.payload.as_ref()).unwrap()
}

/// Waits until charging knows the device (its `connected` event was consumed).
async fn known(app: &apptest::TestApp, id: &str) {
    crate::live_until(app, &app.root.admin, id, |d| d["online"] == true).await;
}

#[tokio::test]
async fn unknown_cards_are_refused_bound_cards_need_a_balance() {
    let (app, _) = app().await;
    let tenant = app.root.id.clone();
    let root = app.root.clone();
    let driver = app.driver(&root).await;
    let device = "1a2b3c4d";
    connect(&app, &tenant, device).await;
    known(&app, device).await;

    // Nobody bound it: unregistered card (1).
    let r = ask(&app, device, 1, "DEADBEEF").await;
    assert_eq!((r.account_status, r.balance_fen), (1, 0));

    // The driver binds it; an empty wallet is insufficient balance (6).
    let mine = app.ok(app
        .post(
            "/api/v1/charging/me/cards",
            &driver.token,
            json!({"card_no": "DEADBEEF"}),
        )
        .await);
    assert_eq!(mine["card_no"], "deadbeef");
    assert_eq!(ask(&app, device, 1, "deadbeef").await.account_status, 6);

    // Topped up: approved with the balance, and the swipe is recorded for orders.
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    let owner = payment::app::wallets::Owner {
        tenant: tenant.parse().unwrap(),
        kind: "user",
        id: driver.id.parse().unwrap(),
    };
    payment::app::wallets::top_up(
        &pool,
        &app.bus.namespace,
        &owner,
        "sandbox",
        5_000,
        "t1",
        "test",
    )
    .await
    .unwrap();
    let r = ask(&app, device, 1, "deadbeef").await;
    assert_eq!((r.account_status, r.balance_fen), (0, 5_000));
    let auth = charging::live::store::cards::latest_open(&pool, device, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (auth.card_no.as_str(), auth.owner_id.to_string()),
        ("deadbeef", driver.id.clone())
    );
    // A balance query (port 0) is answered and not recorded as a swipe.
    assert_eq!(ask(&app, device, 0, "deadbeef").await.balance_fen, 5_000);

    // Another driver cannot take the card; the operator blocks it: refused (1).
    let other = app.driver(&root).await;
    let (status, body) = app
        .post(
            "/api/v1/charging/me/cards",
            &other.token,
            json!({"card_no": "deadbeef"}),
        )
        .await;
    assert_eq!((status.as_u16(), body["code"].as_u64()), (409, Some(12005)));
    app.ok(app
        .put(
            "/api/v1/charging/cards/deadbeef",
            &root.admin,
            json!({"owner_id": driver.id, "status": "blocked"}),
        )
        .await);
    assert_eq!(ask(&app, device, 1, "deadbeef").await.account_status, 1);
    let list = app.ok(app.get("/api/v1/charging/cards", &root.admin).await);
    assert_eq!(list["total"], 1);

    // A pile no operator owns (tenant `_`) or never seen: device unregistered (0x0C).
    connect(&app, "_", "99887766").await;
    known(&app, "99887766").await;
    assert_eq!(
        ask(&app, "99887766", 1, "deadbeef").await.account_status,
        0x0C
    );
    assert_eq!(
        ask(&app, "00000000", 1, "deadbeef").await.account_status,
        0x0C
    );
}
