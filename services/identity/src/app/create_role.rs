//! `POST /roles`: a custom role of the caller's tenant, from the permission catalogue.

use chrono::Utc;
use runtime::auth::{OrgPath, Principal};
use uuid::Uuid;

use super::Ctx;
use crate::domain::rbac;
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::roles::RoleRow;

/// The tenant a role command acts on, authorized at its root: the caller's own, or
/// (platform admins) the one named.
pub fn role_tenant(p: &Principal, asked: Option<Uuid>, permission: &str) -> Result<Uuid> {
    let tenant = match (p.platform_admin, asked) {
        (true, Some(t)) => t,
        _ => super::tenant_of(p)?,
    };
    runtime::auth::authorize(p, permission, &OrgPath::root(&tenant.to_string())?)?;
    Ok(tenant)
}

pub async fn run(
    ctx: &Ctx,
    p: &Principal,
    tenant: Option<Uuid>,
    name: &str,
    description: &str,
    permissions: &[String],
) -> Result<RoleRow> {
    let tenant = role_tenant(p, tenant, "roles:create")?;
    rbac::check_role_name(name)?;
    if description.chars().count() > 500 {
        return Err(IdentityError::Invalid(
            "description must be at most 500 characters".into(),
        ));
    }
    let row = RoleRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        name: name.into(),
        description: description.into(),
        permissions: rbac::normalize_permissions(permissions)?,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    if !store::roles::insert(&ctx.pool, &row).await? {
        return Err(IdentityError::RoleExists);
    }
    Ok(row)
}
