//! `DELETE /users/{id}/grants/{grant}`: takes a role away. It stops counting at the
//! user's next refresh (access tokens are short-lived).

use runtime::auth::Principal;
use uuid::Uuid;

use super::grant_role::role_permissions;
use super::{Ctx, authorized_user, path};
use crate::domain::rbac;
use crate::error::{IdentityError, Result};
use crate::store;

pub async fn run(ctx: &Ctx, p: &Principal, user: Uuid, grant: Uuid) -> Result<()> {
    let u = authorized_user(ctx, p, "grants:read", user).await?;
    let g = store::grants::get(&ctx.pool, u.tenant_id, u.id, grant)
        .await?
        .ok_or(IdentityError::NotFound("grant"))?;
    let perms = role_permissions(ctx, u.tenant_id, &g.role)
        .await
        .unwrap_or_default();
    rbac::check_grantable(p, "grants:delete", &g.role, &perms, &path(&g.node_path)?)?;
    store::grants::delete(&ctx.pool, u.tenant_id, g.id).await?;
    Ok(())
}
