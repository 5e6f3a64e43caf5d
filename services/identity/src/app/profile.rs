//! `GET`/`PATCH /auth/me`: the signed-in user's own profile and grants.

use runtime::auth::{Principal, PrincipalKind};

use super::{Ctx, tenant_of};
use crate::domain::user::{self, Email};
use crate::error::{IdentityError, Result};
use crate::store::grants::GrantRow;
use crate::store::users::{ProfileUpdate, UserRow};
use crate::store::{self, TenantScope};

pub async fn get(ctx: &Ctx, me: &Principal) -> Result<(UserRow, Vec<GrantRow>)> {
    if me.kind != PrincipalKind::User {
        return Err(IdentityError::Forbidden);
    }
    let tenant = tenant_of(me)?;
    let id = me
        .subject
        .parse()
        .map_err(|_| IdentityError::NotFound("user"))?;
    let u = store::users::get(&ctx.pool, TenantScope::one(tenant), id)
        .await?
        .ok_or(IdentityError::NotFound("user"))?;
    let grants = store::grants::for_user(&ctx.pool, tenant, id).await?;
    Ok((u, grants))
}

pub async fn update(
    ctx: &Ctx,
    me: &Principal,
    display_name: Option<&str>,
    email: Option<&str>,
) -> Result<(UserRow, Vec<GrantRow>)> {
    let (current, _) = get(ctx, me).await?;
    let upd = ProfileUpdate {
        display_name: display_name.map(user::display_name).transpose()?,
        email: email
            .map(|e| Email::parse(e).map(|e| e.as_str().to_owned()))
            .transpose()?,
        node_id: None,
    };
    if let Err(what) =
        store::users::update_profile(&ctx.pool, current.tenant_id, current.id, &upd).await?
    {
        return Err(IdentityError::AlreadyRegistered(what));
    }
    get(ctx, me).await
}
