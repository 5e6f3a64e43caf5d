//! `GET /roles` (built-in and custom), `PATCH` and `DELETE /roles/{id}`.

use runtime::auth::Principal;
use uuid::Uuid;

use super::Ctx;
use super::create_role::role_tenant;
use crate::domain::rbac;
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::roles::RoleRow;

pub async fn list(ctx: &Ctx, p: &Principal, tenant: Option<Uuid>) -> Result<Vec<RoleRow>> {
    let tenant = match (p.platform_admin, tenant) {
        (true, Some(t)) => t,
        _ => super::tenant_of(p)?,
    };
    Ok(store::roles::list(&ctx.pool, tenant).await?)
}

pub async fn get(ctx: &Ctx, p: &Principal, id: Uuid) -> Result<RoleRow> {
    let tenant = super::tenant_of(p)?;
    find(ctx, p, tenant, id).await
}

async fn find(ctx: &Ctx, p: &Principal, tenant: Uuid, id: Uuid) -> Result<RoleRow> {
    let row = if p.platform_admin {
        sqlx_any_tenant(ctx, id).await?
    } else {
        store::roles::get(&ctx.pool, tenant, id).await?
    };
    row.ok_or(IdentityError::NotFound("role"))
}

/// Platform admins address roles of any tenant by id.
async fn sqlx_any_tenant(ctx: &Ctx, id: Uuid) -> Result<Option<RoleRow>> {
    match store::roles::tenant_of(&ctx.pool, id).await? {
        Some(t) => Ok(store::roles::get(&ctx.pool, t, id).await?),
        None => Ok(None),
    }
}

pub async fn update(
    ctx: &Ctx,
    p: &Principal,
    id: Uuid,
    description: Option<&str>,
    permissions: Option<&[String]>,
) -> Result<RoleRow> {
    let own = super::tenant_of(p)?;
    let role = find(ctx, p, own, id).await?;
    role_tenant(p, Some(role.tenant_id), "roles:update")?;
    if description.is_some_and(|d| d.chars().count() > 500) {
        return Err(IdentityError::Invalid(
            "description must be at most 500 characters".into(),
        ));
    }
    let perms = permissions.map(rbac::normalize_permissions).transpose()?;
    store::roles::update(&ctx.pool, role.tenant_id, id, description, perms.as_deref()).await?;
    find(ctx, p, role.tenant_id, id).await
}

/// Deletes a custom role that nobody holds any more.
pub async fn delete(ctx: &Ctx, p: &Principal, id: Uuid) -> Result<()> {
    let own = super::tenant_of(p)?;
    let role = find(ctx, p, own, id).await?;
    role_tenant(p, Some(role.tenant_id), "roles:delete")?;
    if store::grants::count_role(&ctx.pool, role.tenant_id, &role.name).await? > 0 {
        return Err(IdentityError::RoleInUse);
    }
    store::roles::delete(&ctx.pool, role.tenant_id, id).await?;
    Ok(())
}
