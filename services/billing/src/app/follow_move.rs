//! Identity moved an organization node (`org.changed`, change `moved`): the paths billing
//! keeps — tariff owners, assignments, bills' sites, invoice requests' nodes — follow
//! it, so resolution and permission checks see the tree as it is now. A site moved to
//! another region keeps its own assignment (and so its price) even if the tariff is
//! owned by the old region: re-pricing it is the operator's decision, not a side effect.

use runtime::auth::OrgPath;
use uuid::Uuid;

use super::tariff_changed::{self, Change};
use super::{Ctx, stored_path};
use crate::domain::paths;
use crate::error::{BillingError, Result};
use crate::store::moves;

/// The consumer's name in the processed-event table.
pub const CONSUMER: &str = "billing-org-moves";

/// Applies the move of event `event_id` once; a redelivery changes nothing.
pub async fn run(
    ctx: &Ctx,
    event_id: Uuid,
    tenant: Uuid,
    old: &OrgPath,
    new: &OrgPath,
) -> Result<()> {
    let mut tx = ctx.pool.begin().await?;
    if !bus::idempotency::claim(&mut tx, crate::SCHEMA, CONSUMER, event_id).await? {
        return Ok(());
    }
    let n = moves::rewrite(&mut tx, tenant, old.as_str(), new.as_str()).await?;
    // A request lives on the deepest node holding all its bills; a bill that moved can
    // change that node in either direction, so it is recomputed, not rewritten.
    for (request, bill_paths) in
        moves::requests_with_bills_below(&mut tx, tenant, new.as_str()).await?
    {
        let parsed = bill_paths
            .iter()
            .map(|p| stored_path(p))
            .collect::<Result<Vec<_>>>()?;
        let node = paths::common_ancestor(&parsed)
            .ok_or_else(|| BillingError::Internal("bills of one tenant share no node".into()))?;
        moves::set_request_path(&mut tx, tenant, request, node.as_str()).await?;
    }
    if n.tariffs + n.assignments > 0 {
        tariff_changed::record(
            &mut tx,
            &ctx.ns,
            tenant,
            new.as_str(),
            None,
            Change::PathsMoved,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        %tenant, old = %old, new = %new, tariffs = n.tariffs,
        assignments = n.assignments, bills = n.bills, "organization paths followed a move"
    );
    Ok(())
}
