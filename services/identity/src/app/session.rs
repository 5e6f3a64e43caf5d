//! Issuing a session: an access token carrying the user's grants (custom roles resolved
//! to their permissions) and a refresh token, new or in an existing family.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use runtime::auth::claims::AccessClaims;
use runtime::auth::{Grant, OrgPath};
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Ctx;
use crate::domain::rbac::BuiltinRole;
use crate::error::Result;
use crate::store::users::UserRow;
use crate::{store, tokens};

/// What a successful login, registration or refresh returns.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_in: u64,
}

/// The user's effective grants: suspended ones (under a disabled node) dropped, roles
/// resolved to permissions. Unknown role names (a deleted custom role) give nothing.
pub async fn effective_grants(conn: &mut PgConnection, user: &UserRow) -> Result<Vec<Grant>> {
    let rows = store::grants::for_user(&mut *conn, user.tenant_id, user.id).await?;
    let custom: HashMap<String, Vec<String>> = if rows
        .iter()
        .any(|g| BuiltinRole::from_name(&g.role).is_none())
    {
        store::roles::list(&mut *conn, user.tenant_id)
            .await?
            .into_iter()
            .map(|r| (r.name, r.permissions))
            .collect()
    } else {
        HashMap::new()
    };
    let mut grants = Vec::with_capacity(rows.len());
    for g in rows.into_iter().filter(|g| !g.suspended) {
        let permissions: Vec<String> = match BuiltinRole::from_name(&g.role) {
            Some(b) => b.permissions().iter().map(|s| s.to_string()).collect(),
            None => match custom.get(&g.role) {
                Some(p) => p.clone(),
                None => continue,
            },
        };
        grants.push(Grant {
            role: g.role,
            path: OrgPath::parse(&g.node_path)?,
            permissions,
        });
    }
    Ok(grants)
}

/// Signs an access token for `user`.
pub async fn access_token(ctx: &Ctx, conn: &mut PgConnection, user: &UserRow) -> Result<String> {
    let grants = effective_grants(conn, user).await?;
    let now = Utc::now().timestamp();
    let mut roles: Vec<String> = grants.iter().map(|g| g.role.clone()).collect();
    roles.sort();
    roles.dedup();
    let claims = AccessClaims {
        iss: ctx.config.auth.issuer.clone(),
        aud: ctx.config.auth.audience.clone(),
        sub: user.id.to_string(),
        tid: user.tenant_id.to_string(),
        iat: now,
        nbf: now,
        exp: now + ctx.config.identity.access_ttl_secs as i64,
        jti: Uuid::now_v7().to_string(),
        pa: grants
            .iter()
            .any(|g| g.role == BuiltinRole::PlatformAdmin.name()),
        roles,
        grants,
    };
    let (kid, key) = ctx.keys.signing_key().await?;
    tokens::sign_access(&kid, &key, &claims)
}

/// A new session (or the next link of `family`) for `user`, inside the caller's
/// transaction.
pub async fn issue(
    ctx: &Ctx,
    conn: &mut PgConnection,
    user: &UserRow,
    family: Option<Uuid>,
) -> Result<TokenPair> {
    let access = access_token(ctx, conn, user).await?;
    let refresh = tokens::new_refresh_token()?;
    let ttl = ctx.config.identity.refresh_ttl_secs;
    store::refresh::insert(
        &mut *conn,
        Uuid::now_v7(),
        family.unwrap_or_else(Uuid::now_v7),
        user.tenant_id,
        user.id,
        &tokens::sha256(&refresh),
        Utc::now() + Duration::seconds(ttl as i64),
    )
    .await?;
    Ok(TokenPair {
        access_token: access,
        token_type: "Bearer",
        expires_in: ctx.config.identity.access_ttl_secs,
        refresh_token: refresh,
        refresh_expires_in: ttl,
    })
}
