//! Who may do what: 403 without the permission on the node, 404 for another operator's
//! things (their ids cannot be probed).

use reqwest::StatusCode;
use serde_json::json;

use crate::{flat, morning, total_facts, world};

#[tokio::test]
async fn permissions_are_checked_on_the_node() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Standard", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    w.assign(&w.path(), id).await;
    let south = app.region_and_site(&w.t, "South").await;
    // site_manager: tariffs:read on their site only, no create/update, no bills.
    let (_, manager) = app
        .user_with_role(&w.t, "site_manager", &w.site.site_id, &w.site.site_id)
        .await;
    let driver = app.driver(&w.t).await;
    let (_, finance_north) = app
        .user_with_role(&w.t, "finance", &w.site.region_id, &w.site.region_id)
        .await;

    let create = json!({"name": "Mine", "body": flat(1, 1)});
    let (st, _) = app
        .post("/api/v1/billing/tariffs", &manager, create.clone())
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no tariffs:create at all");
    let (st, _) = app
        .post("/api/v1/billing/tariffs", &driver.token, create.clone())
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app
        .post("/api/v1/billing/tariffs", &finance_north, create.clone())
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "finance of a region cannot create at the root"
    );
    let mut in_north = create.clone();
    in_north["node_path"] = json!(w.site.region_path);
    app.ok(app
        .post("/api/v1/billing/tariffs", &finance_north, in_north)
        .await);

    // Reading: the site manager resolves their site, not another one, and cannot list
    // tariffs owned above them (they see what applies through resolution).
    let mine = format!(
        "/api/v1/billing/tariffs/resolve?node_path={}",
        crate::urlencode(&w.site.site_path)
    );
    app.ok(app.get(&mine, &manager).await);
    let theirs = format!(
        "/api/v1/billing/tariffs/resolve?node_path={}",
        crate::urlencode(&south.site_path)
    );
    let (st, _) = app.get(&theirs, &manager).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app
        .get(&format!("/api/v1/billing/tariffs/{id}"), &manager)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let listed = app.ok(app.get("/api/v1/billing/tariffs", &finance_north).await);
    assert_eq!(listed["total"], 1, "only the region's own tariff: {listed}");

    // Updating: versions and assignments need tariffs:update on the node.
    let v = json!({"body": flat(2, 2)});
    let (st, _) = app
        .post(
            &format!("/api/v1/billing/tariffs/{id}/versions"),
            &manager,
            v.clone(),
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app
        .post(
            "/api/v1/billing/assignments",
            &finance_north,
            json!({"node_path": south.site_path, "tariff_id": id}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "south is outside the finance user's region"
    );
    app.ok(app
        .post(
            "/api/v1/billing/assignments",
            &finance_north,
            json!({"node_path": w.site.site_path, "tariff_id": id}),
        )
        .await);

    // Bills: bills:read on the bill's site.
    let b = w
        .rate(
            "order-p",
            id,
            1,
            &total_facts(morning(), 60, 1_000),
            None,
            "",
        )
        .await
        .unwrap();
    let path = format!("/api/v1/billing/bills/{}", b.bill_id);
    let (st, _) = app.get(&path, &manager).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.get(&path, &driver.token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    app.ok(app.get(&path, &finance_north).await);
    let (_, finance_south) = app
        .user_with_role(&w.t, "finance", &south.region_id, &south.region_id)
        .await;
    let (st, _) = app.get(&path, &finance_south).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let none = app.ok(app.get("/api/v1/billing/bills", &finance_south).await);
    assert_eq!(none["total"], 0, "lists keep to the caller's scope");
    let (st, _) = app.get("/api/v1/billing/bills", &w.site.site_id).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "not a token");
}

#[tokio::test]
async fn another_operators_things_do_not_exist() {
    let w = world().await;
    let app = &w.app;
    let t = w.tariff("Standard", flat(65_320, 60_000)).await;
    let id = t["id"].as_str().unwrap();
    w.assign(&w.path(), id).await;
    let b = w
        .rate(
            "order-x",
            id,
            1,
            &total_facts(morning(), 60, 1_000),
            None,
            "",
        )
        .await
        .unwrap();
    let other = app.tenant("other").await;

    let (st, body) = app
        .get(&format!("/api/v1/billing/tariffs/{id}"), &other.admin)
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{body}");
    let (st, _) = app
        .post(
            &format!("/api/v1/billing/tariffs/{id}/versions"),
            &other.admin,
            json!({"body": flat(1, 1)}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = app
        .post(
            "/api/v1/billing/assignments",
            &other.admin,
            json!({"node_path": other.path(), "tariff_id": id}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::NOT_FOUND,
        "their tariff is not ours to assign"
    );
    let (st, _) = app
        .post(
            "/api/v1/billing/assignments",
            &other.admin,
            json!({"node_path": w.path(), "tariff_id": id}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "nor their nodes");
    let (st, _) = app
        .get(
            &format!("/api/v1/billing/bills/{}", b.bill_id),
            &other.admin,
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let resolve = format!(
        "/api/v1/billing/tariffs/resolve?node_path={}",
        crate::urlencode(&w.site.site_path)
    );
    let (st, _) = app.get(&resolve, &other.admin).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = app
        .post(
            "/api/v1/billing/invoice-requests",
            &other.admin,
            json!({"bill_ids": [b.bill_id], "title_kind": "personal", "title": "X", "email": "x@y.cn"}),
        )
        .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let listed = app.ok(app.get("/api/v1/billing/tariffs", &other.admin).await);
    assert_eq!(listed["total"], 0);

    // The platform administrator sees every operator.
    app.ok(app
        .get(&format!("/api/v1/billing/tariffs/{id}"), &app.root.admin)
        .await);
}
