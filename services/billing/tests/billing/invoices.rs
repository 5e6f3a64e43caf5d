//! E-invoice requests: drivers for the bills they paid, finance for any in scope; the
//! export finance hands to the tax system.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{World, assert_error, flat, morning, total_facts, world};

/// Rates a 7 kWh session (877 fen) paid by `payer`; the bill id.
async fn bill(w: &World, tariff: &str, order: &str, payer: &str) -> String {
    w.rate(
        order,
        tariff,
        1,
        &total_facts(morning(), 60, 7_000),
        None,
        payer,
    )
    .await
    .unwrap()
    .bill_id
}

fn request(bills: &[&str]) -> Value {
    json!({
        "bill_ids": bills,
        "title_kind": "company",
        "title": "=上海某某科技有限公司",
        "tax_id": "91310000MA1K3ABC2X",
        "email": "fapiao@example.cn",
    })
}

#[tokio::test]
async fn drivers_invoice_their_own_bills_and_finance_exports_them() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Flat", flat(65_320, 60_000)).await;
    let tariff = t["id"].as_str().unwrap();
    let alice = app.driver(&w.t).await;
    let bob = app.driver(&w.t).await;
    let a1 = bill(&w, tariff, "order-a1", &alice.id).await;
    let a2 = bill(&w, tariff, "order-a2", &alice.id).await;
    let b1 = bill(&w, tariff, "order-b1", &bob.id).await;

    // Drivers see their own bills, and hold no bills:read.
    let mine = app.ok(app.get("/api/v1/billing/me/bills", &alice.token).await);
    assert_eq!(mine["total"], 2);
    let (st, _) = app.get("/api/v1/billing/bills", &alice.token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Alice invoices her two bills, but not Bob's.
    let r = app
        .post(
            "/api/v1/billing/invoice-requests",
            &alice.token,
            request(&[&a1, &b1]),
        )
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let req = app.ok(app
        .post(
            "/api/v1/billing/invoice-requests",
            &alice.token,
            request(&[&a1, &a2]),
        )
        .await);
    assert_eq!(req["total_fen"], 2 * 877);
    assert_eq!(req["bills"].as_array().unwrap().len(), 2);
    assert_eq!(req["email"], "fapiao@example.cn");
    assert_eq!(req["node_path"], w.site.site_path);
    // A bill is invoiced once.
    let r = app
        .post(
            "/api/v1/billing/invoice-requests",
            &alice.token,
            request(&[&a2]),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, 13006, &["order-a2"]);
    // A company needs its tax id; unknown bills do not exist.
    let mut no_tax = request(&[&b1]);
    no_tax["tax_id"] = Value::Null;
    let r = app
        .post("/api/v1/billing/invoice-requests", &bob.token, no_tax)
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["tax_id:"]);
    let r = app
        .post(
            "/api/v1/billing/invoice-requests",
            &bob.token,
            request(&["0190a0a0-0000-7000-8000-000000000000"]),
        )
        .await;
    assert_eq!(r.0, StatusCode::NOT_FOUND, "{}", r.1);
    // Finance may request for any bill in scope (personal title this time).
    let personal = app.ok(
        app.post(
            "/api/v1/billing/invoice-requests",
            &w.finance,
            json!({"bill_ids": [b1], "title_kind": "personal", "title": "Bob, \"B\"", "email": "bob@example.cn"}),
        )
        .await,
    );
    assert_eq!(personal["tax_id"], Value::Null);

    // Lists: drivers their own, finance everything (e-mail masked without pii:read).
    let own = app.ok(app
        .get("/api/v1/billing/invoice-requests", &alice.token)
        .await);
    assert_eq!(own["total"], 1);
    assert_eq!(own["items"][0]["email"], "fapiao@example.cn");
    let bobs = app.ok(app
        .get("/api/v1/billing/invoice-requests", &bob.token)
        .await);
    assert_eq!(bobs["total"], 0, "finance made Bob's request, not Bob");
    let all = app.ok(app
        .get("/api/v1/billing/invoice-requests", &w.finance)
        .await);
    assert_eq!(all["total"], 2);
    let alices = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == req["id"])
        .unwrap();
    assert_eq!(alices["email"], "f***@example.cn");

    // The export: CSV with yuan, formulas defused, oldest first.
    let res = app
        .raw(
            Method::GET,
            "/api/v1/billing/invoice-requests/export",
            Some(&w.finance),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv
        .trim_start_matches('\u{feff}')
        .trim_end()
        .split("\r\n")
        .collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with(
        "request_id,requested_at,requested_by,title_kind,title,tax_id,email,amount_yuan"
    ));
    assert!(lines[1].starts_with(req["id"].as_str().unwrap()), "{csv}");
    assert!(
        lines[1].ends_with(",company,'=上海某某科技有限公司,91310000MA1K3ABC2X,fapiao@example.cn,17.54,2,order-a1;order-a2"),
        "{csv}"
    );
    assert!(
        lines[2].contains(",personal,\"Bob, \"\"B\"\"\",,bob@example.cn,8.77,1,order-b1"),
        "{csv}"
    );

    let json = app.ok(app
        .get(
            "/api/v1/billing/invoice-requests/export?format=json",
            &w.finance,
        )
        .await);
    assert_eq!(json["count"], 2);
    assert_eq!(json["items"][0]["amount_yuan"], "17.54");
    assert_eq!(
        json["items"][0]["order_refs"],
        json!(["order-a1", "order-a2"])
    );
    let (st, _) = app
        .get("/api/v1/billing/invoice-requests/export", &alice.token)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let r = app
        .get(
            "/api/v1/billing/invoice-requests/export?format=xlsx",
            &w.finance,
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["format:"]);
}
