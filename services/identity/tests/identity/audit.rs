//! The audit log: every mutating request, by anyone, with filters and pagination.

use reqwest::StatusCode;
use serde_json::json;

use crate::{PASSWORD, spawn_app};

#[tokio::test]
async fn mutating_requests_are_audited_and_queryable() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let (_, site, _) = app.region_and_site(&t, "North").await;
    let staff = app.staff(&t.admin, &site, "s@acme.test", &[]).await;
    // A failed login, a denied action, a successful change.
    let (st, _) = app.login("acme", "s@acme.test", "wrong-pass1").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let s = app.login_ok("acme", "s@acme.test", PASSWORD).await;
    let staff_token = s["access_token"].as_str().unwrap();
    let (st, _) = app
        .post(
            &format!("/api/v1/organizations/{site}/disable"),
            staff_token,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    app.ok(app
        .patch(
            &format!("/api/v1/organizations/{site}"),
            &t.admin,
            json!({"name": "Renamed"}),
        )
        .await)
        .await;

    let all = app
        .ok(app.get("/api/v1/audit-logs?limit=200", &t.admin).await)
        .await;
    let items = all["items"].as_array().unwrap();
    let find = |action: &str, result: &str| {
        items
            .iter()
            .find(|e| e["action"] == action && e["result"] == result)
            .unwrap_or_else(|| panic!("no {action} {result} in {all}"))
            .clone()
    };
    let failed_login = find("POST /api/v1/auth/login", "denied");
    assert_eq!(failed_login["status"], 401);
    assert_eq!(failed_login["tenant_id"], t.id.as_str());
    assert_eq!(
        failed_login["target"], "login s***@acme.test",
        "identifier masked"
    );
    assert_eq!(failed_login["ip"], "127.0.0.1");
    let login = find("POST /api/v1/auth/login", "ok");
    assert_eq!(login["actor_id"], staff.as_str());
    let denied = find("POST /api/v1/organizations/{id}/disable", "denied");
    assert_eq!(denied["actor_id"], staff.as_str());
    assert_eq!(denied["actor_kind"], "user");
    let renamed = find("PATCH /api/v1/organizations/{id}", "ok");
    assert!(renamed["target"].as_str().unwrap().contains(&site));
    assert!(
        renamed["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    // Reads are not audited.
    assert!(
        !items
            .iter()
            .any(|e| e["action"].as_str().unwrap().starts_with("GET"))
    );

    // Filters and pagination.
    let denied_only = app
        .ok(app.get("/api/v1/audit-logs?result=denied", &t.admin).await)
        .await;
    assert_eq!(denied_only["total"], 2, "{denied_only}");
    let by_actor = app
        .ok(app
            .get(&format!("/api/v1/audit-logs?actor_id={staff}"), &t.admin)
            .await)
        .await;
    assert_eq!(by_actor["total"], 2, "login + denied disable: {by_actor}");
    let by_action = app
        .ok(app
            .get("/api/v1/audit-logs?action=organizations", &t.admin)
            .await)
        .await;
    assert!(by_action["total"].as_u64().unwrap() >= 3);
    let total = all["total"].as_u64().unwrap();
    let page = app
        .ok(app
            .get("/api/v1/audit-logs?limit=2&offset=1", &t.admin)
            .await)
        .await;
    assert_eq!(
        (
            page["total"].as_u64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(total), 2)
    );
    assert_eq!(
        page["items"][0]["id"], items[1]["id"],
        "newest first, offset applies"
    );
    let future = app
        .ok(app
            .get("/api/v1/audit-logs?from=2999-01-01T00:00:00Z", &t.admin)
            .await)
        .await;
    assert_eq!(future["total"], 0);
    // Reading it is for those holding audit:read on the operator node.
    let (st, _) = app.get("/api/v1/audit-logs", staff_token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
