//! Access and refresh tokens as another service and identity judge them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use runtime::auth::claims::AccessClaims;
use serde_json::{Value, json};

use crate::{PASSWORD, spawn_app};

async fn probe_get(base: &str, path: &str, token: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .get(format!(
            "{base}/api/v1/probe/devices?path={}",
            crate::signatures::enc(path)
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn claims_of(token: &str) -> AccessClaims {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

fn sign(kid: &str, der: &[u8], claims: &AccessClaims) -> String {
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some(kid.into());
    jsonwebtoken::encode(&h, claims, &EncodingKey::from_ed_der(der)).unwrap()
}

fn assert_401(r: (StatusCode, Value), why: &str, message: &str) {
    assert_eq!(r.0, StatusCode::UNAUTHORIZED, "{why}: {}", r.1);
    assert_eq!(r.1["code"], 1002, "{why}: {}", r.1);
    assert!(
        r.1["message"]
            .as_str()
            .unwrap_or_default()
            .contains(message),
        "{why}: {}",
        r.1
    );
}

#[tokio::test]
async fn another_service_accepts_only_genuine_unexpired_tokens_for_its_audience() {
    let app = spawn_app().await;
    let (probe, _stop) = app.probe().await;
    let path = format!("/{}/", app.root.id);
    let good = app.root.admin.clone();
    let r = probe_get(&probe, &path, &good).await;
    assert_eq!(r.0, StatusCode::OK, "{}", r.1);
    assert_eq!(r.1["data"]["tenant"], app.root.id);

    let (kid, der) = app.signing_key().await;
    let base = claims_of(&good);
    // A token we sign ourselves with identity's real key is accepted: the checks below
    // fail for the reason named, not because of our signing.
    assert_eq!(
        probe_get(&probe, &path, &sign(&kid, &der, &base)).await.0,
        StatusCode::OK
    );

    let mut expired = base.clone();
    expired.exp = chrono::Utc::now().timestamp() - 120;
    expired.iat = expired.exp - 900;
    expired.nbf = expired.iat;
    assert_401(
        probe_get(&probe, &path, &sign(&kid, &der, &expired)).await,
        "expired",
        "expired",
    );

    let mut future = base.clone();
    future.nbf = chrono::Utc::now().timestamp() + 600;
    assert_401(
        probe_get(&probe, &path, &sign(&kid, &der, &future)).await,
        "not yet valid",
        "not yet valid",
    );

    let mut aud = base.clone();
    aud.aud = "someone-else".into();
    assert_401(
        probe_get(&probe, &path, &sign(&kid, &der, &aud)).await,
        "audience",
        "audience",
    );

    let mut iss = base.clone();
    iss.iss = "evil".into();
    assert_401(
        probe_get(&probe, &path, &sign(&kid, &der, &iss)).await,
        "issuer",
        "issuer",
    );

    // Signed by a key identity never had, under identity's kid.
    let mut other = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    other.extend_from_slice(&[7u8; 32]);
    assert_401(
        probe_get(&probe, &path, &sign(&kid, &other, &base)).await,
        "wrong key",
        "signature",
    );

    // Same claims, payload edited after signing (another tenant).
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let mut edited = base.clone();
    edited.tid = uuid::Uuid::now_v7().to_string();
    parts[1] = B64.encode(serde_json::to_vec(&edited).unwrap());
    assert_401(
        probe_get(&probe, &path, &parts.join(".")).await,
        "tampered",
        "signature",
    );

    // alg: none.
    let none_header = B64.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
    let none = format!("{none_header}.{}.", good.split('.').nth(1).unwrap());
    assert_401(probe_get(&probe, &path, &none).await, "alg none", "");

    // HS256 "signed" with the public key from the JWKS (the classic confusion attack),
    // both as raw bytes and as the base64 text.
    let jwks: Value = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    for secret in [B64.decode(&x).unwrap(), x.as_bytes().to_vec()] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some(kid.clone());
        let forged = jsonwebtoken::encode(&h, &base, &EncodingKey::from_secret(&secret)).unwrap();
        assert_401(
            probe_get(&probe, &path, &forged).await,
            "HS256 with the public key",
            "algorithm",
        );
    }
    // RS256 header is refused before any key is looked at.
    let rs_header = B64.encode(json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string());
    let rs = format!(
        "{rs_header}.{}.{}",
        parts[1],
        good.split('.').nth(2).unwrap()
    );
    assert_401(probe_get(&probe, &path, &rs).await, "RS256", "");

    // Garbage, an unknown kid, no token.
    assert_401(
        probe_get(&probe, &path, "not-a-jwt").await,
        "garbage",
        "malformed",
    );
    let mut h = Header::new(Algorithm::EdDSA);
    h.kid = Some("k-unknown".into());
    let unknown = jsonwebtoken::encode(&h, &base, &EncodingKey::from_ed_der(&der)).unwrap();
    assert_401(
        probe_get(&probe, &path, &unknown).await,
        "unknown kid",
        "unknown signing key",
    );
    let r = reqwest::get(format!(
        "{probe}/api/v1/probe/devices?path={}",
        crate::signatures::enc(&path)
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let s = app.login_ok("root", "admin@root.test", PASSWORD).await;
    let r1 = s["refresh_token"].as_str().unwrap().to_owned();

    let s2 = app
        .ok(app
            .anon_post("/api/v1/auth/refresh", json!({"refresh_token": r1}))
            .await)
        .await;
    let r2 = s2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    assert!(s2["access_token"].as_str().unwrap().len() > 20);

    // r1 again: reuse → the family (r2 included) is revoked.
    let (st, body) = app
        .anon_post("/api/v1/auth/refresh", json!({"refresh_token": r1}))
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(11006)),
        "{body}"
    );
    let (st, body) = app
        .anon_post("/api/v1/auth/refresh", json!({"refresh_token": r2}))
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(11005)),
        "{body}"
    );

    // Another login is another family, unaffected.
    let s3 = app.login_ok("root", "admin@root.test", PASSWORD).await;
    let r3 = s3["refresh_token"].as_str().unwrap().to_owned();
    // Logout revokes it; refreshing afterwards fails.
    app.ok(app
        .anon_post("/api/v1/auth/logout", json!({"refresh_token": r3}))
        .await)
        .await;
    let (st, body) = app
        .anon_post("/api/v1/auth/refresh", json!({"refresh_token": r3}))
        .await;
    assert_eq!(
        (st, body["code"].as_u64()),
        (StatusCode::UNAUTHORIZED, Some(11005)),
        "{body}"
    );
    // Unknown and empty tokens.
    for t in ["nope", ""] {
        let (st, _) = app
            .anon_post("/api/v1/auth/refresh", json!({"refresh_token": t}))
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    // Stored hashed: the raw token is nowhere in the table.
    let pool = app.db.pool().await;
    let hits: i64 = sqlx::query_scalar("SELECT count(*) FROM identity.refresh_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'")
        .bind(&r3[..16])
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(hits, 0);
}

#[tokio::test]
async fn keys_rotate_and_other_services_follow_via_jwks() {
    let app = spawn_app().await;
    let (probe, _stop) = app.probe().await;
    let path = format!("/{}/", app.root.id);
    let old = app.root.admin.clone();
    assert_eq!(probe_get(&probe, &path, &old).await.0, StatusCode::OK);
    let old_kid = jsonwebtoken::decode_header(&old).unwrap().kid.unwrap();

    let rotated = app
        .ok(app.post("/api/v1/auth/keys/rotate", &old, json!({})).await)
        .await;
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    let jwks: Value = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(
        kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()),
        "{jwks}"
    );
    for k in jwks["keys"].as_array().unwrap() {
        assert_eq!(
            (k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str()),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        assert!(k.get("d").is_none(), "no private part in the JWKS");
    }

    let fresh = app.login_ok("root", "admin@root.test", PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        jsonwebtoken::decode_header(&fresh).unwrap().kid.unwrap(),
        new_kid
    );
    // The probe learns the new key on first sight of its kid (re-fetches are rate
    // limited to one per 10 s, so wait that out once).
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    assert_eq!(probe_get(&probe, &path, &fresh).await.0, StatusCode::OK);
    // Tokens of the retired key stay valid until they expire.
    assert_eq!(probe_get(&probe, &path, &old).await.0, StatusCode::OK);

    // Only platform admins rotate.
    let t = app.tenant("acme").await;
    let (st, _) = app
        .post("/api/v1/auth/keys/rotate", &t.admin, json!({}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
