//! The permission matrix: every built-in role × representative actions × a target in
//! the role's scope and one outside it → allow or deny, end to end (identity's own
//! endpoints and another service's, users by token and the third-party app by
//! signature).
//!
//! Tree of operator T: root ─ R1 ─ S1 (in scope), root ─ R2 ─ S2 (out of scope for
//! grants below the root). Roles granted at the root (operator_admin, driver) are out
//! of scope in another operator B; the platform admin is in scope everywhere.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::signatures::{Signed, enc};
use crate::{TestApp, spawn_app};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    OrgsRead,
    OrgsUpdate,
    UsersRead,
    UsersCreate,
    GrantsCreate,
    AppsCreate,
    DevicesRead,
    DevicesOperate,
    OrdersRead,
}

use Action::*;

const ACTIONS: [Action; 9] = [
    OrgsRead,
    OrgsUpdate,
    UsersRead,
    UsersCreate,
    GrantsCreate,
    AppsCreate,
    DevicesRead,
    DevicesOperate,
    OrdersRead,
];

/// The oracle: what each role may do in its scope (written by hand, not derived from
/// the role definitions).
fn allowed(role: &str) -> &'static [Action] {
    match role {
        "platform_admin" | "operator_admin" => &ACTIONS,
        "region_manager" | "site_manager" => &[
            OrgsRead,
            OrgsUpdate,
            UsersRead,
            UsersCreate,
            GrantsCreate,
            DevicesRead,
            DevicesOperate,
            OrdersRead,
        ],
        "maintainer" => &[OrgsRead, DevicesRead, DevicesOperate],
        "finance" => &[OrgsRead, OrdersRead],
        "support" => &[OrgsRead, UsersRead, DevicesRead, OrdersRead],
        "driver" => &[],
        "third_party" => &[DevicesRead, DevicesOperate, OrdersRead],
        other => panic!("no oracle for {other}"),
    }
}

/// Where an action is aimed.
struct Target {
    site: String,
    site_path: String,
    /// A staff user living on the site.
    user: String,
}

enum Caller<'a> {
    Token(String),
    App(Signed<'a>),
}

struct World<'a> {
    app: &'a TestApp,
    probe: String,
}

impl World<'_> {
    async fn send(
        &self,
        who: &Caller<'_>,
        method: Method,
        base: &str,
        path: &str,
        query: &str,
        body: Option<Value>,
    ) -> StatusCode {
        match who {
            Caller::Token(t) => {
                let url = if query.is_empty() {
                    format!("{base}{path}")
                } else {
                    format!("{base}{path}?{query}")
                };
                let mut r = self.app.http.request(method, url).bearer_auth(t);
                if let Some(b) = body {
                    r = r.json(&b);
                }
                r.send().await.unwrap().status()
            }
            Caller::App(s) => {
                let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
                s.send(method, base, path, query, &bytes).await.0
            }
        }
    }

    async fn act(&self, who: &Caller<'_>, action: Action, t: &Target) -> StatusCode {
        let id = &self.app.base;
        let q = format!("path={}", enc(&t.site_path));
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match action {
            OrgsRead => {
                self.send(
                    who,
                    Method::GET,
                    id,
                    &format!("/api/v1/organizations/{}", t.site),
                    "",
                    None,
                )
                .await
            }
            OrgsUpdate => {
                self.send(
                    who,
                    Method::PATCH,
                    id,
                    &format!("/api/v1/organizations/{}", t.site),
                    "",
                    Some(json!({"name": "Site"})),
                )
                .await
            }
            UsersRead => {
                self.send(
                    who,
                    Method::GET,
                    id,
                    &format!("/api/v1/users/{}", t.user),
                    "",
                    None,
                )
                .await
            }
            UsersCreate => {
                let body = json!({"node_id": t.site, "display_name": "New", "email": format!("{unique}@x.test")});
                self.send(who, Method::POST, id, "/api/v1/users", "", Some(body))
                    .await
            }
            GrantsCreate => {
                let body = json!({"role": "maintainer", "node_id": t.site});
                self.send(
                    who,
                    Method::POST,
                    id,
                    &format!("/api/v1/users/{}/grants", t.user),
                    "",
                    Some(body),
                )
                .await
            }
            AppsCreate => {
                let body = json!({"name": "a", "node_id": t.site, "scopes": ["devices:read"]});
                self.send(who, Method::POST, id, "/api/v1/apps", "", Some(body))
                    .await
            }
            DevicesRead => {
                self.send(
                    who,
                    Method::GET,
                    &self.probe,
                    "/api/v1/probe/devices",
                    &q,
                    None,
                )
                .await
            }
            DevicesOperate => {
                self.send(
                    who,
                    Method::POST,
                    &self.probe,
                    "/api/v1/probe/devices/operate",
                    &q,
                    Some(json!({"port": 1})),
                )
                .await
            }
            OrdersRead => {
                self.send(
                    who,
                    Method::GET,
                    &self.probe,
                    "/api/v1/probe/orders",
                    &q,
                    None,
                )
                .await
            }
        }
    }
}

#[tokio::test]
async fn every_builtin_role_against_representative_actions_in_and_out_of_scope() {
    let app = spawn_app().await;
    let t = app.tenant("tee").await;
    let b = app.tenant("bee").await;
    let (r1, s1, s1_path) = app.region_and_site(&t, "R1").await;
    let (_r2, s2, s2_path) = app.region_and_site(&t, "R2").await;
    let (_rb, sb, sb_path) = app.region_and_site(&b, "RB").await;
    let u1 = app.staff(&t.admin, &s1, "u1@tee.test", &[]).await;
    let u2 = app.staff(&t.admin, &s2, "u2@tee.test", &[]).await;
    let ub = app.staff(&b.admin, &sb, "ub@bee.test", &[]).await;
    let in_t = Target {
        site: s1.clone(),
        site_path: s1_path,
        user: u1,
    };
    let out_t = Target {
        site: s2,
        site_path: s2_path,
        user: u2,
    };
    let other_tenant = Target {
        site: sb,
        site_path: sb_path,
        user: ub,
    };

    let (probe, _stop) = app.probe().await;
    let world = World { app: &app, probe };

    // Each role, granted where the matrix says, with its out-of-scope target.
    let mut callers: Vec<(&str, Caller, &Target)> = vec![
        (
            "platform_admin",
            Caller::Token(app.root.admin.clone()),
            &other_tenant,
        ),
        (
            "operator_admin",
            Caller::Token(t.admin.clone()),
            &other_tenant,
        ),
    ];
    for (role, home, at) in [
        ("region_manager", &r1, &r1),
        ("site_manager", &s1, &s1),
        ("maintainer", &s1, &s1),
        ("finance", &r1, &r1),
        ("support", &r1, &r1),
    ] {
        let (_, token) = app.user_with_role(&t, role, home, at).await;
        callers.push((role, Caller::Token(token), &out_t));
    }
    let driver = app
        .ok(app
            .anon_post(
                "/api/v1/auth/register",
                json!({"tenant": "tee", "email": "drv@tee.test", "password": crate::PASSWORD, "display_name": "D"}),
            )
            .await)
        .await;
    callers.push((
        "driver",
        Caller::Token(driver["access_token"].as_str().unwrap().to_owned()),
        &other_tenant,
    ));
    let a = app
        .ok(app
            .post(
                "/api/v1/apps",
                &t.admin,
                json!({"name": "partner", "node_id": r1, "scopes": ["devices:read", "devices:operate", "orders:read"]}),
            )
            .await)
        .await;
    let (app_id, secret) = (
        a["id"].as_str().unwrap().to_owned(),
        a["secret"].as_str().unwrap().to_owned(),
    );
    callers.push((
        "third_party",
        Caller::App(Signed {
            app_id: &app_id,
            secret: &secret,
        }),
        &out_t,
    ));

    let mut failures = Vec::new();
    let mut cells = 0;
    for (role, who, out) in &callers {
        for action in ACTIONS {
            for (scope, target) in [("in", &in_t), ("out", *out)] {
                cells += 1;
                let expect_allow =
                    allowed(role).contains(&action) && (scope == "in" || *role == "platform_admin");
                let got = world.act(who, action, target).await;
                let ok = if expect_allow {
                    got.is_success()
                } else {
                    got == StatusCode::FORBIDDEN || got == StatusCode::NOT_FOUND
                };
                if !ok {
                    failures.push(format!(
                        "{role} {action:?} {scope}-of-scope: expected {}, got {got}",
                        if expect_allow { "allow" } else { "deny" }
                    ));
                }
            }
        }
    }
    assert_eq!(cells, 9 * 9 * 2);
    assert!(
        failures.is_empty(),
        "permission matrix mismatches:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn nobody_grants_more_than_they_hold() {
    let app = spawn_app().await;
    let t = app.tenant("tee").await;
    let (r1, s1, _) = app.region_and_site(&t, "R1").await;
    let (r2, _, _) = app.region_and_site(&t, "R2").await;
    let (me, rm) = app.user_with_role(&t, "region_manager", &r1, &r1).await;
    let target = app.staff(&t.admin, &s1, "t@tee.test", &[]).await;
    let grant = |role: &str, node: &str| json!({"role": role, "node_id": node});
    let path = format!("/api/v1/users/{target}/grants");
    app.ok(app.post(&path, &rm, grant("site_manager", &s1)).await)
        .await;
    for (role, node) in [
        ("operator_admin", &r1),
        ("finance", &r1),
        ("platform_admin", &r1),
        ("third_party", &r1),
    ] {
        let (st, body) = app.post(&path, &rm, grant(role, node)).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{role}: {body}");
    }
    let (st, _) = app.post(&path, &rm, grant("maintainer", &r2)).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "outside the manager's region");
    // Not even to themself.
    let (st, _) = app
        .post(
            &format!("/api/v1/users/{me}/grants"),
            &rm,
            grant("operator_admin", &t.id),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Custom roles: an operator admin defines one; a grant of it follows the same rule.
    let role = app
        .ok(app
            .post(
                "/api/v1/roles",
                &t.admin,
                json!({"name": "night_shift", "permissions": ["devices:read", "alerts:ack"]}),
            )
            .await)
        .await;
    assert_eq!(role["builtin"], false);
    app.ok(app.post(&path, &rm, grant("night_shift", &s1)).await)
        .await;
    let (st, body) = app
        .delete(
            &format!("/api/v1/roles/{}", role["id"].as_str().unwrap()),
            &t.admin,
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(11017)),
        "still granted"
    );
    let roles = app.ok(app.get("/api/v1/roles", &rm).await).await;
    assert_eq!(
        roles.as_array().unwrap().len(),
        10,
        "nine built-in + one custom"
    );
}
