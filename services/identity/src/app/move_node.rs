//! `POST /organizations/{id}/move`: hang a region or site (and everything below it)
//! under another node. The caller needs `orgs:move` at both ends. Grants on the moved
//! nodes follow them (they name the node, and paths are re-derived at the next token).

use runtime::auth::Principal;
use uuid::Uuid;

use super::create_node::org_changed;
use super::{Ctx, authorized_node, path, scope_of};
use crate::domain::org;
use crate::error::{IdentityError, Result};
use crate::store::orgs::OrgRow;
use crate::store::{self, TenantScope};

pub async fn run(ctx: &Ctx, p: &Principal, id: Uuid, new_parent: Uuid) -> Result<OrgRow> {
    authorized_node(ctx, p, "orgs:move", id).await?;
    authorized_node(ctx, p, "orgs:move", new_parent).await?;
    let mut tx = ctx.pool.begin().await?;
    // Lock both, in id order, and re-check under the locks.
    let scope = scope_of(p)?;
    let (a, b) = if id < new_parent {
        (id, new_parent)
    } else {
        (new_parent, id)
    };
    store::orgs::get_for_update(&mut *tx, scope, a).await?;
    store::orgs::get_for_update(&mut *tx, scope, b).await?;
    let node = store::orgs::get(&mut *tx, scope, id)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    let parent = store::orgs::get(&mut *tx, scope, new_parent)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    let old = path(&node.path)?;
    let parent_path = path(&parent.path)?;
    org::check_move(&old, node.kind.parse()?, &parent_path, parent.kind.parse()?)?;
    if parent.disabled {
        return Err(IdentityError::NodeDisabled);
    }
    let new = org::moved_path(&old, &parent_path)?;
    store::orgs::move_subtree(
        &mut *tx,
        node.tenant_id,
        id,
        parent.id,
        old.as_str(),
        new.as_str(),
    )
    .await?;
    let after = store::orgs::get(&mut *tx, TenantScope::one(node.tenant_id), id)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    org_changed(ctx, &mut tx, &after, "moved", old.as_str()).await?;
    tx.commit().await?;
    Ok(after)
}
