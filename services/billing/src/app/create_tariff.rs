//! `POST /tariffs`: a tariff and its first version, in one transaction.

use chrono::{DateTime, Utc};
use pricing::Tariff;
use runtime::auth::OrgPath;
use sqlx::types::Json;
use uuid::Uuid;

use super::tariffs::TariffDetail;
use super::{Ctx, tenant_of_path};
use crate::domain::tariff;
use crate::error::{BillingError, Result};
use crate::store::{self, tariffs::TariffRow, versions::VersionRow};

pub struct NewTariff {
    /// The node that owns the tariff (the tenant root by default).
    pub node: OrgPath,
    pub name: String,
    pub description: String,
    pub effective_from: Option<DateTime<Utc>>,
    pub body: Tariff,
}

pub async fn run(ctx: &Ctx, by: &str, t: NewTariff) -> Result<TariffDetail> {
    let tenant = tenant_of_path("node_path", &t.node)?;
    let name = tariff::name(&t.name)?;
    let description = tariff::description(&t.description)?;
    tariff::check_body(&t.body)?;
    let now = super::now();
    let effective_from = tariff::effective_from(t.effective_from, now)?;
    let row = TariffRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        node_path: t.node.as_str().to_owned(),
        name,
        description,
        created_by: by.to_owned(),
        created_at: now,
    };
    let version = VersionRow {
        tenant_id: tenant,
        tariff_id: row.id,
        version: 1,
        effective_from,
        body: Json(body_json(&t.body)?),
        created_by: by.to_owned(),
        created_at: now,
    };
    let mut tx = ctx.pool.begin().await?;
    store::tariffs::insert(&mut *tx, &row).await.map_err(|e| {
        if store::violates(&e, store::tariffs::NAME_TAKEN) {
            BillingError::TariffNameTaken(row.name.clone())
        } else {
            e.into()
        }
    })?;
    store::versions::insert(&mut *tx, &version).await?;
    tx.commit().await?;
    Ok(TariffDetail {
        tariff: row,
        versions: vec![version],
    })
}

/// The body as stored: the engine's own serialization, so reading it back is exact.
pub fn body_json(body: &Tariff) -> Result<serde_json::Value> {
    serde_json::to_value(body).map_err(|e| BillingError::Internal(format!("tariff to JSON: {e}")))
}
