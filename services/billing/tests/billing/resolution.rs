//! Which tariff version applies: the nearest assignment, then the version in effect.

use chrono::{Duration, SubsecRound, Utc};
use prost::Message as _;
use proto::pylon::billing::v1 as pb;
use reqwest::StatusCode;
use serde_json::json;

use crate::{World, assert_error, flat, world};

async fn add(
    w: &World,
    id: &str,
    price: i64,
    from: chrono::DateTime<Utc>,
) -> (StatusCode, serde_json::Value) {
    w.app
        .post(
            &format!("/api/v1/billing/tariffs/{id}/versions"),
            &w.finance,
            json!({"effective_from": from, "body": flat(price, 0)}),
        )
        .await
}

/// The version resolved for `path` at `at`.
async fn version_at(w: &World, path: &str, at: chrono::DateTime<Utc>) -> i64 {
    let r = w.resolve(path, Some(at)).await;
    w.app.ok(r)["version"].as_i64().unwrap()
}

/// (tariff id, assigned path) resolved for `path` now.
async fn tariff_at(w: &World, path: &str) -> (String, String) {
    let r = w.resolve(path, None).await;
    let d = w.app.ok(r);
    (
        d["tariff_id"].as_str().unwrap().to_owned(),
        d["assigned_path"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn versions_take_effect_at_their_effective_from() {
    let w = world().await;
    let app = &w.app;
    let now = Utc::now();
    let t = w.tariff("Standard", flat(10_000, 0)).await;
    let id = t["id"].as_str().unwrap();
    w.assign(&w.path(), id).await;
    let v2_from = now + Duration::hours(1);
    assert_eq!(app.ok(add(&w, id, 20_000, v2_from).await)["version"], 2);
    assert_eq!(
        app.ok(add(&w, id, 30_000, now + Duration::hours(2)).await)["version"],
        3
    );
    let r = add(&w, id, 1, now - Duration::hours(1)).await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["effective_from:"]);

    let site = w.site.site_path.as_str();
    assert_eq!(version_at(&w, site, now + Duration::minutes(30)).await, 1);
    assert_eq!(version_at(&w, site, now + Duration::minutes(90)).await, 2);
    assert_eq!(version_at(&w, site, now + Duration::hours(3)).await, 3);
    let r = w.resolve(site, Some(now - Duration::hours(1))).await;
    assert_error(&r, StatusCode::NOT_FOUND, 13002, &["no version in effect"]);
    // Without `at`: now.
    let current = app.ok(w.resolve(site, None).await);
    assert_eq!(current["version"], 1);
    assert_eq!(
        valid_until(&current),
        Some(v2_from.trunc_subsecs(6)),
        "v1 holds until v2 starts"
    );
    assert_eq!(
        current["body"]["energy"]["flat"]["electricity_millifen_per_kwh"],
        10_000
    );

    // A newer version supersedes the older ones from its start on, even those scheduled
    // after it: v4 from +30 min replaces v2 and v3 for good.
    assert_eq!(
        app.ok(add(&w, id, 40_000, now + Duration::minutes(30)).await)["version"],
        4
    );
    assert_eq!(version_at(&w, site, now + Duration::minutes(10)).await, 1);
    assert_eq!(version_at(&w, site, now + Duration::minutes(45)).await, 4);
    assert_eq!(version_at(&w, site, now + Duration::hours(3)).await, 4);
    // v1 now holds only until v4 starts; nothing follows v4 (v2 and v3 never will).
    let current = app.ok(w.resolve(site, None).await);
    assert_eq!(
        valid_until(&current),
        Some((now + Duration::minutes(30)).trunc_subsecs(6))
    );
    let later = app.ok(w.resolve(site, Some(now + Duration::minutes(45))).await);
    assert_eq!(
        (later["version"].as_i64(), valid_until(&later)),
        (Some(4), None)
    );
}

/// A resolution's `valid_until`, to the microsecond the database keeps.
fn valid_until(resolved: &serde_json::Value) -> Option<chrono::DateTime<Utc>> {
    let at = resolved["valid_until"].as_str()?;
    Some(
        chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .with_timezone(&Utc),
    )
}

#[tokio::test]
async fn the_nearest_assignment_wins() {
    let w = world().await;
    let app = &w.app;
    let north = &w.site;
    let north2 = app.site(&w.t, &north.region_id, "North 2").await;
    let south = app.region_and_site(&w.t, "South").await;
    let root = w.tariff("Operator", flat(10_000, 0)).await;
    let region = w.tariff("North region", flat(20_000, 0)).await;
    let site = w.tariff("North site", flat(30_000, 0)).await;
    let id = |t: &serde_json::Value| t["id"].as_str().unwrap().to_owned();

    // Nothing assigned yet.
    let r = w.resolve(&north.site_path, None).await;
    assert_error(&r, StatusCode::NOT_FOUND, 13002, &["no tariff is assigned"]);

    w.assign(&w.path(), &id(&root)).await;
    w.assign(&north.region_path, &id(&region)).await;
    let at_site = w.assign(&north.site_path, &id(&site)).await;
    assert_eq!(
        tariff_at(&w, &north.site_path).await,
        (id(&site), north.site_path.clone())
    );
    assert_eq!(
        tariff_at(&w, &north2.site_path).await,
        (id(&region), north.region_path.clone())
    );
    assert_eq!(tariff_at(&w, &south.site_path).await, (id(&root), w.path()));
    assert_eq!(tariff_at(&w, &north.region_path).await.0, id(&region));

    // Re-assigning a node replaces its tariff; removing it falls back to the next one up.
    let again = w.assign(&north.site_path, &id(&root)).await;
    assert_eq!(again["id"], at_site["id"], "one assignment per node");
    assert_eq!(tariff_at(&w, &north.site_path).await.0, id(&root));
    let gone = app
        .delete(
            &format!(
                "/api/v1/billing/assignments/{}",
                at_site["id"].as_str().unwrap()
            ),
            &w.finance,
        )
        .await;
    app.ok(gone);
    assert_eq!(tariff_at(&w, &north.site_path).await.0, id(&region));
    let listed = app.ok(app.get("/api/v1/billing/assignments", &w.finance).await);
    assert_eq!(listed["total"], 2);

    // gRPC answers the same, with the body the engine reads.
    let got = w
        .grpc()
        .await
        .resolve_tariff(pb::ResolveTariffRequest {
            tenant_id: w.t.id.clone(),
            node_path: north2.site_path.clone(),
            at: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((got.tariff_id, got.version), (id(&region), 1));
    assert_eq!(got.assigned_path, north.region_path);
    let body: pricing::Tariff = serde_json::from_str(&got.body_json).unwrap();
    assert_eq!(body, serde_json::from_value(flat(20_000, 0)).unwrap());
    let wrong = w
        .grpc()
        .await
        .resolve_tariff(pb::ResolveTariffRequest {
            tenant_id: w.t.id.clone(),
            node_path: "/not-the-tenant/".into(),
            at: None,
        })
        .await
        .unwrap_err();
    assert_eq!(wrong.code(), tonic::Code::InvalidArgument);
    assert!(
        wrong.message().starts_with("node_path"),
        "{}",
        wrong.message()
    );
}

#[tokio::test]
async fn a_tariff_is_assigned_only_below_its_own_node() {
    let w = world().await;
    let app = &w.app;
    let south = app.region_and_site(&w.t, "South").await;
    let north_only = app.ok(app
        .post(
            "/api/v1/billing/tariffs",
            &w.finance,
            json!({"name": "North only", "node_path": w.site.region_path, "body": flat(1, 1)}),
        )
        .await);
    let id = north_only["id"].as_str().unwrap();
    assert_eq!(north_only["node_path"], w.site.region_path);
    w.assign(&w.site.site_path, id).await;
    let r = app
        .post(
            "/api/v1/billing/assignments",
            &w.finance,
            json!({"node_path": south.site_path, "tariff_id": id}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::BAD_REQUEST,
        1001,
        &["node_path:", "outside"],
    );
    let r = app
        .post(
            "/api/v1/billing/assignments",
            &w.finance,
            json!({"node_path": "not a path", "tariff_id": id}),
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, 1001, &["node_path:"]);
}

#[tokio::test]
async fn billing_follows_a_site_moved_to_another_region() {
    let w = world().await;
    let app = &w.app;
    let south = app.region_and_site(&w.t, "South").await;
    let root = w.tariff("Operator", flat(10_000, 0)).await;
    let own = w.tariff("North site", flat(30_000, 0)).await;
    w.assign(&w.path(), root["id"].as_str().unwrap()).await;
    w.assign(&w.site.site_path, own["id"].as_str().unwrap())
        .await;
    let bill = w
        .rate(
            "order-moved",
            own["id"].as_str().unwrap(),
            1,
            &crate::total_facts(crate::morning(), 60, 1_000),
            None,
            "",
        )
        .await
        .unwrap();
    let (_, finance_south) = app
        .user_with_role(&w.t, "finance", &south.region_id, &south.region_id)
        .await;
    let bill_path = format!("/api/v1/billing/bills/{}", bill.bill_id);
    let (st, _) = app.get(&bill_path, &finance_south).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let mut changes = app
        .subscribe("billing", &format!("{}.tariff.changed", w.t.id))
        .await;
    app.ok(app
        .post(
            &format!("/api/v1/organizations/{}/move", w.site.site_id),
            &w.t.admin,
            json!({"parent_id": south.region_id}),
        )
        .await);
    let moved = format!("{}{}/", south.region_path, w.site.site_id);
    // The move reaches billing as an event: wait for it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (st, body) = w.resolve(&moved, None).await;
        if st == StatusCode::OK && body["data"]["tariff_id"] == own["id"] {
            assert_eq!(body["data"]["assigned_path"], moved.as_str());
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "move not followed: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (old_tariff, _) = tariff_at(&w, &w.site.site_path).await;
    assert_eq!(
        old_tariff,
        root["id"].as_str().unwrap(),
        "nothing left at the old path"
    );
    let seen = app.ok(app.get(&bill_path, &finance_south).await);
    assert_eq!(seen["node_path"], moved.as_str());
    // Whoever keeps resolutions hears of the move.
    let e = proto::events::TariffChanged::decode(apptest::next_event(&mut changes).await.payload)
        .unwrap();
    assert_eq!(
        (e.change.as_str(), e.node_path.as_str()),
        ("paths_moved", moved.as_str())
    );
}

/// The next `tariff.changed` on `sub`.
async fn next(sub: &mut async_nats::Subscriber) -> proto::events::TariffChanged {
    let msg = apptest::next_event(sub).await;
    let headers = msg.headers.clone().unwrap();
    assert_eq!(
        headers.get("ce-type").unwrap().as_str(),
        "pylon.billing.tariff.changed.v1"
    );
    proto::events::TariffChanged::decode(msg.payload.clone()).unwrap()
}

#[tokio::test]
async fn every_change_that_can_move_a_resolution_is_published() {
    let w = world().await;
    let mut sub = w
        .app
        .subscribe("billing", &format!("{}.tariff.changed", w.t.id))
        .await;
    let t = w.tariff("Standard", flat(10_000, 0)).await;
    let id = t["id"].as_str().unwrap();
    let site = w.site.site_path.as_str();
    let a = w.assign(site, id).await;
    let e = next(&mut sub).await;
    assert_eq!(
        (
            e.change.as_str(),
            e.node_path.as_str(),
            e.tariff_id.as_str()
        ),
        ("assigned", site, id)
    );
    assert_eq!(e.tenant_id, w.t.id);

    let from = Utc::now() + Duration::hours(1);
    w.app.ok(add(&w, id, 20_000, from).await);
    let e = next(&mut sub).await;
    assert_eq!(
        (
            e.change.as_str(),
            e.node_path.as_str(),
            e.tariff_id.as_str()
        ),
        ("version_added", w.path().as_str(), id),
        "the tariff's owning node bounds where it can apply"
    );
    assert_eq!(e.effective_from.map(|t| t.seconds), Some(from.timestamp()));

    let r = w
        .app
        .delete(
            &format!("/api/v1/billing/assignments/{}", a["id"].as_str().unwrap()),
            &w.finance,
        )
        .await;
    assert!(r.0.is_success(), "{}", r.1);
    let e = next(&mut sub).await;
    assert_eq!(
        (e.change.as_str(), e.node_path.as_str()),
        ("unassigned", site)
    );

    // A refused change publishes nothing: the next event is the next real change.
    let r = add(&w, id, 1, Utc::now() - Duration::hours(1)).await;
    assert_eq!(r.0, StatusCode::BAD_REQUEST);
    w.assign(&w.path(), id).await;
    assert_eq!(next(&mut sub).await.change, "assigned");
}
