//! `POST /auth/refresh`: rotate a refresh token. A token is good once; presenting a
//! rotated one again means it was stolen (or replayed), so the whole family — every
//! token descended from that login — is revoked.

use chrono::Utc;

use super::Ctx;
use super::session::{self, TokenPair};
use crate::domain::user::UserStatus;
use crate::error::{IdentityError, Result};
use crate::{store, tokens};

pub async fn run(ctx: &Ctx, token: &str) -> Result<TokenPair> {
    if token.is_empty() || token.len() > 200 {
        return Err(IdentityError::InvalidRefreshToken);
    }
    let mut tx = ctx.pool.begin().await?;
    let row = store::refresh::by_hash_for_update(&mut *tx, &tokens::sha256(token))
        .await?
        .ok_or(IdentityError::InvalidRefreshToken)?;
    if row.revoked_at.is_some() {
        return Err(IdentityError::InvalidRefreshToken);
    }
    if row.rotated_at.is_some() {
        let n = store::refresh::revoke_family(&mut *tx, row.family_id, "reuse").await?;
        tx.commit().await?;
        tracing::warn!(user = %row.user_id, family = %row.family_id, revoked = n, "rotated refresh token reused; session family revoked");
        return Err(IdentityError::RefreshReuse);
    }
    if row.expires_at <= Utc::now() {
        return Err(IdentityError::InvalidRefreshToken);
    }
    let user = store::users::get(
        &mut *tx,
        store::TenantScope::one(row.tenant_id),
        row.user_id,
    )
    .await?
    .ok_or(IdentityError::InvalidRefreshToken)?;
    let tenant_ok = store::tenants::by_id(&mut *tx, row.tenant_id)
        .await?
        .is_some_and(|t| !t.disabled);
    if UserStatus::parse(&user.status)? == UserStatus::Disabled || !tenant_ok {
        store::refresh::revoke_family(&mut *tx, row.family_id, "disabled").await?;
        tx.commit().await?;
        return Err(IdentityError::AccountDisabled);
    }
    store::refresh::mark_rotated(&mut *tx, row.id).await?;
    let pair = session::issue(ctx, &mut tx, &user, Some(row.family_id)).await?;
    tx.commit().await?;
    Ok(pair)
}
