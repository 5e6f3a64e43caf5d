//! `/devices`, `/devices/{id}` (canonical device id) and `/devices/{id}/ports`.

use axum::extract::{Path, State};
use runtime::auth::{Auth, OrgPath, Permission};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

use super::perms::{DevicesCreate, DevicesDelete, DevicesRead, DevicesUpdate};
use super::views::{DeviceView, PortView};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::app::devices::{Changes, NewDevice};
use crate::registry::app::{self, lookup_tenant, tenant_of};
use crate::registry::domain::device::DeviceInput;
use crate::registry::store::devices::{self as store, DeviceFilter};
use crate::registry::store::{Reach, qr};

/// The tenant a write acts in: the caller's, or for platform administrators the one
/// they name.
pub fn acting_tenant(
    p: &runtime::auth::Principal,
    named: Option<Uuid>,
) -> Result<Uuid, ChargingError> {
    match named {
        Some(t) if p.platform_admin => Ok(t),
        _ => tenant_of(p),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    protocol: String,
    device_id: String,
    model_id: Option<Uuid>,
    site_id: Option<Uuid>,
    mac: Option<String>,
    uid: Option<String>,
    status: Option<String>,
    port_count: Option<i64>,
    /// Platform administrators only.
    tenant_id: Option<Uuid>,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesCreate>,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<DeviceView> {
    let tenant = acting_tenant(&auth, b.tenant_id)?;
    let new = NewDevice {
        input: DeviceInput {
            protocol: b.protocol,
            device_id: b.device_id,
            mac: b.mac,
            uid: b.uid,
            status: b.status,
            port_count: b.port_count,
        },
        model_id: b.model_id,
        site_id: b.site_id,
    };
    let allowed = |p: &OrgPath| auth.can(DevicesCreate::NAME, p);
    Ok(ok(app::devices::create(&ctx, tenant, &new, &allowed)
        .await?
        .into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    site_id: Option<Uuid>,
    protocol: Option<String>,
    /// The UID on a socket's sticker.
    uid: Option<String>,
    gateway_id: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<DeviceView>> {
    let page = Page::new(q.limit, q.offset)?;
    let f = DeviceFilter {
        reach: Reach {
            tenant: lookup_tenant(&auth)?,
            prefixes: auth.scopes().prefixes(),
        },
        site_id: q.site_id,
        protocol: q.protocol.map(|p| p.to_ascii_lowercase()),
        uid: q.uid.map(|u| u.trim().to_ascii_uppercase()),
        gateway_id: q.gateway_id.map(|g| g.to_ascii_lowercase()),
    };
    let (rows, total) = store::list(&ctx.pool, &f, page.sql())
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(DeviceView::from).collect(),
        total,
        page,
    )))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    Path(id): Path<String>,
) -> ApiResult<DeviceView> {
    let (row, path) = app::devices::get(&ctx, lookup_tenant(&auth)?, &id).await?;
    auth.at(&path)?;
    Ok(ok(row.into()))
}

/// A present field, even `null` (which clears it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[serde(default, deserialize_with = "present")]
    model_id: Option<Option<Uuid>>,
    /// `null` unbinds the device from its site.
    #[serde(default, deserialize_with = "present")]
    site_id: Option<Option<Uuid>>,
    status: Option<String>,
    #[serde(default, deserialize_with = "present")]
    mac: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    uid: Option<Option<String>>,
}

pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesUpdate>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<DeviceView> {
    let (row, path) = app::devices::get(&ctx, lookup_tenant(&auth)?, &id).await?;
    auth.at(&path)?;
    let changes = Changes {
        model_id: b.model_id,
        site_id: b.site_id,
        status: b.status,
        mac: b.mac,
        uid: b.uid,
    };
    let allowed = |p: &OrgPath| auth.can(DevicesUpdate::NAME, p);
    Ok(ok(app::devices::update(&ctx, row, &changes, &allowed)
        .await?
        .into()))
}

pub async fn delete(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesDelete>,
    Path(id): Path<String>,
) -> ApiResult<()> {
    let (row, path) = app::devices::get(&ctx, lookup_tenant(&auth)?, &id).await?;
    auth.at(&path)?;
    app::devices::delete(&ctx, &row).await?;
    Ok(ok(()))
}

pub async fn ports(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    Path(id): Path<String>,
) -> ApiResult<Vec<PortView>> {
    let (row, path) = app::devices::get(&ctx, lookup_tenant(&auth)?, &id).await?;
    auth.at(&path)?;
    let ports = qr::ports(&ctx.pool, row.tenant_id, row.id)
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(ports.into_iter().map(PortView::from).collect()))
}
