//! `GET /tariffs`, `GET /tariffs/{id}`: tariffs with their versions.

use runtime::http::Page;
use uuid::Uuid;

use super::Ctx;
use crate::error::{BillingError, Result};
use crate::store::tariffs::{TariffFilter, TariffRow, TariffSummaryRow};
use crate::store::versions::VersionRow;
use crate::store::{self, TenantScope};

/// A tariff and every version of it, oldest first.
pub struct TariffDetail {
    pub tariff: TariffRow,
    pub versions: Vec<VersionRow>,
}

pub async fn get(ctx: &Ctx, scope: TenantScope, id: Uuid) -> Result<TariffDetail> {
    let tariff = store::tariffs::get(&ctx.pool, scope, id)
        .await?
        .ok_or(BillingError::NotFound("tariff"))?;
    let versions = store::versions::all(&ctx.pool, tariff.tenant_id, id).await?;
    Ok(TariffDetail { tariff, versions })
}

pub async fn list(ctx: &Ctx, f: &TariffFilter, page: Page) -> Result<(Vec<TariffSummaryRow>, i64)> {
    Ok(store::tariffs::list(&ctx.pool, f, page.sql()).await?)
}
