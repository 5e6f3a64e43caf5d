//! Remote operations on one device: `POST …/reboot`, `GET/PUT …/parameters`,
//! `PUT …/voice`, and its audit `GET …/operations`. `devices:operate` (reading the
//! audit: `devices:read`) at the device's node; unknown devices are 404.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;

use super::views::{OperationView, ParametersView};
use super::{DevicesOperate, DevicesRead};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::operations::app::Actor;
use crate::operations::app::remote::{self, Command};
use crate::operations::domain::voice;
use crate::operations::store::audit::{self, Filter};
use crate::registry::app::{self as registry, lookup_tenant};
use crate::registry::store::devices::DeviceRow;

/// The device, if the caller holds `P` at its node.
async fn device<P: runtime::auth::Permission>(
    ctx: &Ctx,
    auth: &Auth<P>,
    id: &str,
) -> Result<DeviceRow, runtime::http::ApiError> {
    let (row, path) = registry::devices::get(ctx, lookup_tenant(auth)?, id).await?;
    auth.at(&path)?;
    Ok(row)
}

pub async fn reboot(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    Path(id): Path<String>,
) -> ApiResult<OperationView> {
    let d = device(&ctx, &auth, &id).await?;
    let cmd = Command::reboot(&d).map_err(ChargingError::from)?;
    let op = remote::execute(&ctx, &Actor::of(&auth), &d, cmd).await?;
    Ok(ok(op.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupQuery {
    /// DNY: run11, run12, run2, card; GN sockets: socket (the default for them).
    group: Option<String>,
}

pub async fn get_parameters(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<GroupQuery>,
) -> ApiResult<ParametersView> {
    let d = device(&ctx, &auth, &id).await?;
    let group = match (q.group, d.kind.as_str()) {
        (Some(g), _) => g,
        (None, "socket") => "socket".into(),
        (None, _) => {
            return Err(ChargingError::invalid(
                "group",
                "name the group (run11, run12, run2, card)",
            )
            .into());
        }
    };
    let cmd = Command::get_parameters(&d, &group).map_err(ChargingError::from)?;
    let op = remote::execute(&ctx, &Actor::of(&auth), &d, cmd).await?;
    let result = op.result.clone().unwrap_or_default();
    Ok(ok(ParametersView {
        group: result["group"].as_str().unwrap_or(&group).to_owned(),
        values: result["values"].clone(),
        operation: op.into(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParametersBody {
    group: String,
    values: BTreeMap<String, i64>,
}

pub async fn set_parameters(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ParametersBody>,
) -> ApiResult<OperationView> {
    let d = device(&ctx, &auth, &id).await?;
    let cmd = Command::set_parameters(&d, &b.group, b.values).map_err(ChargingError::from)?;
    let op = remote::execute(&ctx, &Actor::of(&auth), &d, cmd).await?;
    Ok(ok(op.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    start: String,
    end: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceBody {
    /// 1 (A) or 2 (B); default 1.
    port: Option<u32>,
    beeper: bool,
    voice: bool,
    #[serde(default)]
    windows: Vec<Window>,
}

pub async fn set_voice(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<VoiceBody>,
) -> ApiResult<OperationView> {
    let d = device(&ctx, &auth, &id).await?;
    let windows: Vec<(String, String)> = b.windows.into_iter().map(|w| (w.start, w.end)).collect();
    let v = voice::validate(&d.protocol, b.port, b.beeper, b.voice, &windows)
        .map_err(ChargingError::from)?;
    let op = remote::execute(&ctx, &Actor::of(&auth), &d, Command::SetVoice(v)).await?;
    Ok(ok(op.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceAuditQuery {
    action: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// The device's operations (single ones and campaign upgrades), newest first.
pub async fn operations(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeviceAuditQuery>,
) -> ApiResult<Paged<OperationView>> {
    let page = Page::new(q.limit, q.offset)?;
    let d = device(&ctx, &auth, &id).await?;
    let f = Filter {
        tenant: Some(d.tenant_id),
        device_id: Some(d.device_id),
        action: q.action,
        ..Filter::default()
    };
    let (rows, total) = audit::list(&ctx.pool, &f, page.sql())
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(OperationView::from).collect(),
        total,
        page,
    )))
}
