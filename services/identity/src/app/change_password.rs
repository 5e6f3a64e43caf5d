//! `POST /auth/password`: the signed-in user changes their password. Every other
//! session ends; a fresh one is returned.

use runtime::auth::{Principal, PrincipalKind};

use super::session::{self, TokenPair};
use super::{Ctx, tenant_of};
use crate::domain::user;
use crate::error::{IdentityError, Result};
use crate::store;

pub async fn run(ctx: &Ctx, me: &Principal, old: &str, new: &str) -> Result<TokenPair> {
    if me.kind != PrincipalKind::User {
        return Err(IdentityError::Forbidden);
    }
    let tenant = tenant_of(me)?;
    let id = me
        .subject
        .parse()
        .map_err(|_| IdentityError::NotFound("user"))?;
    let current = store::users::get(&ctx.pool, store::TenantScope::one(tenant), id)
        .await?
        .ok_or(IdentityError::NotFound("user"))?;
    if !ctx
        .hasher
        .verify(old, current.password_hash.as_deref())
        .await?
    {
        return Err(IdentityError::WrongPassword);
    }
    user::check_password(new)?;
    let hash = ctx.hasher.hash(new).await?;
    let mut tx = ctx.pool.begin().await?;
    store::users::set_password(&mut *tx, tenant, id, &hash).await?;
    store::refresh::revoke_user(&mut *tx, tenant, id, "password changed").await?;
    let pair = session::issue(ctx, &mut tx, &current, None).await?;
    tx.commit().await?;
    Ok(pair)
}
