//! Sites, devices, validation, permissions, the KV mirror and QR resolution.

use serde_json::json;

use crate::{app, kv, site};

#[tokio::test]
async fn validation_errors_name_the_field_and_duplicates_are_409() {
    let app = app().await;
    let t = app.tenant("val").await;
    let s = app.region_and_site(&t, "north").await;
    let (st, b) = app
        .post(
            "/api/v1/charging/sites",
            &t.admin,
            json!({"node_path": s.site_path, "name": "x", "lat": 95.0, "lng": 1.0}),
        )
        .await;
    assert_eq!(st.as_u16(), 400, "{b}");
    assert!(b["message"].as_str().unwrap().starts_with("lat:"), "{b}");
    let site = site(&app, &t.admin, &s.site_path).await;
    let (st, b) = app
        .post(
            "/api/v1/charging/sites",
            &t.admin,
            json!({"node_path": s.site_path, "name": "again"}),
        )
        .await;
    assert_eq!((st.as_u16(), b["code"].as_u64()), (409, Some(12005)), "{b}");

    for (body, field) in [
        (
            json!({"protocol": "dny", "device_id": "04ab37"}),
            "device_id:",
        ),
        (
            json!({"protocol": "ocpp", "device_id": "04ab373b"}),
            "protocol:",
        ),
        (
            json!({"protocol": "dny", "device_id": "04ab373b"}),
            "port_count:",
        ),
        (
            json!({"protocol": "gn", "device_id": "82231214002700-3", "mac": "zz"}),
            "mac:",
        ),
        (
            json!({"protocol": "gn", "device_id": "82231214002700-3"}),
            "device_id:",
        ),
    ] {
        let (st, b) = app
            .post("/api/v1/charging/devices", &t.admin, body.clone())
            .await;
        assert_eq!(st.as_u16(), 400, "{body} → {b}");
        assert!(
            b["message"].as_str().unwrap().starts_with(field),
            "{body} → {b}"
        );
    }
    let pile =
        json!({"protocol": "dny", "device_id": "04AB373B", "port_count": 2, "site_id": site["id"]});
    let d = app.ok(app
        .post("/api/v1/charging/devices", &t.admin, pile.clone())
        .await);
    assert_eq!(d["device_id"], "04ab373b");
    assert_eq!(d["node_path"], s.site_path.as_str());
    let (st, b) = app.post("/api/v1/charging/devices", &t.admin, pile).await;
    assert_eq!((st.as_u16(), b["code"].as_u64()), (409, Some(12005)), "{b}");
    assert!(
        b["message"].as_str().unwrap().starts_with("device_id:"),
        "{b}"
    );
    // A site with devices stays.
    let (st, b) = app
        .delete(
            &format!("/api/v1/charging/sites/{}", site["id"].as_str().unwrap()),
            &t.admin,
        )
        .await;
    assert_eq!((st.as_u16(), b["code"].as_u64()), (409, Some(12020)), "{b}");
}

#[tokio::test]
async fn permissions_are_checked_on_the_node_and_other_tenants_see_404() {
    let app = app().await;
    let t = app.tenant("perm").await;
    let s = app.region_and_site(&t, "east").await;
    let other_site = app.region_and_site(&t, "west").await;
    let site = site(&app, &t.admin, &s.site_path).await;
    let d = app.ok(
        app.post(
            "/api/v1/charging/devices",
            &t.admin,
            json!({"protocol": "dny", "device_id": "04ab373b", "port_count": 2, "site_id": site["id"]}),
        )
        .await,
    );
    // A maintainer may read and update, not create.
    let (_, maint) = app
        .user_with_role(&t, "maintainer", &s.site_id, &s.site_id)
        .await;
    let (st, _) = app
        .post(
            "/api/v1/charging/devices",
            &maint,
            json!({"protocol": "dny", "device_id": "04ab373c", "port_count": 1}),
        )
        .await;
    assert_eq!(st.as_u16(), 403);
    app.ok(app.get("/api/v1/charging/devices/04ab373b", &maint).await);
    // A maintainer of another site does not reach this one.
    let (_, elsewhere) = app
        .user_with_role(&t, "maintainer", &other_site.site_id, &other_site.site_id)
        .await;
    let (st, _) = app
        .get("/api/v1/charging/devices/04ab373b", &elsewhere)
        .await;
    assert_eq!(st.as_u16(), 403);
    let list = app.ok(app.get("/api/v1/charging/devices", &elsewhere).await);
    assert_eq!(list["total"], 0);
    // Another operator: 404, and its lists are empty.
    let u = app.tenant("other").await;
    let (st, _) = app.get("/api/v1/charging/devices/04ab373b", &u.admin).await;
    assert_eq!(st.as_u16(), 404);
    let (st, _) = app
        .get(
            &format!("/api/v1/charging/sites/{}", site["id"].as_str().unwrap()),
            &u.admin,
        )
        .await;
    assert_eq!(st.as_u16(), 404);
    assert_eq!(
        app.ok(app.get("/api/v1/charging/sites", &u.admin).await)["total"],
        0
    );
    assert_eq!(d["status"], "active");
}

#[tokio::test]
async fn the_gateway_mirror_follows_create_update_and_delete() {
    let app = app().await;
    let t = app.tenant("kv").await;
    let s = app.region_and_site(&t, "south").await;
    let site = site(&app, &t.admin, &s.site_path).await;
    let model = app.ok(app
        .post(
            "/api/v1/charging/models",
            &t.admin,
            json!({"name": "GN socket v2", "protocol": "gn", "port_count": 2, "max_power_w": 1000}),
        )
        .await);
    app.ok(app
        .post(
            "/api/v1/charging/devices",
            &t.admin,
            json!({"protocol": "gn", "device_id": "82231214002700"}),
        )
        .await);
    let socket = app.ok(
        app.post(
            "/api/v1/charging/devices",
            &t.admin,
            json!({"protocol": "gn", "device_id": "82231214002700-3", "model_id": model["id"], "uid": "ab12", "mac": "854100000703"}),
        )
        .await,
    );
    assert_eq!(socket["port_count"], 2);
    let v = kv(&app, "82231214002700-3").await.expect("mirrored");
    assert_eq!(
        v,
        json!({"tenant_id": t.id, "site_id": null, "node_path": t.path(), "protocol": "gn", "model": "GN socket v2"})
    );
    assert!(
        kv(&app, "82231214002700").await.is_some(),
        "the gateway itself is registered"
    );
    // Operators find it by the sticker's UID.
    let found = app.ok(app.get("/api/v1/charging/devices?uid=AB12", &t.admin).await);
    assert_eq!(found["items"][0]["device_id"], "82231214002700-3");

    // Binding without a gateway connection still binds; provisioning records the failure.
    let bound = app.ok(app
        .patch(
            "/api/v1/charging/devices/82231214002700-3",
            &t.admin,
            json!({"site_id": site["id"]}),
        )
        .await);
    assert_eq!(bound["site_id"], site["id"]);
    let v = kv(&app, "82231214002700-3").await.unwrap();
    assert_eq!(v["site_id"], site["id"]);
    assert_eq!(v["node_path"], s.site_path.as_str());

    let (st, b) = app
        .delete("/api/v1/charging/devices/82231214002700", &t.admin)
        .await;
    assert_eq!((st.as_u16(), b["code"].as_u64()), (409, Some(12020)), "{b}");
    app.ok(app
        .delete("/api/v1/charging/devices/82231214002700-3", &t.admin)
        .await);
    assert!(kv(&app, "82231214002700-3").await.is_none());
}

#[tokio::test]
async fn a_qr_code_resolves_to_device_port_and_site_for_drivers_of_the_tenant() {
    let app = app().await;
    let t = app.tenant("qr").await;
    let s = app.region_and_site(&t, "centre").await;
    let site = site(&app, &t.admin, &s.site_path).await;
    app.ok(
        app.post(
            "/api/v1/charging/devices",
            &t.admin,
            json!({"protocol": "dny", "device_id": "04ab373b", "port_count": 2, "site_id": site["id"]}),
        )
        .await,
    );
    let ports = app.ok(app
        .get("/api/v1/charging/devices/04ab373b/ports", &t.admin)
        .await);
    assert_eq!(ports.as_array().unwrap().len(), 2);
    assert_eq!(ports[1]["number"], 2);
    let code = ports[1]["qr_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 16);

    let driver = app.driver(&t).await;
    let r = app.ok(app
        .get(
            &format!("/api/v1/charging/qr/{}", code.to_lowercase()),
            &driver.token,
        )
        .await);
    assert_eq!(r["device"]["device_id"], "04ab373b");
    assert_eq!(r["port"], 2);
    assert_eq!(r["site"]["name"], "Gate 3");
    assert_eq!(r["site"]["id"], site["id"]);

    let anon = app
        .http
        .get(app.url(&format!("/api/v1/charging/qr/{code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let u = app.tenant("qr2").await;
    let stranger = app.driver(&u).await;
    let (st, _) = app
        .get(&format!("/api/v1/charging/qr/{code}"), &stranger.token)
        .await;
    assert_eq!(st.as_u16(), 404);
    let (st, b) = app.get("/api/v1/charging/qr/nope", &driver.token).await;
    assert_eq!(st.as_u16(), 400, "{b}");
}
