//! Which tariff version applies to a node at an instant: the nearest assignment (the
//! longest assigned path that is a prefix of the node's), then that tariff's version in
//! effect at the instant. The nearest assignment wins even when its tariff has no
//! version in effect yet: falling back to a farther one would silently price a site
//! with a tariff its operator replaced.

use chrono::{DateTime, Utc};
use pricing::Tariff;
use runtime::auth::OrgPath;

use super::{Ctx, tenant_of_path};
use crate::domain::{paths, tariff};
use crate::error::{BillingError, Result};
use crate::store;
use crate::store::assignments::AssignmentRow;
use crate::store::tariffs::TariffRow;
use crate::store::versions::VersionRow;

/// The tariff version in effect, and how it was found.
pub struct Resolved {
    pub assignment: AssignmentRow,
    pub tariff: TariffRow,
    pub version: VersionRow,
    pub body: Tariff,
    /// When the tariff's next version takes over (none scheduled: `None`).
    pub next_change: Option<DateTime<Utc>>,
}

pub async fn run(ctx: &Ctx, node: &OrgPath, at: DateTime<Utc>) -> Result<Resolved> {
    let tenant = tenant_of_path("node_path", node)?;
    let rows = store::resolve::nearest(&ctx.pool, tenant, &paths::ancestors(node), at)
        .await?
        .ok_or_else(|| {
            BillingError::NoTariff(format!(
                "no tariff is assigned to {node} or to any node above it"
            ))
        })?;
    let assignment = rows.assignment;
    let tariff = rows
        .tariff
        .ok_or_else(|| BillingError::Internal("assignment of a missing tariff".into()))?;
    let version = rows.version.ok_or_else(|| {
        BillingError::NoTariff(format!(
            "tariff {:?} (assigned at {}) has no version in effect at {}",
            tariff.name,
            assignment.node_path,
            at.to_rfc3339()
        ))
    })?;
    let body = tariff::from_stored(version.body.0.clone(), tariff.id, version.version)?;
    Ok(Resolved {
        assignment,
        tariff,
        version,
        body,
        next_change: rows.next_change,
    })
}
