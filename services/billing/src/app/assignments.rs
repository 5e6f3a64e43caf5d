//! `/assignments`: which tariff applies below an organization node. A tariff may be
//! assigned only within the subtree of the node that owns it, so a region's finance
//! team cannot price another region's sites with their tariffs.

use runtime::auth::OrgPath;
use runtime::http::Page;
use uuid::Uuid;

use super::tariff_changed::{self, Change};
use super::{Ctx, stored_path, tenant_of_path};
use crate::error::{BillingError, Result};
use crate::store::assignments::{AssignmentFilter, AssignmentRow};
use crate::store::{self, TenantScope};

/// Assigns `tariff_id` to `node`, replacing the node's previous assignment.
pub async fn assign(ctx: &Ctx, node: &OrgPath, tariff_id: Uuid, by: &str) -> Result<AssignmentRow> {
    let tenant = tenant_of_path("node_path", node)?;
    let mut tx = ctx.pool.begin().await?;
    let tariff = store::tariffs::get(&mut *tx, TenantScope::one(tenant), tariff_id)
        .await?
        .ok_or(BillingError::NotFound("tariff"))?;
    if !stored_path(&tariff.node_path)?.contains(node) {
        return Err(BillingError::invalid(
            "node_path",
            format!(
                "{node} is outside {}, the node that owns tariff {:?}",
                tariff.node_path, tariff.name
            ),
        ));
    }
    let row = store::assignments::upsert(
        &mut *tx,
        &AssignmentRow {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            node_path: node.as_str().to_owned(),
            tariff_id,
            assigned_by: by.to_owned(),
            assigned_at: super::now(),
        },
    )
    .await?;
    tariff_changed::record(
        &mut tx,
        &ctx.ns,
        tenant,
        &row.node_path,
        Some(tariff_id),
        Change::Assigned,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

pub async fn get(ctx: &Ctx, scope: TenantScope, id: Uuid) -> Result<AssignmentRow> {
    store::assignments::get(&ctx.pool, scope, id)
        .await?
        .ok_or(BillingError::NotFound("assignment"))
}

/// Removes an assignment (its sites fall back to the next assignment above them).
pub async fn unassign(ctx: &Ctx, a: &AssignmentRow) -> Result<()> {
    let mut tx = ctx.pool.begin().await?;
    store::assignments::delete(&mut *tx, a.tenant_id, a.id).await?;
    tariff_changed::record(
        &mut tx,
        &ctx.ns,
        a.tenant_id,
        &a.node_path,
        Some(a.tariff_id),
        Change::Unassigned,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(
    ctx: &Ctx,
    f: &AssignmentFilter,
    page: Page,
) -> Result<(Vec<AssignmentRow>, i64)> {
    Ok(store::assignments::list(&ctx.pool, f, page.sql()).await?)
}
