//! Third-party request signatures, verified by another service from the app registry.

use std::time::Duration;

use reqwest::StatusCode;
use runtime::auth::signature;
use serde_json::{Value, json};

use crate::{TestApp, spawn_app};

pub struct Signed<'a> {
    pub app_id: &'a str,
    pub secret: &'a str,
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Signed<'_> {
    /// Sends a signed request; `sign_body` is what is signed, `send_body` what is sent.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        base: &str,
        path: &str,
        query: &str,
        ts: i64,
        nonce: &str,
        sign_body: &[u8],
        send_body: &[u8],
    ) -> (StatusCode, Value) {
        let sig = signature::sign(
            self.secret,
            method.as_str(),
            path,
            query,
            ts,
            nonce,
            sign_body,
        );
        let url = if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{query}")
        };
        let mut r = reqwest::Client::new()
            .request(method, url)
            .header(signature::APP_ID, self.app_id)
            .header(signature::TIMESTAMP, ts.to_string())
            .header(signature::NONCE, nonce)
            .header(signature::SIGNATURE, sig);
        if !send_body.is_empty() {
            r = r
                .header("content-type", "application/json")
                .body(send_body.to_vec());
        }
        let res = r.send().await.unwrap();
        let s = res.status();
        (s, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        base: &str,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> (StatusCode, Value) {
        let now = chrono::Utc::now().timestamp();
        self.send_raw(method, base, path, query, now, &nonce(), body, body)
            .await
    }
}

pub fn enc(path: &str) -> String {
    path.replace('/', "%2F")
}

async fn new_app(
    app: &TestApp,
    token: &str,
    node: Option<&str>,
    scopes: &[&str],
) -> (String, String) {
    let mut body = json!({"name": "partner", "scopes": scopes});
    if let Some(n) = node {
        body["node_id"] = json!(n);
    }
    let a = app.ok(app.post("/api/v1/apps", token, body).await).await;
    (
        a["id"].as_str().unwrap().to_owned(),
        a["secret"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn signed_requests_are_verified_once_within_the_skew_and_body_bound() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let (region, _site, site_path) = app.region_and_site(&t, "North").await;
    let (_, _, other_path) = app.region_and_site(&t, "South").await;
    let (probe, _stop) = app.probe().await;
    let (id, secret) = new_app(
        &app,
        &t.admin,
        Some(&region),
        &["devices:read", "devices:operate"],
    )
    .await;
    let s = Signed {
        app_id: &id,
        secret: &secret,
    };
    let q = format!("path={}", enc(&site_path));
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    let (st, body) = s
        .send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(
        (
            body["data"]["kind"].as_str(),
            body["data"]["subject"].as_str()
        ),
        (Some("app"), Some(id.as_str()))
    );
    assert_eq!(body["data"]["tenant"], t.id);

    // Body is covered: the echo is what was signed.
    let payload = br#"{"port":1,"cmd":"start"}"#;
    let (st, body) = s
        .send(
            post.clone(),
            &probe,
            "/api/v1/probe/devices/operate",
            &q,
            payload,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["echo"]["cmd"], "start");

    // Replayed nonce.
    let now = chrono::Utc::now().timestamp();
    let n = nonce();
    let first = s
        .send_raw(
            get.clone(),
            &probe,
            "/api/v1/probe/devices",
            &q,
            now,
            &n,
            b"",
            b"",
        )
        .await;
    assert_eq!(first.0, StatusCode::OK, "{}", first.1);
    let again = s
        .send_raw(
            get.clone(),
            &probe,
            "/api/v1/probe/devices",
            &q,
            now,
            &n,
            b"",
            b"",
        )
        .await;
    assert_eq!(again.0, StatusCode::UNAUTHORIZED, "{}", again.1);
    assert!(
        again.1["message"].as_str().unwrap().contains("nonce"),
        "{}",
        again.1
    );

    // Skewed timestamps, both ways, from the clock at each request (the steps above
    // may have taken seconds on a loaded machine). 310 s: past the 300 s allowed even
    // with the second's rounding.
    for skew in [-310, 310, -86_400] {
        let now = chrono::Utc::now().timestamp();
        let r = s
            .send_raw(
                get.clone(),
                &probe,
                "/api/v1/probe/devices",
                &q,
                now + skew,
                &nonce(),
                b"",
                b"",
            )
            .await;
        assert_eq!(r.0, StatusCode::UNAUTHORIZED, "skew {skew}: {}", r.1);
        assert!(r.1["message"].as_str().unwrap().contains("skew"), "{}", r.1);
    }
    // Within the skew is fine.
    let r = s
        .send_raw(
            get.clone(),
            &probe,
            "/api/v1/probe/devices",
            &q,
            chrono::Utc::now().timestamp() - 200,
            &nonce(),
            b"",
            b"",
        )
        .await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);

    // Tampered body, path, query, method.
    let r = s
        .send_raw(
            post.clone(),
            &probe,
            "/api/v1/probe/devices/operate",
            &q,
            now,
            &nonce(),
            payload,
            br#"{"port":2,"cmd":"start"}"#,
        )
        .await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "tampered body: {}", r.1);
    let sig = signature::sign(
        &secret,
        "GET",
        "/api/v1/probe/devices",
        &q,
        now,
        &nonce(),
        b"",
    );
    let res = reqwest::Client::new()
        .get(format!(
            "{probe}/api/v1/probe/devices?path={}",
            enc(&other_path)
        ))
        .header(signature::APP_ID, &id)
        .header(signature::TIMESTAMP, now.to_string())
        .header(signature::NONCE, nonce())
        .header(signature::SIGNATURE, sig)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "tampered query");

    // A wrong secret, an unknown app, a malformed nonce.
    let wrong = Signed {
        app_id: &id,
        secret: "sk_wrong",
    };
    assert_eq!(
        wrong
            .send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let ghost = Signed {
        app_id: "app_000000000000000000000000",
        secret: &secret,
    };
    assert_eq!(
        ghost
            .send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let r = s
        .send_raw(
            get.clone(),
            &probe,
            "/api/v1/probe/devices",
            &q,
            now,
            "short",
            b"",
            b"",
        )
        .await;
    assert_eq!(r.0, StatusCode::UNAUTHORIZED);

    // Scope: the app is confined to its node and its scopes.
    let other_q = format!("path={}", enc(&other_path));
    let r = s
        .send(get.clone(), &probe, "/api/v1/probe/devices", &other_q, b"")
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let r = s
        .send(get.clone(), &probe, "/api/v1/probe/orders", &q, b"")
        .await;
    assert_eq!(r.0, StatusCode::FORBIDDEN, "{}", r.1);
    let r = s
        .send(
            get.clone(),
            &probe,
            "/api/v1/probe/devices",
            &format!("path=%2F{}%2F", app.root.id),
            b"",
        )
        .await;
    assert_eq!(r.0, StatusCode::NOT_FOUND, "another tenant: {}", r.1);
}

#[tokio::test]
async fn rotated_and_revoked_secrets_stop_working_everywhere() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let (probe, _stop) = app.probe().await;
    let (id, secret) = new_app(&app, &t.admin, None, &["devices:read"]).await;
    let q = format!("path=%2F{}%2F", t.id);
    let get = reqwest::Method::GET;
    let old = Signed {
        app_id: &id,
        secret: &secret,
    };
    assert_eq!(
        old.send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
            .await
            .0,
        StatusCode::OK
    );

    let rotated = app
        .ok(app
            .post(&format!("/api/v1/apps/{id}/rotate"), &t.admin, json!({}))
            .await)
        .await;
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    let new = Signed {
        app_id: &id,
        secret: &new_secret,
    };
    eventually(|| async {
        old.send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
            .await
            .0
            == StatusCode::UNAUTHORIZED
    })
    .await;
    assert_eq!(
        new.send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
            .await
            .0,
        StatusCode::OK
    );

    // The secret is shown at creation and rotation only.
    let shown = app
        .ok(app.get(&format!("/api/v1/apps/{id}"), &t.admin).await)
        .await;
    assert!(shown.get("secret").is_none(), "{shown}");

    app.ok(app
        .post(&format!("/api/v1/apps/{id}/revoke"), &t.admin, json!({}))
        .await)
        .await;
    eventually(|| async {
        new.send(get.clone(), &probe, "/api/v1/probe/devices", &q, b"")
            .await
            .0
            == StatusCode::UNAUTHORIZED
    })
    .await;
    let (st, body) = app
        .post(&format!("/api/v1/apps/{id}/rotate"), &t.admin, json!({}))
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(11015)),
        "{body}"
    );

    // Apps get only third-party scopes that their creator holds.
    let (st, _) = app
        .post(
            "/api/v1/apps",
            &t.admin,
            json!({"name": "x", "scopes": ["users:read"]}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

/// Polls `check` for up to 5 s (registry changes reach other processes by KV watch).
pub async fn eventually<F, Fut>(check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..50 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not reached within 5 s");
}
