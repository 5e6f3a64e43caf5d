//! Bootstrap, profiles, roles and grants as an administrator uses them.

use reqwest::StatusCode;
use serde_json::json;

use crate::{PASSWORD, spawn_app};

#[tokio::test]
async fn bootstrap_is_idempotent_and_its_admin_runs_the_platform() {
    let app = spawn_app().await;
    let again = identity::bootstrap::run(
        &app.config,
        identity::bootstrap::Bootstrap {
            tenant_code: "root".into(),
            tenant_name: "Root Operator".into(),
            email: Some("admin@root.test".into()),
            phone: None,
            display_name: "Root Admin".into(),
            password: None,
        },
    )
    .await
    .unwrap();
    assert!(!again.created);
    assert_eq!(again.tenant_id.to_string(), app.root.id);
    assert!(again.password.is_none());
    let me = app
        .ok(app.get("/api/v1/auth/me", &app.root.admin).await)
        .await;
    let roles: Vec<&str> = me["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"operator_admin") && roles.contains(&"platform_admin"),
        "{roles:?}"
    );
    // The platform admin creates operators; a duplicate code is a conflict.
    app.tenant("acme").await;
    let (st, body) = app
        .post(
            "/api/v1/organizations",
            &app.root.admin,
            json!({"kind": "operator", "code": "acme", "name": "Again"}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(11014))
    );
    // Disabling an operator (platform admins only) stops its users; enabling restores.
    let acme = app.login_ok("acme", "admin@acme.test", PASSWORD).await;
    let acme_id = acme["user"]["tenant_id"].as_str().unwrap().to_owned();
    let acme_token = acme["access_token"].as_str().unwrap().to_owned();
    let (st, _) = app
        .post(
            &format!("/api/v1/organizations/{acme_id}/disable"),
            &acme_token,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    app.ok(app
        .post(
            &format!("/api/v1/organizations/{acme_id}/disable"),
            &app.root.admin,
            json!({}),
        )
        .await)
        .await;
    let (st, _) = app.login("acme", "admin@acme.test", PASSWORD).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = app
        .anon_post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": acme["refresh_token"]}),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "refresh of a disabled tenant");
    app.ok(app
        .post(
            &format!("/api/v1/organizations/{acme_id}/enable"),
            &app.root.admin,
            json!({}),
        )
        .await)
        .await;
    app.login_ok("acme", "admin@acme.test", PASSWORD).await;
    // JWKS is public and cacheable; info answers.
    let r = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let info: serde_json::Value = reqwest::get(app.url("/api/v1/identity/info"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["data"]["service"], "identity");
}

#[tokio::test]
async fn profiles_users_roles_and_grants() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let (r1, s1, _) = app.region_and_site(&t, "North").await;
    // Profile.
    let s = app.login_ok("acme", "admin@acme.test", PASSWORD).await;
    let token = s["access_token"].as_str().unwrap();
    let me = app
        .ok(app
            .patch("/api/v1/auth/me", token, json!({"display_name": "Boss"}))
            .await)
        .await;
    assert_eq!(me["display_name"], "Boss");
    let (st, _) = app
        .patch("/api/v1/auth/me", token, json!({"display_name": ""}))
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);

    // Users: create with a phone; duplicates conflict; lists filter and mask.
    let u = app
        .ok(app
            .post(
                "/api/v1/users",
                &t.admin,
                json!({"node_id": s1, "display_name": "Field Tech", "phone": "13700001111", "password": PASSWORD}),
            )
            .await)
        .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    assert_eq!(u["phone"], "13700001111", "operator admins hold pii:read");
    let (st, body) = app
        .post(
            "/api/v1/users",
            &t.admin,
            json!({"node_id": s1, "display_name": "Dup", "phone": "13700001111"}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(11008))
    );
    let (_, maint) = app.user_with_role(&t, "site_manager", &s1, &s1).await;
    let listed = app.ok(app.get("/api/v1/users?q=Field", &maint).await).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        listed["items"][0]["phone"], "137****1111",
        "no pii:read: masked"
    );
    let staff_only = app
        .ok(app.get("/api/v1/users?kind=staff&limit=1", &t.admin).await)
        .await;
    assert_eq!(staff_only["items"].as_array().unwrap().len(), 1);
    assert!(staff_only["total"].as_u64().unwrap() >= 3);

    // Update, move to another node, admin-set password.
    let moved = app
        .ok(app
            .patch(
                &format!("/api/v1/users/{uid}"),
                &t.admin,
                json!({"node_id": r1, "password": "Other-pass9"}),
            )
            .await)
        .await;
    assert_eq!(moved["node_id"], r1.as_str());
    app.login_ok("acme", "13700001111", "Other-pass9").await;

    // Grants: list, revoke.
    let g = app
        .ok(app
            .post(
                &format!("/api/v1/users/{uid}/grants"),
                &t.admin,
                json!({"role": "maintainer", "node_id": s1}),
            )
            .await)
        .await;
    let listed = app
        .ok(app
            .get(&format!("/api/v1/users/{uid}/grants"), &t.admin)
            .await)
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    app.ok(app
        .delete(
            &format!("/api/v1/users/{uid}/grants/{}", g["id"].as_str().unwrap()),
            &t.admin,
        )
        .await)
        .await;
    let listed = app
        .ok(app
            .get(&format!("/api/v1/users/{uid}/grants"), &t.admin)
            .await)
        .await;
    assert!(listed.as_array().unwrap().is_empty());

    // Roles: built-ins are read-only; custom ones change and go.
    let (st, _) = app
        .patch(
            "/api/v1/roles/support",
            &t.admin,
            json!({"description": "x"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let b = app
        .ok(app.get("/api/v1/roles/support", &t.admin).await)
        .await;
    assert_eq!(b["builtin"], true);
    let (st, body) = app
        .post(
            "/api/v1/roles",
            &t.admin,
            json!({"name": "support", "permissions": ["orders:read"]}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(11012))
    );
    let (st, _) = app
        .post(
            "/api/v1/roles",
            &t.admin,
            json!({"name": "bad", "permissions": ["tenants:create"]}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let r = app
        .ok(app
            .post(
                "/api/v1/roles",
                &t.admin,
                json!({"name": "auditor", "permissions": ["audit:read"]}),
            )
            .await)
        .await;
    let rid = r["id"].as_str().unwrap().to_owned();
    let r = app
        .ok(app
            .patch(
                &format!("/api/v1/roles/{rid}"),
                &t.admin,
                json!({"permissions": ["audit:read", "orders:read"]}),
            )
            .await)
        .await;
    assert_eq!(r["permissions"], json!(["audit:read", "orders:read"]));
    // A custom role's permissions reach the token of whoever holds it.
    let (_, auditor) = app.user_with_role(&t, "auditor", &t.id, &t.id).await;
    app.ok(app.get("/api/v1/audit-logs", &auditor).await).await;
    let (st, _) = app.get("/api/v1/users", &auditor).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.delete(&format!("/api/v1/roles/{rid}"), &t.admin).await;
    assert_eq!(st, StatusCode::CONFLICT);
}
