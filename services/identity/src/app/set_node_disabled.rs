//! `POST /organizations/{id}/disable` and `/enable`. Grants on a disabled node or below
//! it stop counting (from each user's next token); nothing new is created under it.
//! Disabling an operator node (platform admins only) disables the tenant: nobody of it
//! logs in or refreshes.

use runtime::auth::Principal;
use uuid::Uuid;

use super::create_node::org_changed;
use super::{Ctx, authorized_node};
use crate::error::{IdentityError, Result};
use crate::store::orgs::OrgRow;
use crate::store::{self, TenantScope};

pub async fn run(ctx: &Ctx, p: &Principal, id: Uuid, disabled: bool) -> Result<OrgRow> {
    let node = authorized_node(ctx, p, "orgs:disable", id).await?;
    let is_operator = node.parent_id.is_none();
    if is_operator && !p.platform_admin {
        return Err(IdentityError::Forbidden);
    }
    if is_operator && node.tenant_id.to_string() == p.tenant {
        return Err(IdentityError::Invalid(
            "you cannot disable your own operator".into(),
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    store::orgs::set_disabled(&mut *tx, node.tenant_id, id, disabled).await?;
    if is_operator {
        store::tenants::set_disabled(&mut *tx, node.tenant_id, disabled).await?;
    }
    let after = store::orgs::get(&mut *tx, TenantScope::one(node.tenant_id), id)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    if after.disabled != node.disabled {
        org_changed(
            ctx,
            &mut tx,
            &after,
            if disabled { "disabled" } else { "enabled" },
            "",
        )
        .await?;
    }
    tx.commit().await?;
    Ok(after)
}
