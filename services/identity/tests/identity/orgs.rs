//! The organization tree: create, rename, move, disable, and what that does to grants.

use prost::Message as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::{next_event, spawn_app, subscribe};

#[tokio::test]
async fn the_tree_moves_renames_and_disables_and_grants_follow() {
    let app = spawn_app().await;
    let t = app.tenant("acme").await;
    let mut changes = subscribe(&app, &format!("{}.org.changed", t.id)).await;
    let (r1, s1, s1_path) = app.region_and_site(&t, "North").await;
    let r2 = app
        .ok(app
            .post(
                "/api/v1/organizations",
                &t.admin,
                json!({"kind": "region", "name": "South", "parent_id": t.id}),
            )
            .await)
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Regions nest; sites are leaves; an operator is a root.
    let sub = app
        .ok(app
            .post(
                "/api/v1/organizations",
                &t.admin,
                json!({"kind": "region", "name": "North-East", "parent_id": r1}),
            )
            .await)
        .await;
    assert!(
        sub["path"]
            .as_str()
            .unwrap()
            .starts_with(&format!("/{}/{r1}/", t.id))
    );
    let (st, body) = app
        .post(
            "/api/v1/organizations",
            &t.admin,
            json!({"kind": "site", "name": "x", "parent_id": s1}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(11010))
    );
    let (st, _) = app
        .post(
            "/api/v1/organizations",
            &t.admin,
            json!({"kind": "operator", "code": "evil", "name": "x"}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "only platform admins create operators"
    );

    let ev = loop {
        let ev = proto::events::OrgChanged::decode(next_event(&mut changes).await.payload).unwrap();
        if ev.node_id == r1 {
            break ev;
        }
    };
    assert_eq!(
        (ev.change.as_str(), ev.kind.as_str(), ev.tenant_id.as_str()),
        ("created", "region", t.id.as_str())
    );

    // A site manager of s1 under r1; a region manager of r2.
    let (_, sm) = app.user_with_role(&t, "site_manager", &s1, &s1).await;
    let (_, rm2) = app.user_with_role(&t, "region_manager", &r2, &r2).await;
    let (st, _) = app.get(&format!("/api/v1/organizations/{s1}"), &rm2).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // Move s1 under r2: paths below it change, the region manager of r2 now reaches it.
    let moved = app
        .ok(app
            .post(
                &format!("/api/v1/organizations/{s1}/move"),
                &t.admin,
                json!({"parent_id": r2}),
            )
            .await)
        .await;
    let new_path = format!("/{}/{r2}/{s1}/", t.id);
    assert_eq!(moved["path"], new_path.as_str());
    assert_eq!(moved["parent_id"], r2.as_str());
    app.ok(app.get(&format!("/api/v1/organizations/{s1}"), &rm2).await)
        .await;
    let mut last = None;
    for _ in 0..20 {
        let ev = proto::events::OrgChanged::decode(next_event(&mut changes).await.payload).unwrap();
        if ev.change == "moved" {
            last = Some(ev);
            break;
        }
    }
    let ev = last.expect("moved event");
    assert_eq!(
        (ev.old_path.as_str(), ev.path.as_str()),
        (s1_path.as_str(), new_path.as_str())
    );
    // A moved node's grants follow it: the site manager's next token names the new path.
    let me = app.ok(app.get("/api/v1/auth/me", &sm).await).await;
    assert_eq!(me["grants"][0]["node_path"], new_path.as_str());
    // Illegal moves.
    let (st, body) = app
        .post(
            &format!("/api/v1/organizations/{r1}/move"),
            &t.admin,
            json!({"parent_id": sub["id"]}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(11009)),
        "under its own descendant"
    );
    let (st, _) = app
        .post(
            &format!("/api/v1/organizations/{}/move", t.id),
            &t.admin,
            json!({"parent_id": r1}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "the operator does not move");

    // Rename; subtree.
    app.ok(app
        .patch(
            &format!("/api/v1/organizations/{r2}"),
            &t.admin,
            json!({"name": "South (renamed)"}),
        )
        .await)
        .await;
    let tree = app
        .ok(app
            .get(&format!("/api/v1/organizations/{}/subtree", t.id), &t.admin)
            .await)
        .await;
    let paths: Vec<&str> = tree
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 5, "{paths:?}");
    assert!(paths.windows(2).all(|w| w[0] < w[1]), "ordered by path");
    let kids = app
        .ok(app
            .get(&format!("/api/v1/organizations?parent_id={r2}"), &t.admin)
            .await)
        .await;
    assert_eq!(kids["total"], 1);

    // Disable r2: grants on it and below give nothing (from the next token on), and
    // nothing new is created under it.
    app.ok(app
        .post(
            &format!("/api/v1/organizations/{r2}/disable"),
            &t.admin,
            json!({}),
        )
        .await)
        .await;
    let (st, body) = app
        .post(
            "/api/v1/organizations",
            &t.admin,
            json!({"kind": "site", "name": "y", "parent_id": r2}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::CONFLICT, Some(11013))
    );
    let me = app.ok(app.get("/api/v1/auth/me", &sm).await).await;
    assert_eq!(me["grants"][0]["suspended"], true);
    let fresh = app
        .login_ok("acme", me["email"].as_str().unwrap(), crate::PASSWORD)
        .await;
    let (st, _) = app
        .get(
            &format!("/api/v1/organizations/{s1}"),
            fresh["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    app.ok(app
        .post(
            &format!("/api/v1/organizations/{r2}/enable"),
            &t.admin,
            json!({}),
        )
        .await)
        .await;
    let fresh = app
        .login_ok("acme", me["email"].as_str().unwrap(), crate::PASSWORD)
        .await;
    app.ok(app
        .get(
            &format!("/api/v1/organizations/{s1}"),
            fresh["access_token"].as_str().unwrap(),
        )
        .await)
        .await;
}
