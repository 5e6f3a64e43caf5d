//! `POST /auth/login`: tenant + phone or e-mail + password.

use std::net::IpAddr;

use chrono::{Duration, Utc};

use super::Ctx;
use super::session::{self, TokenPair};
use crate::domain::user::{Identifier, LockoutPolicy, UserStatus};
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::tenants::TenantRow;
use crate::store::users::UserRow;

pub struct Login {
    pub tenant: String,
    pub identifier: String,
    pub password: String,
}

/// A tenant by code or id; unknown or disabled tenants look like bad credentials.
pub async fn tenant(ctx: &Ctx, t: &str) -> Result<TenantRow> {
    let row = match t.parse::<uuid::Uuid>() {
        Ok(id) => store::tenants::by_id(&ctx.pool, id).await?,
        Err(_) => store::tenants::by_code(&ctx.pool, &t.trim().to_ascii_lowercase()).await?,
    };
    row.filter(|t| !t.disabled)
        .ok_or(IdentityError::InvalidCredentials)
}

pub async fn find_user(ctx: &Ctx, tenant: uuid::Uuid, id: &Identifier) -> Result<Option<UserRow>> {
    Ok(match id {
        Identifier::Phone(p) => store::users::by_phone(&ctx.pool, tenant, p.as_str()).await?,
        Identifier::Email(e) => store::users::by_email(&ctx.pool, tenant, e.as_str()).await?,
    })
}

pub fn lockout(ctx: &Ctx) -> LockoutPolicy {
    LockoutPolicy {
        max_failures: ctx.config.identity.login_max_failures,
        lockout: Duration::seconds(ctx.config.identity.lockout_secs as i64),
    }
}

/// Returns the session and the user (for the audit log).
pub async fn run(ctx: &Ctx, ip: Option<IpAddr>, req: Login) -> Result<(TokenPair, UserRow)> {
    if !ctx.limiter.check(ip) {
        return Err(IdentityError::RateLimited);
    }
    let tenant = tenant(ctx, &req.tenant).await?;
    let identifier =
        Identifier::parse(&req.identifier).map_err(|_| IdentityError::InvalidCredentials)?;
    let Some(found) = find_user(ctx, tenant.id, &identifier).await? else {
        // Same work as for a real account.
        ctx.hasher.verify(&req.password, None).await?;
        return Err(IdentityError::InvalidCredentials);
    };
    let policy = lockout(ctx);
    if policy.is_locked(found.locked_until, Utc::now()) {
        return Err(IdentityError::AccountLocked);
    }
    let ok = ctx
        .hasher
        .verify(&req.password, found.password_hash.as_deref())
        .await?;
    let mut tx = ctx.pool.begin().await?;
    // Re-read under a lock: concurrent failures all count.
    let user = store::users::get_for_update(&mut *tx, tenant.id, found.id)
        .await?
        .ok_or(IdentityError::InvalidCredentials)?;
    if !ok {
        if policy.is_locked(user.locked_until, Utc::now()) {
            return Err(IdentityError::AccountLocked);
        }
        let after = policy.after_failure(user.failed_logins, Utc::now());
        store::users::record_failure(&mut *tx, user.id, after.failed_logins, after.locked_until)
            .await?;
        tx.commit().await?;
        if after.locked_until.is_some() {
            tracing::warn!(user = %user.id, tenant = %tenant.id, "account locked after repeated failed logins");
        }
        return Err(IdentityError::InvalidCredentials);
    }
    if UserStatus::parse(&user.status)? == UserStatus::Disabled {
        return Err(IdentityError::AccountDisabled);
    }
    store::users::record_login(&mut *tx, user.id).await?;
    let pair = session::issue(ctx, &mut tx, &user, None).await?;
    tx.commit().await?;
    Ok((pair, user))
}
