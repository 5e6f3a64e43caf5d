//! `POST /tariffs/{id}/versions`: the next version of a tariff. Versions are numbered
//! 1, 2, 3 … under a lock on the tariff, and never change once stored.

use chrono::{DateTime, Utc};
use pricing::Tariff;
use sqlx::types::Json;
use uuid::Uuid;

use super::Ctx;
use super::create_tariff::body_json;
use super::tariff_changed::{self, Change};
use crate::domain::tariff;
use crate::error::{BillingError, Result};
use crate::store::{self, TenantScope, versions::VersionRow};

pub async fn run(
    ctx: &Ctx,
    tenant: Uuid,
    tariff_id: Uuid,
    effective_from: Option<DateTime<Utc>>,
    body: &Tariff,
    by: &str,
) -> Result<VersionRow> {
    tariff::check_body(body)?;
    let now = super::now();
    let effective_from = tariff::effective_from(effective_from, now)?;
    let mut tx = ctx.pool.begin().await?;
    let tariff = store::tariffs::lock(&mut *tx, TenantScope::one(tenant), tariff_id)
        .await?
        .ok_or(BillingError::NotFound("tariff"))?;
    let latest = store::versions::latest_number(&mut *tx, tenant, tariff_id).await?;
    let version = VersionRow {
        tenant_id: tenant,
        tariff_id,
        version: latest + 1,
        effective_from,
        body: Json(body_json(body)?),
        created_by: by.to_owned(),
        created_at: now,
    };
    store::versions::insert(&mut *tx, &version).await?;
    // A tariff is assigned only within the subtree of the node that owns it.
    tariff_changed::record(
        &mut tx,
        &ctx.ns,
        tenant,
        &tariff.node_path,
        Some(tariff_id),
        Change::VersionAdded { effective_from },
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}
