//! REST routes of the `live` capability, under `/api/v1/charging`.
//!
//! Scope, until the registry places devices in the organization tree: a caller needs
//! the permission at its tenant root and sees the devices whose newest event carries
//! its tenant token; devices still unassigned (`_`) are visible to platform
//! administrators only. The registry will refine this to the device's site path.

mod cards;
mod views;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get, post, put};
use chrono::Utc;
use runtime::auth::{Auth, OrgPath, Principal};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiResult, ok};
use serde::Deserialize;

use super::store;
use crate::ctx::Ctx;
use crate::error::ChargingError;

runtime::permission!(pub DevicesRead = "devices:read");
runtime::permission!(pub DevicesUpdate = "devices:update");
runtime::permission!(pub ChargingStart = "charging:start");

/// Most devices one `GET /live/devices?ids=` may ask for.
const MAX_IDS: usize = 200;

pub fn routes() -> Router<Ctx> {
    Router::new()
        .route("/api/v1/charging/live/devices", get(devices))
        .route("/api/v1/charging/live/devices/{device_id}", get(device))
        .route("/api/v1/charging/live/stuck", get(stuck_ports))
        .route("/api/v1/charging/cards", get(cards::list))
        .route(
            "/api/v1/charging/cards/{card_no}",
            put(cards::bind).delete(cards::unbind),
        )
        .route(
            "/api/v1/charging/me/cards",
            post(cards::bind_mine).get(cards::mine),
        )
        .route(
            "/api/v1/charging/me/cards/{card_no}",
            delete(cards::unbind_mine),
        )
}

/// The caller's tenant root, where these permissions are checked for now.
fn tenant_root(p: &Principal) -> Result<OrgPath, ApiError> {
    p.tenant_root()
        .map_err(|e| ApiError::from(ChargingError::invalid("tenant", e)))
}

/// Whether `p` may see a device whose events carry `tenant`.
fn visible(p: &Principal, tenant: &str) -> bool {
    tenant == p.tenant || (tenant == "_" && p.platform_admin)
}

async fn view_of(
    ctx: &Ctx,
    p: &Principal,
    id: &str,
) -> Result<Option<views::LiveDevice>, ChargingError> {
    let Some(d) = store::devices::get(&ctx.pool, id).await? else {
        return Ok(None);
    };
    if !visible(p, &d.tenant) {
        return Ok(None);
    }
    let ports = store::ports::of_device(&ctx.pool, id).await?;
    let alarm = store::devices::last_alarm(&ctx.pool, id).await?;
    Ok(Some(views::LiveDevice::new(d, ports, alarm)))
}

/// `GET /api/v1/charging/live/devices/{device_id}`: online state, ports, last alarm.
async fn device(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    Path(device_id): Path<String>,
) -> ApiResult<views::LiveDevice> {
    auth.at(&tenant_root(&auth)?)?;
    let view = view_of(&ctx, &auth, &device_id)
        .await?
        .ok_or_else(|| ApiError::not_found("device"))?;
    Ok(ok(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdsQuery {
    /// Comma-separated device ids (e.g. a site's devices, from the registry).
    ids: String,
}

/// `GET /api/v1/charging/live/devices?ids=a,b,…`: several devices at once (a site's
/// view, with the site's device ids from the registry). Unknown or invisible ids are
/// left out.
async fn devices(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    ApiQuery(q): ApiQuery<IdsQuery>,
) -> ApiResult<Vec<views::LiveDevice>> {
    auth.at(&tenant_root(&auth)?)?;
    let ids: Vec<&str> = q
        .ids
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.len() > MAX_IDS {
        return Err(ChargingError::invalid("ids", format!("at most {MAX_IDS} devices")).into());
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = view_of(&ctx, &auth, id).await? {
            out.push(v);
        }
    }
    Ok(ok(out))
}

/// `GET /api/v1/charging/live/stuck`: ports the device shows charging that nothing
/// backs (domain/stuck.rs has the rule). Every named order counts as live until the
/// orders capability answers that question.
async fn stuck_ports(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
) -> ApiResult<Vec<views::StuckPort>> {
    auth.at(&tenant_root(&auth)?)?;
    let stuck = super::stuck_ports(&ctx.pool, &auth.tenant, Utc::now(), |_| true)
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(stuck
        .into_iter()
        .map(|(p, reason)| views::StuckPort::new(p, reason))
        .collect()))
}
