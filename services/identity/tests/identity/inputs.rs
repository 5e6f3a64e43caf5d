//! Hostile input: SQL-injection-shaped filter values are inert; oversized bodies are
//! refused before they are read.

use reqwest::StatusCode;
use serde_json::json;

use crate::{PASSWORD, spawn_app, spawn_with};

#[tokio::test]
async fn sql_injection_shaped_filters_are_inert() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let (_, site, _) = app.region_and_site(&t, "North").await;
    app.staff(&t.admin, &site, "ok@acme.test", &[]).await;
    let baseline = app.ok(app.get("/api/v1/users", &t.admin).await).await["total"]
        .as_u64()
        .unwrap();
    assert!(baseline >= 2);

    let nasty = [
        "' OR '1'='1",
        "'; DROP TABLE identity.users; --",
        "%' OR 1=1 --",
        "\\'; SELECT pg_sleep(5); --",
        "_%",
        "%",
        "\") OR (\"1\"=\"1",
        "1; UPDATE identity.users SET status='disabled'",
    ];
    for v in nasty {
        let enc: String = url_encode(v);
        for path in [
            format!("/api/v1/users?q={enc}"),
            format!("/api/v1/organizations?q={enc}"),
            format!("/api/v1/audit-logs?action={enc}&target={enc}&actor_id={enc}"),
        ] {
            let started = std::time::Instant::now();
            let body = app.ok(app.get(&path, &t.admin).await).await;
            assert_eq!(body["total"], 0, "{path}: {body}");
            assert!(
                started.elapsed().as_secs() < 3,
                "{path} took long (pg_sleep?)"
            );
        }
        // Enumerated filters refuse what they do not know.
        for path in [
            format!("/api/v1/users?kind={enc}"),
            format!("/api/v1/users?status={enc}"),
            format!("/api/v1/organizations?kind={enc}"),
            format!("/api/v1/audit-logs?result={enc}"),
        ] {
            let (st, body) = app.get(&path, &t.admin).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{path}: {body}");
        }
        // Ids are typed: a non-UUID is a 400, never SQL.
        let (st, _) = app.get(&format!("/api/v1/users/{enc}"), &t.admin).await;
        assert!(
            st == StatusCode::BAD_REQUEST || st == StatusCode::NOT_FOUND,
            "{st}"
        );
        // Login fields.
        let (st, _) = app.login("acme", v, v).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
        let (st, _) = app.login(v, "ok@acme.test", PASSWORD).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    // Everything is still there and unchanged.
    let after = app.ok(app.get("/api/v1/users", &t.admin).await).await;
    assert_eq!(after["total"].as_u64().unwrap(), baseline);
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] == "active")
    );
    // A filter that should match still does (the LIKE wildcards in input are literal).
    let hit = app
        .ok(app.get("/api/v1/users?q=ok%40acme", &t.admin).await)
        .await;
    assert_eq!(hit["total"], 1);
    // Page bounds.
    let (st, _) = app.get("/api/v1/users?limit=100000", &t.admin).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = spawn_with(|c| c.http.body_limit_bytes = 16 * 1024).await;
    let big = "x".repeat(64 * 1024);
    for path in [
        "/api/v1/auth/login",
        "/api/v1/auth/register",
        "/api/v1/users",
        "/api/v1/organizations",
    ] {
        let (st, body) = app
            .call(
                reqwest::Method::POST,
                path,
                Some(&app.root.admin),
                Some(json!({"tenant": "root", "identifier": big, "password": big, "name": big})),
            )
            .await;
        assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert_eq!(body["code"], 1006, "{path}: {body}");
    }
    // Unknown fields and wrong types are 400 with the field named.
    let (st, body) = app
        .anon_post(
            "/api/v1/auth/login",
            json!({"tenant": "root", "identifier": "a@b.co", "password": "x", "admin": true}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("admin"),
        "{body}"
    );
}
