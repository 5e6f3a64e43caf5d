//! `/models`: device models of the caller's tenant (checked at the tenant root: a
//! model is shared by every site).

use axum::extract::State;
use runtime::auth::Auth;
use runtime::http::{ApiJson, ApiResult, ok};
use serde::Deserialize;

use super::perms::{DevicesCreate, DevicesRead};
use super::views::ModelView;
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::app::{self, root_path, tenant_of};
use crate::registry::store::models;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelBody {
    name: String,
    protocol: String,
    port_count: i64,
    max_power_w: i64,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesCreate>,
    ApiJson(b): ApiJson<ModelBody>,
) -> ApiResult<ModelView> {
    let tenant = tenant_of(&auth)?;
    auth.at(&root_path(tenant)?)?;
    let m = app::models::create(
        &ctx,
        tenant,
        &b.name,
        &b.protocol,
        b.port_count,
        b.max_power_w,
    )
    .await?;
    Ok(ok(m.into()))
}

/// Every model of the tenant: anyone who reads devices somewhere reads their models.
pub async fn list(State(ctx): State<Ctx>, auth: Auth<DevicesRead>) -> ApiResult<Vec<ModelView>> {
    let rows = models::list(&ctx.pool, tenant_of(&auth)?)
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(rows.into_iter().map(ModelView::from).collect()))
}
