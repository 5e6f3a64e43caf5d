//! The payment service's REST and gRPC APIs as drivers, finance and charging use them,
//! with identity issuing the tokens and the sandbox provider settling.

use std::sync::Arc;
use std::time::Duration;

use apptest::{Tenant, TestApp};
use prost::Message as _;
use proto::pylon::payment::v1::payment_service_client::PaymentServiceClient;
use proto::pylon::payment::v1::{
    CaptureRequest, GetPaymentRequest, HoldRequest, PayOrderRequest, WalletOwner,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn app() -> TestApp {
    apptest::spawn_with(vec![Arc::new(payment::Payment::default())], |c| {
        c.payment.sandbox.settle_after_ms = 100;
    })
    .await
}

async fn post_keyed(
    app: &TestApp,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Waits until the wallet seen by `token` has `fen`.
async fn balance_becomes(app: &TestApp, token: &str, fen: i64) {
    for _ in 0..100 {
        let w = app.ok(app.get("/api/v1/payment/wallet", token).await);
        if w["balance_fen"] == fen {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("balance never became {fen}");
}

async fn finance(app: &TestApp, t: &Tenant) -> String {
    app.user_with_role(t, "finance", &t.id, &t.id).await.1
}

#[tokio::test]
async fn a_driver_tops_up_finance_refunds_and_roles_are_enforced() {
    let app = app().await;
    let t = app.tenant("payop").await;
    let d = app.driver(&t).await;

    let (s, e) = post_keyed(
        &app,
        "/api/v1/payment/top-ups",
        &d.token,
        None,
        json!({"amount_fen": 1000, "provider": "sandbox", "channel": "sandbox"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("Idempotency-Key"),
        "{e}"
    );
    let (s, e) = post_keyed(
        &app,
        "/api/v1/payment/top-ups",
        &d.token,
        Some("k1"),
        json!({"amount_fen": 1000, "provider": "wechat", "channel": "wechat_native"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["message"].as_str().unwrap().starts_with("provider"),
        "{e}"
    );

    let (s, p) = post_keyed(
        &app,
        "/api/v1/payment/top-ups",
        &d.token,
        Some("k1"),
        json!({"amount_fen": 1000, "provider": "sandbox", "channel": "sandbox"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let p = &p["data"];
    assert_eq!(p["status"], "pending");
    balance_becomes(&app, &d.token, 1000).await;
    let st = app.ok(app.get("/api/v1/payment/wallet/statement", &d.token).await);
    assert_eq!(st["total"], 1);
    assert_eq!(st["items"][0]["kind"], "top_up");
    assert_eq!(st["items"][0]["amount_fen"], 1000);

    // A driver may not look at wallets; finance may, but not change credit limits.
    let path = format!("/api/v1/payment/wallets/user/{}", d.id);
    assert_eq!(app.get(&path, &d.token).await.0, StatusCode::FORBIDDEN);
    let fin = finance(&app, &t).await;
    assert_eq!(app.ok(app.get(&path, &fin).await)["balance_fen"], 1000);
    let limit = format!("{path}/credit-limit");
    assert_eq!(
        app.put(&limit, &fin, json!({"credit_limit_fen": 500}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.ok(app
            .put(&limit, &t.admin, json!({"credit_limit_fen": 500}))
            .await)["credit_limit_fen"],
        500
    );
    // Another operator's finance sees nothing of this tenant's wallets.
    let other = app.tenant("otherop").await;
    let other_fin = finance(&app, &other).await;
    let w = app.ok(app.get(&path, &other_fin).await);
    assert_eq!(
        w["balance_fen"], 0,
        "another tenant's wallet of that id is a different, empty one"
    );

    let body = json!({"payment_id": p["id"], "amount_fen": 400, "reason": "user left"});
    assert_eq!(
        post_keyed(
            &app,
            "/api/v1/payment/refunds",
            &d.token,
            Some("r1"),
            body.clone()
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, r) = post_keyed(&app, "/api/v1/payment/refunds", &fin, Some("r1"), body).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    balance_becomes(&app, &d.token, 600).await;
    let (s, e) = post_keyed(
        &app,
        "/api/v1/payment/refunds",
        &fin,
        Some("r2"),
        json!({"payment_id": p["id"], "amount_fen": 601, "reason": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
}

#[tokio::test]
async fn charging_holds_captures_and_pays_orders_over_grpc() {
    let app = app().await;
    let t = app.tenant("grpcop").await;
    let d = app.driver(&t).await;
    let (s, _) = post_keyed(
        &app,
        "/api/v1/payment/top-ups",
        &d.token,
        Some("k"),
        json!({"amount_fen": 2000, "provider": "sandbox", "channel": "sandbox"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    balance_becomes(&app, &d.token, 2000).await;

    let mut grpc = PaymentServiceClient::new(app.grpc_channel().await);
    let owner = WalletOwner {
        tenant_id: t.id.clone(),
        kind: "user".into(),
        owner_id: d.id.clone(),
    };
    let mut wallet_events = app
        .subscribe("payment", &format!("{}.wallet.changed", t.id))
        .await;
    let hold_order_1 = || HoldRequest {
        owner: Some(owner.clone()),
        order_ref: "order-1".into(),
        amount_fen: 1500,
        idempotency_key: "hold-order-1".into(),
    };
    let h = grpc.hold(hold_order_1()).await.unwrap().into_inner();
    // The wallet as the hold left it (computed in the hold's transaction, not read
    // afterwards), owner and all.
    let w = h.wallet.clone().unwrap();
    assert_eq!(
        (
            h.status.as_str(),
            w.balance_fen,
            w.held_fen,
            w.credit_limit_fen
        ),
        ("held", 500, 1500, 0)
    );
    assert_eq!(w.owner.as_ref(), Some(&owner));
    // A replay of the same hold moves nothing and shows the same wallet (read).
    let again = grpc.hold(hold_order_1()).await.unwrap().into_inner();
    assert_eq!(
        (again.hold_id.as_str(), again.wallet),
        (h.hold_id.as_str(), Some(w))
    );
    // The hold's `wallet.changed` (its reference: the hold) names the driver's wallet
    // with both parts after it
    // (the top-up's own may come first: it is relayed by the outbox).
    let mut changed = proto::events::WalletChanged::default();
    for _ in 0..3 {
        let msg = apptest::next_event(&mut wallet_events).await;
        changed = proto::events::WalletChanged::decode(msg.payload.as_ref()).unwrap();
        if changed.entry_kind != "top_up" {
            break;
        }
    }
    assert_eq!(
        (
            changed.owner_kind.as_str(),
            changed.owner_id.as_str(),
            changed.balance_fen,
            changed.held_fen,
            changed.reference.as_str()
        ),
        ("user", d.id.as_str(), 500, 1500, h.hold_id.as_str()),
        "{changed:?}"
    );
    assert_eq!(changed.wallet_id, h.wallet.as_ref().unwrap().wallet_id);
    let e = grpc
        .hold(HoldRequest {
            owner: Some(owner.clone()),
            order_ref: "order-2".into(),
            amount_fen: 600,
            idempotency_key: "hold-order-2".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::FailedPrecondition, "{e}");
    let c = grpc
        .capture(CaptureRequest {
            tenant_id: t.id.clone(),
            hold_id: h.hold_id.clone(),
            amount_fen: 1234,
            idempotency_key: "capture-order-1".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let w = c.wallet.unwrap();
    assert_eq!(
        (w.balance_fen, w.held_fen, w.owner.as_ref()),
        (2000 - 1234, 0, Some(&owner))
    );

    // An order paid directly: the success event names the order.
    let mut events = app
        .subscribe("payment", &format!("{}.payment.succeeded", t.id))
        .await;
    let p = grpc
        .pay_order(PayOrderRequest {
            payer: Some(owner),
            order_ref: "order-9".into(),
            amount_fen: 888,
            provider: "sandbox".into(),
            channel: "sandbox".into(),
            idempotency_key: "pay-order-9".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p.status, "pending");
    // The top-up's own `payment.succeeded` may still be on its way (the outbox relays
    // it): the order's is the one naming an order.
    let mut ev = proto::events::PaymentSucceeded::default();
    for _ in 0..3 {
        let msg = apptest::next_event(&mut events).await;
        ev = proto::events::PaymentSucceeded::decode(msg.payload.as_ref()).unwrap();
        if ev.purpose != "wallet_top_up" {
            break;
        }
    }
    assert_eq!(
        (ev.order_ref.as_str(), ev.amount_fen, ev.purpose.as_str()),
        ("order-9", 888, "order")
    );
    let got = grpc
        .get_payment(GetPaymentRequest {
            tenant_id: t.id.clone(),
            payment_id: p.payment_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.status, "succeeded");
    // The driver's wallet is untouched by a direct payment.
    let w = app.ok(app.get("/api/v1/payment/wallet", &d.token).await);
    assert_eq!(w["balance_fen"], 2000 - 1234);
}
