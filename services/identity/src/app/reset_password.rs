//! `POST /auth/password/reset`: phone + `reset` code + new password. Unlocks the account
//! and ends every session.

use std::net::IpAddr;

use super::users::verify_code;
use super::{Ctx, login};
use crate::domain::user::{self, Phone};
use crate::error::{IdentityError, Result};
use crate::store;

pub async fn run(
    ctx: &Ctx,
    ip: Option<IpAddr>,
    tenant: &str,
    phone: &str,
    code: &str,
    new: &str,
) -> Result<()> {
    if !ctx.limiter.check(ip) {
        return Err(IdentityError::RateLimited);
    }
    let tenant = login::tenant(ctx, tenant).await?;
    let phone = Phone::parse(phone).map_err(|_| IdentityError::InvalidCode)?;
    user::check_password(new)?;
    verify_code(ctx, tenant.id, &phone, "reset", code).await?;
    let found = store::users::by_phone(&ctx.pool, tenant.id, phone.as_str())
        .await?
        .ok_or(IdentityError::InvalidCode)?;
    let hash = ctx.hasher.hash(new).await?;
    let mut tx = ctx.pool.begin().await?;
    store::users::set_password(&mut *tx, tenant.id, found.id, &hash).await?;
    store::refresh::revoke_user(&mut *tx, tenant.id, found.id, "password reset").await?;
    tx.commit().await?;
    Ok(())
}
