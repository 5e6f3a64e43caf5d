//! Creating tariffs and versions: validation names the field and stores nothing.

use reqwest::StatusCode;
use serde_json::json;

use crate::{assert_error, flat, time_of_use, world};

#[tokio::test]
async fn invalid_tariffs_name_the_field_and_store_nothing() {
    let w = world().await;
    let app = &w.app;
    let create = |body: serde_json::Value| {
        app.post(
            "/api/v1/billing/tariffs",
            &w.finance,
            json!({"name": "Bad", "body": body}),
        )
    };

    // The engine's validation, with the field's path inside the body.
    let r = create(flat(65_320, -1)).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        u64::from(billing::code::INVALID_TARIFF),
        &["body: energy.flat.service_millifen_per_kwh", "negative"],
    );
    let mut gap = time_of_use();
    gap["energy"]["time_of_use"]["periods"][4]["end"] = json!("22:00");
    let r = create(gap).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        13001,
        &["energy.time_of_use.periods", "22:00", "uncovered"],
    );
    let r = create(json!({"free_minutes": 5})).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        13001,
        &["no charging component"],
    );
    // Shapes the engine cannot even read: the JSON path of the culprit.
    let r = create(json!({"energy": {"flat": {"electricity_millifen_per_kwh": 1}}})).await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        1001,
        &["body.energy.flat", "service_millifen_per_kwh"],
    );
    let r = create(json!({"energy": {"flat": {"electricity_millifen_per_kwh": 1, "service_millifen_per_kwh": 1}}, "colour": "red"})).await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["colour"]);
    // Our own fields.
    let r = app
        .post(
            "/api/v1/billing/tariffs",
            &w.finance,
            json!({"name": "  ", "body": flat(1, 1)}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["name:"]);
    let r = app
        .post(
            "/api/v1/billing/tariffs",
            &w.finance,
            json!({"name": "Old", "body": flat(1, 1), "effective_from": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        1001,
        &["effective_from:", "retroactively"],
    );

    let listed = app.ok(app.get("/api/v1/billing/tariffs", &w.finance).await);
    assert_eq!(listed["total"], 0, "{listed}");

    // A good tariff; a bad version of it changes nothing either.
    let t = w.tariff("Standard", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/billing/tariffs/{id}/versions"),
            &w.finance,
            json!({"body": flat(65_320, 2_000_000_000)}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        13001,
        &["energy.flat.service_millifen_per_kwh", "above the limit"],
    );
    let again = app.ok(app
        .get(&format!("/api/v1/billing/tariffs/{id}"), &w.finance)
        .await);
    assert_eq!(again["versions"].as_array().unwrap().len(), 1, "{again}");
    let pool = app.db.pool().await;
    let (tariffs, versions): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM billing.tariffs), (SELECT count(*) FROM billing.tariff_versions)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((tariffs, versions), (1, 1));

    // Names are unique per tenant.
    let r = app
        .post(
            "/api/v1/billing/tariffs",
            &w.finance,
            json!({"name": "Standard", "body": flat(1, 1)}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, 13005, &["Standard"]);
}

#[tokio::test]
async fn tariffs_list_and_show_their_versions() {
    let w = world().await;
    let app = &w.app;
    let a = w.tariff("Alpha", flat(65_320, 60_000)).await;
    w.tariff("Beta", time_of_use()).await;
    assert_eq!(a["versions"][0]["version"], 1);
    assert_eq!(a["node_path"], w.path());
    let id = a["id"].as_str().unwrap();
    let v2 = app.ok(app
        .post(
            &format!("/api/v1/billing/tariffs/{id}/versions"),
            &w.finance,
            json!({"body": flat(70_000, 60_000)}),
        )
        .await);
    assert_eq!(v2["version"], 2);

    let page = app.ok(app.get("/api/v1/billing/tariffs?limit=1", &w.finance).await);
    assert_eq!(
        (page["total"].as_u64(), page["limit"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(page["items"][0]["name"], "Alpha");
    assert_eq!(page["items"][0]["latest_version"], 2);
    let found = app.ok(app.get("/api/v1/billing/tariffs?q=bet", &w.finance).await);
    assert_eq!(found["total"], 1);

    let shown = app.ok(app
        .get(&format!("/api/v1/billing/tariffs/{id}"), &w.finance)
        .await);
    let versions = shown["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[1]["body"]["energy"]["flat"]["electricity_millifen_per_kwh"],
        70_000
    );
}
