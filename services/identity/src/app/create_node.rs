//! `POST /organizations`: a region or site under a node.

use chrono::Utc;
use proto::events::OrgChanged;
use runtime::auth::Principal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Ctx, authorized_node, path};
use crate::domain::org::{self, OrgKind};
use crate::error::{IdentityError, Result};
use crate::events::{self, timestamp};
use crate::store;
use crate::store::orgs::OrgRow;

/// Publishes `org.changed` for `node` (as it is now) in `conn`'s transaction.
pub async fn org_changed(
    ctx: &Ctx,
    conn: &mut PgConnection,
    node: &OrgRow,
    change: &str,
    old_path: &str,
) -> Result<()> {
    let now = Utc::now();
    let t = node.tenant_id.to_string();
    events::enqueue(
        conn,
        &ctx.ns,
        &t,
        &t,
        ("org", "changed"),
        now,
        &OrgChanged {
            tenant_id: t.clone(),
            node_id: node.id.to_string(),
            change: change.into(),
            kind: node.kind.clone(),
            name: node.name.clone(),
            parent_id: node.parent_id.map(|p| p.to_string()).unwrap_or_default(),
            path: node.path.clone(),
            old_path: old_path.into(),
            disabled: node.disabled,
            changed_at: Some(timestamp(now)),
        },
    )
    .await
}

pub async fn run(ctx: &Ctx, p: &Principal, parent: Uuid, kind: &str, name: &str) -> Result<OrgRow> {
    let kind: OrgKind = kind.parse()?;
    let name = org::node_name(name)?;
    let parent = authorized_node(ctx, p, "orgs:create", parent).await?;
    org::check_create(parent.kind.parse()?, parent.disabled, kind)?;
    let id = Uuid::now_v7();
    let node_path = path(&parent.path)?
        .child(&id.to_string())
        .map_err(|_| IdentityError::Invalid("the tree is too deep".into()))?;
    let node = OrgRow {
        id,
        tenant_id: parent.tenant_id,
        parent_id: Some(parent.id),
        kind: kind.as_str().into(),
        name,
        path: node_path.as_str().into(),
        disabled: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let mut tx = ctx.pool.begin().await?;
    store::orgs::insert(&mut *tx, &node).await?;
    org_changed(ctx, &mut tx, &node, "created", "").await?;
    tx.commit().await?;
    Ok(node)
}
