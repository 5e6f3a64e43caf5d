//! Logging in: passwords, lockout, rate limits, SMS codes, password change and reset.

use prost::Message as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::{PASSWORD, TestApp, next_event, spawn_app, spawn_with, subscribe};

async fn register_email(app: &TestApp, tenant: &str, email: &str) -> serde_json::Value {
    app.ok(app
        .anon_post(
            "/api/v1/auth/register",
            json!({"tenant": tenant, "email": email, "password": PASSWORD, "display_name": "Driver"}),
        )
        .await)
        .await
}

#[tokio::test]
async fn repeated_failures_lock_the_account_until_unlocked() {
    let app = spawn_with(|c| {
        c.identity.login_max_failures = 3;
        c.identity.lockout_secs = 600;
    })
    .await;
    let s = register_email(&app, "root", "dana@example.com").await;
    let user_id = s["user"]["id"].as_str().unwrap().to_owned();
    for i in 0..3 {
        let (st, body) = app.login("root", "dana@example.com", "wrong-pass1").await;
        assert_eq!(
            (st, body["code"].as_u64()),
            (StatusCode::UNAUTHORIZED, Some(11001)),
            "attempt {i}: {body}"
        );
    }
    // Now even the right password is refused, with its own code.
    let (st, body) = app.login("root", "dana@example.com", PASSWORD).await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::FORBIDDEN, Some(11003)),
        "{body}"
    );
    let u = app
        .ok(app
            .get(&format!("/api/v1/users/{user_id}"), &app.root.admin)
            .await)
        .await;
    assert_eq!(u["locked"], true);
    // An administrator unlocks.
    app.ok(app
        .post(
            &format!("/api/v1/users/{user_id}/unlock"),
            &app.root.admin,
            json!({}),
        )
        .await)
        .await;
    app.login_ok("root", "dana@example.com", PASSWORD).await;
    // A success resets the counter: two more failures do not lock.
    for _ in 0..2 {
        app.login("root", "dana@example.com", "wrong-pass1").await;
    }
    app.login_ok("root", "dana@example.com", PASSWORD).await;
    // Unknown users and tenants look exactly like wrong passwords.
    let (st, body) = app.login("root", "nobody@example.com", PASSWORD).await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(11001))
    );
    let (st, body) = app
        .login("no-such-tenant", "dana@example.com", PASSWORD)
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(11001))
    );
}

#[tokio::test]
async fn logins_are_rate_limited_per_client() {
    let app = spawn_with(|c| c.identity.login_rate_per_minute = 5).await;
    // spawn_app's own admin login used one.
    let mut limited = false;
    for _ in 0..6 {
        let (st, body) = app.login("root", "admin@root.test", "wrong-pass1").await;
        if st == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(body["code"], 1007, "{body}");
            limited = true;
            break;
        }
    }
    assert!(limited, "no 429 after 6 attempts at 5/min");
    // Code requests share the budget.
    let (st, _) = app
        .anon_post(
            "/api/v1/auth/sms-code",
            json!({"tenant": "root", "phone": "13800000001"}),
        )
        .await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sms_codes_travel_as_events_and_log_a_driver_in() {
    let app = spawn_app().await;
    let mut otp = subscribe(&app, "_.otp.requested").await;
    let mut registered = subscribe(&app, &format!("{}.user.registered", app.root.id)).await;
    let phone = "13812345678";
    let sent = app
        .ok(app
            .anon_post(
                "/api/v1/auth/sms-code",
                json!({"tenant": "root", "phone": phone}),
            )
            .await)
        .await;
    assert_eq!(sent["accepted"], true);
    let msg = next_event(&mut otp).await;
    let headers = msg.headers.clone().unwrap();
    assert_eq!(
        headers.get("ce-type").unwrap().as_str(),
        "pylon.identity.otp.requested.v1"
    );
    assert_eq!(headers.get("ce-tenant").unwrap().as_str(), app.root.id);
    let ev = proto::events::OneTimeCodeRequested::decode(msg.payload).unwrap();
    assert_eq!((ev.phone.as_str(), ev.purpose.as_str()), (phone, "login"));
    assert_eq!(ev.code.len(), 6);

    // One code per minute per phone.
    let (st, _) = app
        .anon_post(
            "/api/v1/auth/sms-code",
            json!({"tenant": "root", "phone": phone}),
        )
        .await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);

    // A wrong code counts, then the right one logs in (and signs up a new driver).
    let wrong = if ev.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (st, body) = app
        .anon_post(
            "/api/v1/auth/login/sms",
            json!({"tenant": "root", "phone": phone, "code": wrong}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(11004)),
        "{body}"
    );
    let s = app
        .ok(app
            .anon_post(
                "/api/v1/auth/login/sms",
                json!({"tenant": "root", "phone": phone, "code": ev.code}),
            )
            .await)
        .await;
    assert_eq!(s["user"]["kind"], "driver");
    assert_eq!(s["user"]["phone"], phone, "own phone unmasked");
    // (The bootstrap admin's own event may come first.)
    let reg = loop {
        let ev = proto::events::UserRegistered::decode(next_event(&mut registered).await.payload)
            .unwrap();
        if ev.user_id == s["user"]["id"].as_str().unwrap() {
            break ev;
        }
    };
    assert_eq!(reg.phone_masked, "138****5678");
    assert_eq!(reg.kind, "driver");
    // A code works once.
    let (st, _) = app
        .anon_post(
            "/api/v1/auth/login/sms",
            json!({"tenant": "root", "phone": phone, "code": ev.code}),
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // The driver sees themself, and nobody else.
    let token = s["access_token"].as_str().unwrap();
    let me = app.ok(app.get("/api/v1/auth/me", token).await).await;
    assert_eq!(me["grants"][0]["role"], "driver");
    let (st, _) = app.get("/api/v1/users", token).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Staff see the phone masked unless they hold pii:read.
    let id = s["user"]["id"].as_str().unwrap();
    let t = crate::Tenant {
        id: app.root.id.clone(),
        code: "root".into(),
        admin: app.root.admin.clone(),
    };
    let (region, _, _) = app.region_and_site(&t, "North").await;
    let (_, finance) = app
        .user_with_role(&t, "support", &region, &app.root.id)
        .await;
    let seen = app
        .ok(app.get(&format!("/api/v1/users/{id}"), &finance).await)
        .await;
    assert_eq!(seen["phone"], phone, "support holds pii:read");
    let (_, rm) = app
        .user_with_role(&t, "region_manager", &region, &region)
        .await;
    let (st, _) = app.get(&format!("/api/v1/users/{id}"), &rm).await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "drivers live on the operator node, outside the region"
    );
}

#[tokio::test]
async fn password_change_and_reset_end_other_sessions() {
    let app = spawn_app().await;
    let mut otp = subscribe(&app, "_.otp.requested").await;
    let phone = "+8613900000002";
    // Registering a phone needs its code.
    let (st, _) = app
        .anon_post(
            "/api/v1/auth/register",
            json!({"tenant": "root", "phone": phone, "password": PASSWORD, "display_name": "Ann"}),
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    app.ok(app
        .anon_post(
            "/api/v1/auth/sms-code",
            json!({"tenant": "root", "phone": phone, "purpose": "register"}),
        )
        .await)
        .await;
    let code = proto::events::OneTimeCodeRequested::decode(next_event(&mut otp).await.payload)
        .unwrap()
        .code;
    let s = app
        .ok(app
            .anon_post(
                "/api/v1/auth/register",
                json!({"tenant": "root", "phone": phone, "code": code, "password": PASSWORD, "display_name": "Ann"}),
            )
            .await)
        .await;
    let old_refresh = s["refresh_token"].as_str().unwrap().to_owned();
    let token = s["access_token"].as_str().unwrap().to_owned();
    // Registering again is a conflict; weak passwords are refused.
    let (st, body) = app
        .anon_post("/api/v1/auth/register", json!({"tenant": "root", "email": "x@example.com", "password": "short", "display_name": "X"}))
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(11007))
    );

    // Change: the old password must be right.
    let (st, body) = app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"old_password": "wrong-pass1", "new_password": "New-pass22"}),
        )
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(11016))
    );
    app.ok(app
        .post(
            "/api/v1/auth/password",
            &token,
            json!({"old_password": PASSWORD, "new_password": "New-pass22"}),
        )
        .await)
        .await;
    let (st, _) = app
        .anon_post(
            "/api/v1/auth/refresh",
            json!({"refresh_token": old_refresh}),
        )
        .await;
    assert_eq!(
        st,
        StatusCode::UNAUTHORIZED,
        "sessions before the change end"
    );
    app.login_ok("root", phone, "New-pass22").await;

    // Reset by SMS code.
    app.ok(app
        .anon_post(
            "/api/v1/auth/sms-code",
            json!({"tenant": "root", "phone": phone, "purpose": "reset"}),
        )
        .await)
        .await;
    let ev =
        proto::events::OneTimeCodeRequested::decode(next_event(&mut otp).await.payload).unwrap();
    assert_eq!(ev.purpose, "reset");
    app.ok(app
        .anon_post(
            "/api/v1/auth/password/reset",
            json!({"tenant": "root", "phone": phone, "code": ev.code, "new_password": "Reset-pass33"}),
        )
        .await)
        .await;
    let (st, _) = app.login("root", phone, "New-pass22").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    app.login_ok("root", phone, "Reset-pass33").await;
}

#[tokio::test]
async fn disabled_users_cannot_log_in_or_refresh() {
    let app = spawn_app().await;
    let mut disabled = subscribe(&app, &format!("{}.user.disabled", app.root.id)).await;
    let s = register_email(&app, "root", "eve@example.com").await;
    let id = s["user"]["id"].as_str().unwrap().to_owned();
    let refresh = s["refresh_token"].as_str().unwrap().to_owned();
    app.ok(app
        .post(
            &format!("/api/v1/users/{id}/disable"),
            &app.root.admin,
            json!({}),
        )
        .await)
        .await;
    let ev = proto::events::UserDisabled::decode(next_event(&mut disabled).await.payload).unwrap();
    assert_eq!(ev.user_id, id);
    let (st, body) = app.login("root", "eve@example.com", PASSWORD).await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::FORBIDDEN, Some(11002))
    );
    let (st, _) = app
        .anon_post("/api/v1/auth/refresh", json!({"refresh_token": refresh}))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    app.ok(app
        .post(
            &format!("/api/v1/users/{id}/enable"),
            &app.root.admin,
            json!({}),
        )
        .await)
        .await;
    app.login_ok("root", "eve@example.com", PASSWORD).await;
}
