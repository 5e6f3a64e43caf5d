//! Tenant isolation: an operator guessing another operator's ids gets 404 everywhere,
//! and no list ever shows another operator's rows.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::spawn_app;

#[tokio::test]
async fn another_tenants_ids_are_404_everywhere_and_lists_never_leak() {
    let app = spawn_app().await;
    let a = app.tenant("alpha").await;
    let b = app.tenant("bravo").await;
    let (ra, sa, _) = app.region_and_site(&a, "North").await;
    let (rb, _sb, _) = app.region_and_site(&b, "Nord").await;
    let ua = app
        .staff(&a.admin, &sa, "staff@alpha.test", &[("site_manager", &sa)])
        .await;
    let grants = app
        .ok(app
            .get(&format!("/api/v1/users/{ua}/grants"), &a.admin)
            .await)
        .await;
    let grant_a = grants[0]["id"].as_str().unwrap().to_owned();
    let role_a = app
        .ok(app
            .post(
                "/api/v1/roles",
                &a.admin,
                json!({"name": "alpha_role", "permissions": ["devices:read"]}),
            )
            .await)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let app_a = app
        .ok(app
            .post(
                "/api/v1/apps",
                &a.admin,
                json!({"name": "alpha app", "scopes": ["devices:read"]}),
            )
            .await)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // B, an operator admin with every right in its own tenant, probes A's ids.
    let probes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/organizations/{ra}"), None),
        (Method::GET, format!("/api/v1/organizations/{}", a.id), None),
        (
            Method::GET,
            format!("/api/v1/organizations/{sa}/subtree"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{sa}"),
            Some(json!({"name": "pwned"})),
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{sa}/move"),
            Some(json!({"parent_id": rb})),
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{rb}/move"),
            Some(json!({"parent_id": ra})),
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{sa}/disable"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/organizations".into(),
            Some(json!({"kind": "site", "name": "x", "parent_id": ra})),
        ),
        (Method::GET, format!("/api/v1/users/{ua}"), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{ua}"),
            Some(json!({"display_name": "pwned"})),
        ),
        (Method::POST, format!("/api/v1/users/{ua}/disable"), None),
        (Method::POST, format!("/api/v1/users/{ua}/unlock"), None),
        (Method::GET, format!("/api/v1/users/{ua}/grants"), None),
        (
            Method::POST,
            format!("/api/v1/users/{ua}/grants"),
            Some(json!({"role": "maintainer", "node_id": sa})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/users/{ua}/grants/{grant_a}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"node_id": sa, "display_name": "x", "email": "x@bravo.test"})),
        ),
        (Method::GET, format!("/api/v1/roles/{role_a}"), None),
        (
            Method::PATCH,
            format!("/api/v1/roles/{role_a}"),
            Some(json!({"description": "pwned"})),
        ),
        (Method::DELETE, format!("/api/v1/roles/{role_a}"), None),
        (Method::GET, format!("/api/v1/apps/{app_a}"), None),
        (Method::POST, format!("/api/v1/apps/{app_a}/rotate"), None),
        (Method::POST, format!("/api/v1/apps/{app_a}/revoke"), None),
        (
            Method::POST,
            "/api/v1/apps".into(),
            Some(json!({"name": "x", "node_id": sa, "scopes": ["devices:read"]})),
        ),
    ];
    for (method, path, body) in probes {
        let body =
            body.or_else(|| (method != Method::GET && method != Method::DELETE).then(|| json!({})));
        let (st, v) = app.call(method.clone(), &path, Some(&b.admin), body).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{method} {path}: {v}");
        assert_eq!(v["code"], 1004, "{method} {path}: {v}");
    }

    // Lists: B sees only B, even when asking for A's tenant or nodes.
    let a_ids = [a.id.as_str(), &ra, &sa, &ua, &role_a, &app_a];
    for path in [
        "/api/v1/organizations?limit=200".to_owned(),
        format!("/api/v1/organizations?tenant_id={}", a.id),
        format!("/api/v1/organizations?parent_id={ra}"),
        "/api/v1/users?limit=200".to_owned(),
        format!("/api/v1/users?tenant_id={}", a.id),
        format!("/api/v1/users?node_id={sa}"),
        "/api/v1/roles".to_owned(),
        format!("/api/v1/roles?tenant_id={}", a.id),
        "/api/v1/apps".to_owned(),
        format!("/api/v1/apps?tenant_id={}", a.id),
    ] {
        let body = app.ok(app.get(&path, &b.admin).await).await;
        let text = body.to_string();
        for id in a_ids {
            assert!(!text.contains(id), "{path} leaks {id}: {text}");
        }
    }
    // B's audit log holds B's entries only (its failed attempts name A's ids as the
    // targets B itself sent, which is no leak), never A's.
    for path in [
        "/api/v1/audit-logs?limit=200".to_owned(),
        format!("/api/v1/audit-logs?tenant_id={}&limit=200", a.id),
    ] {
        let body = app.ok(app.get(&path, &b.admin).await).await;
        let items = body["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for e in items {
            assert_eq!(e["tenant_id"], b.id.as_str(), "{e}");
        }
    }
    // Nothing of A changed.
    let node = app
        .ok(app
            .get(&format!("/api/v1/organizations/{sa}"), &a.admin)
            .await)
        .await;
    assert_eq!(node["name"], "North site");
    assert_eq!(node["disabled"], false);
    let u = app
        .ok(app.get(&format!("/api/v1/users/{ua}"), &a.admin).await)
        .await;
    assert_eq!(
        (u["display_name"].as_str(), u["status"].as_str()),
        (Some("staff@alpha.test"), Some("active"))
    );
    // The platform admin does see across tenants.
    let all = app
        .ok(app
            .get(
                &format!("/api/v1/users?tenant_id={}", a.id),
                &app.root.admin,
            )
            .await)
        .await;
    assert!(all.to_string().contains(&ua));
    app.ok(app
        .get(&format!("/api/v1/users/{ua}"), &app.root.admin)
        .await)
        .await;
}
