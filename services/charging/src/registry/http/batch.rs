//! CSV import/export, batch binding and provisioning.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use runtime::auth::{Auth, OrgPath, Permission};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiJson, ApiResult, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::devices::acting_tenant;
use super::perms::{DevicesCreate, DevicesOperate, DevicesRead, DevicesUpdate};
use super::views::DeviceView;
use crate::ctx::Ctx;
use crate::registry::app::batch::ItemResult;
use crate::registry::app::import::ImportReport;
use crate::registry::app::{self, lookup_tenant};
use crate::registry::store::Reach;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantQuery {
    /// Platform administrators only.
    tenant_id: Option<Uuid>,
}

/// `POST /devices/import`, body: the CSV text (`content-type: text/csv`).
pub async fn import(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesCreate>,
    ApiQuery(q): ApiQuery<TenantQuery>,
    body: String,
) -> ApiResult<ImportReport> {
    let tenant = acting_tenant(&auth, q.tenant_id)?;
    let allowed = |p: &OrgPath| auth.can(DevicesCreate::NAME, p);
    Ok(ok(app::import::import(&ctx, tenant, &body, &allowed).await?))
}

/// `GET /devices/export`: every device the caller may read, as CSV.
pub async fn export(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
) -> Result<impl IntoResponse, ApiError> {
    let reach = Reach {
        tenant: lookup_tenant(&auth)?,
        prefixes: auth.scopes().prefixes(),
    };
    let csv = app::import::export(&ctx, &reach).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"devices.csv\"",
            ),
        ],
        csv,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindBody {
    device_ids: Vec<String>,
    /// `null` unbinds.
    site_id: Option<Uuid>,
}

/// `POST /devices/bind`: binds many devices to one site; one answer per device.
pub async fn bind(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesUpdate>,
    ApiJson(b): ApiJson<BindBody>,
) -> ApiResult<Vec<ItemResult>> {
    let allowed = |p: &OrgPath| auth.can(DevicesUpdate::NAME, p);
    let results = app::batch::bind(
        &ctx,
        lookup_tenant(&auth)?,
        &b.device_ids,
        b.site_id,
        &allowed,
        &allowed,
    )
    .await?;
    Ok(ok(results))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionQuery {
    /// For a GN gateway: the radio channel (1–15) of the whole list it receives.
    channel: Option<u32>,
}

/// `POST /devices/{id}/provision`: a GN socket is added to its gateway again; a GN
/// gateway gets its whole list (`?channel=` required). Returns the sockets pushed.
pub async fn provision(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    Path(id): Path<String>,
    ApiQuery(b): ApiQuery<ProvisionQuery>,
) -> ApiResult<Vec<DeviceView>> {
    let (row, path) = app::devices::get(&ctx, lookup_tenant(&auth)?, &id).await?;
    auth.at(&path)?;
    let rows = match row.kind.as_str() {
        "socket" => vec![app::provisioning::add_socket(&ctx, row).await?],
        "gateway" => {
            let channel = b.channel.ok_or_else(|| {
                crate::error::ChargingError::invalid("channel", "is required to refresh a gateway")
            })?;
            app::provisioning::refresh_gateway(&ctx, &row, channel).await?
        }
        _ => {
            return Err(crate::error::ChargingError::invalid(
                "device_id",
                "only GN sockets and gateways are provisioned",
            )
            .into());
        }
    };
    Ok(ok(rows.into_iter().map(DeviceView::from).collect()))
}
