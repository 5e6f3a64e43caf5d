//! `PATCH /organizations/{id}`: rename.

use runtime::auth::Principal;
use uuid::Uuid;

use super::create_node::org_changed;
use super::{Ctx, authorized_node};
use crate::domain::org;
use crate::error::{IdentityError, Result};
use crate::store::orgs::OrgRow;
use crate::store::{self, TenantScope};

pub async fn run(ctx: &Ctx, p: &Principal, id: Uuid, name: &str) -> Result<OrgRow> {
    let name = org::node_name(name)?;
    let node = authorized_node(ctx, p, "orgs:update", id).await?;
    let mut tx = ctx.pool.begin().await?;
    store::orgs::rename(&mut *tx, node.tenant_id, id, &name).await?;
    let after = store::orgs::get(&mut *tx, TenantScope::one(node.tenant_id), id)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    org_changed(ctx, &mut tx, &after, "renamed", "").await?;
    tx.commit().await?;
    Ok(after)
}
