//! Quotes: what a planned session at a site costs, for drivers and staff, over REST and
//! gRPC, equal to the engine's quote under the tariff in effect.

use proto::pylon::billing::v1 as pb;
use reqwest::StatusCode;
use serde_json::json;

use crate::{assert_error, morning, time_of_use, world};

#[tokio::test]
async fn drivers_and_staff_get_the_engines_quote() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Time of use", time_of_use()).await;
    w.assign(&w.path(), t["id"].as_str().unwrap()).await;
    let driver = app.driver(&w.t).await;

    // Two hours at 7 kW from 06:00 local: valley then flat.
    let request = json!({
        "node_path": w.site.site_path,
        "start": morning(),
        "plan": {"duration_seconds": 7200},
        "expected_power": 70_000,
    });
    let want = {
        let tariff: pricing::Tariff = serde_json::from_value(time_of_use()).unwrap();
        let q: pricing::QuoteRequest = serde_json::from_value(json!({
            "start": morning(),
            "time_zone": "Asia/Shanghai",
            "plan": {"duration_seconds": 7200},
            "expected_power": 70_000,
        }))
        .unwrap();
        pricing::quote(&tariff, &q).unwrap()
    };
    let got = app.ok(app
        .post("/api/v1/billing/quotes", &driver.token, request.clone())
        .await);
    let bill: pricing::Bill = serde_json::from_value(got["bill"].clone()).unwrap();
    assert_eq!(bill, want);
    assert_eq!(got["tariff"]["tariff_id"], t["id"]);
    assert_eq!(got["tariff"]["version"], 1);
    assert!(got["tariff"].get("body").is_none());
    let staff = app.ok(app
        .post("/api/v1/billing/quotes", &w.finance, request.clone())
        .await);
    assert_eq!(staff["bill"], got["bill"]);

    // By energy; and the gRPC twin.
    let by_energy = app.ok(
        app.post(
            "/api/v1/billing/quotes",
            &driver.token,
            json!({"node_path": w.site.site_path, "start": morning(), "plan": {"energy": 14_000}, "expected_power": 70_000}),
        )
        .await,
    );
    assert_eq!(
        by_energy["bill"], got["bill"],
        "14 kWh at 7 kW is the same two hours"
    );
    let g = w
        .grpc()
        .await
        .quote(pb::QuoteRequest {
            tenant_id: w.t.id.clone(),
            node_path: w.site.site_path.clone(),
            start: Some(prost_types::Timestamp {
                seconds: morning().timestamp(),
                nanos: 0,
            }),
            time_zone: String::new(),
            plan: Some(pb::quote_request::Plan::DurationSeconds(7200)),
            expected_power_deciwatts: 70_000,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(g.total_fen, want.total_fen.get());
    assert_eq!(g.bill_id, "", "a quote is not a bill");
    assert_eq!(g.items.len(), want.items.len());

    // Bad plans name their field; another operator's site does not exist.
    let r = app
        .post(
            "/api/v1/billing/quotes",
            &driver.token,
            json!({"node_path": w.site.site_path, "plan": {"energy": 1000}, "expected_power": 0}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["expected_power"]);
    let r = app
        .post(
            "/api/v1/billing/quotes",
            &driver.token,
            json!({"node_path": w.site.site_path, "plan": {"energy": 1000}, "expected_power": 1, "time_zone": "Mars/Base"}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["time_zone"]);
    let other = app.tenant("other").await;
    let r = app
        .post(
            "/api/v1/billing/quotes",
            &other.admin,
            json!({"node_path": w.site.site_path, "plan": {"duration_seconds": 60}, "expected_power": 1}),
        )
        .await;
    assert_eq!(r.0, StatusCode::NOT_FOUND, "{}", r.1);
    // Staff without tariffs:read or sites:read on the site: 403.
    let (_, finance_south) = {
        let south = app.region_and_site(&w.t, "South").await;
        app.user_with_role(&w.t, "finance", &south.region_id, &south.region_id)
            .await
    };
    let r = app
        .post("/api/v1/billing/quotes", &finance_south, request)
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
}
