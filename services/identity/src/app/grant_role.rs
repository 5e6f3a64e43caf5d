//! `POST /users/{id}/grants`: give a user a role on a node (and `GET` lists them).

use runtime::auth::Principal;
use uuid::Uuid;

use super::{Ctx, actor, authorized_node, authorized_user, path};
use crate::domain::rbac::{self, BuiltinRole};
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::grants::GrantRow;

/// The permissions of role `name` in `tenant` (built-in or custom).
pub async fn role_permissions(ctx: &Ctx, tenant: Uuid, name: &str) -> Result<Vec<String>> {
    match BuiltinRole::from_name(name) {
        Some(b) => Ok(b.permissions().iter().map(|s| s.to_string()).collect()),
        None => Ok(store::roles::by_name(&ctx.pool, tenant, name)
            .await?
            .ok_or(IdentityError::NotFound("role"))?
            .permissions),
    }
}

pub async fn run(ctx: &Ctx, p: &Principal, user: Uuid, role: &str, node: Uuid) -> Result<GrantRow> {
    let u = authorized_user(ctx, p, "grants:read", user).await?;
    let n = authorized_node(ctx, p, "grants:read", node).await?;
    if n.tenant_id != u.tenant_id {
        return Err(IdentityError::NotFound("organization"));
    }
    if n.disabled {
        return Err(IdentityError::NodeDisabled);
    }
    let perms = role_permissions(ctx, u.tenant_id, role).await?;
    rbac::check_grantable(p, "grants:create", role, &perms, &path(&n.path)?)?;
    let mut tx = ctx.pool.begin().await?;
    let id = super::users::grant(ctx, &mut tx, u.tenant_id, u.id, role, n.id, &actor(p)).await?;
    tx.commit().await?;
    let grants = store::grants::for_user(&ctx.pool, u.tenant_id, u.id).await?;
    grants
        .into_iter()
        .find(|g| Some(g.id) == id || (id.is_none() && g.role == role && g.node_id == n.id))
        .ok_or(IdentityError::Internal("grant vanished".into()))
}

pub async fn list(ctx: &Ctx, p: &Principal, user: Uuid) -> Result<Vec<GrantRow>> {
    let u = authorized_user(ctx, p, "grants:read", user).await?;
    Ok(store::grants::for_user(&ctx.pool, u.tenant_id, u.id).await?)
}
