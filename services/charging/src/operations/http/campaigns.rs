//! OTA: `POST /ota/firmware` (a DNY image as the raw request body), campaigns
//! (`POST/GET /ota/campaigns`, `GET /ota/campaigns/{id}`, `GET …/{id}/devices`) and
//! the operator's actions (`POST …/{id}/advance|pause|resume|abort`). Creating and
//! acting need `devices:operate` at every target's node; reading `devices:read`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use runtime::auth::{Auth, OrgPath};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::views::{CampaignView, ImageView, TargetView};
use super::{DevicesOperate, DevicesRead};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::operations::app::campaigns::{self, FirmwareInput, NewCampaign};
use crate::operations::app::{Actor, firmware};
use crate::operations::domain::campaign::Action;
use crate::operations::store::campaigns as store;
use crate::operations::store::devices as targets;
use crate::registry::app::{forbidden, lookup_tenant, tenant_of};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    name: String,
}

/// `POST /api/v1/charging/ota/firmware?name=…` with the image as the body
/// (`application/octet-stream`, 1 byte to 960 KiB).
pub async fn upload(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> ApiResult<ImageView> {
    let tenant = tenant_of(&auth)?;
    let m = firmware::upload(&ctx, tenant, &Actor::of(&auth), &q.name, &body).await?;
    Ok(ok(m.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckPacketBody {
    device_type: i64,
    firmware_version: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareBody {
    /// dny or gn.
    protocol: String,
    image_base64: Option<String>,
    firmware_id: Option<Uuid>,
    dny_kind: Option<String>,
    check_packet: Option<CheckPacketBody>,
    ftp_host: Option<String>,
    ftp_port: Option<i64>,
    file_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TargetsBody {
    #[serde(default)]
    device_ids: Vec<String>,
    node_id: Option<String>,
    model_id: Option<Uuid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    firmware: FirmwareBody,
    #[serde(default)]
    targets: TargetsBody,
    stages: Vec<i64>,
    auto_advance_pct: Option<i64>,
    concurrency: Option<i64>,
    max_attempts: Option<i64>,
    retry_after_secs: Option<i64>,
}

fn firmware_input(f: FirmwareBody) -> Result<FirmwareInput, ChargingError> {
    let only = |present: bool, field: &str, protocol: &str| {
        if present {
            Err(ChargingError::invalid(
                &format!("firmware.{field}"),
                format!("not used by {protocol} firmware"),
            ))
        } else {
            Ok(())
        }
    };
    match f.protocol.trim() {
        "dny" => {
            only(f.ftp_host.is_some(), "ftp_host", "dny")?;
            only(f.ftp_port.is_some(), "ftp_port", "dny")?;
            only(f.file_name.is_some(), "file_name", "dny")?;
            Ok(FirmwareInput::Dny {
                image_base64: f.image_base64,
                firmware_id: f.firmware_id,
                dny_kind: f.dny_kind,
                check_packet: f.check_packet.map(|c| (c.device_type, c.firmware_version)),
            })
        }
        "gn" => {
            only(f.image_base64.is_some(), "image_base64", "gn")?;
            only(f.firmware_id.is_some(), "firmware_id", "gn")?;
            only(f.dny_kind.is_some(), "dny_kind", "gn")?;
            only(f.check_packet.is_some(), "check_packet", "gn")?;
            Ok(FirmwareInput::Gn {
                ftp_host: f.ftp_host.unwrap_or_default(),
                ftp_port: f.ftp_port,
                file_name: f.file_name.unwrap_or_default(),
            })
        }
        other => Err(ChargingError::invalid(
            "firmware.protocol",
            format!("{other:?}: dny or gn"),
        )),
    }
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<CampaignView> {
    let tenant = tenant_of(&auth)?;
    let n = NewCampaign {
        name: b.name,
        firmware: firmware_input(b.firmware)?,
        device_ids: b.targets.device_ids,
        node_id: b.targets.node_id,
        model_id: b.targets.model_id,
        stages: b.stages,
        auto_advance_pct: b.auto_advance_pct,
        concurrency: b.concurrency,
        max_attempts: b.max_attempts,
        retry_after_secs: b.retry_after_secs,
    };
    let allowed = |p: &OrgPath| auth.can("devices:operate", p);
    let c = campaigns::create(&ctx, tenant, &Actor::of(&auth), &n, &allowed).await?;
    view(&ctx, c).await
}

async fn view(ctx: &Ctx, c: store::CampaignRow) -> ApiResult<CampaignView> {
    let (all, per) = campaigns::counts(ctx, &c).await?;
    Ok(ok(CampaignView::new(c, &all, &per)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

/// Campaigns whose targets all lie within the caller's reach, newest first.
pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<CampaignView>> {
    let page = Page::new(q.limit, q.offset)?;
    let (rows, total) = store::list(
        &ctx.pool,
        lookup_tenant(&auth)?,
        &auth.scopes().prefixes(),
        q.state.as_deref(),
        page.sql(),
    )
    .await
    .map_err(ChargingError::from)?;
    let mut items = Vec::with_capacity(rows.len());
    for c in rows {
        let (all, per) = campaigns::counts(&ctx, &c).await?;
        items.push(CampaignView::new(c, &all, &per));
    }
    Ok(ok(Paged::counted(items, total, page)))
}

/// The campaign if the caller holds `permission` over it; 404 otherwise.
async fn visible(
    ctx: &Ctx,
    p: &runtime::auth::Principal,
    id: &str,
    permission: &str,
) -> Result<store::CampaignRow, ApiError> {
    let c = campaigns::get(ctx, lookup_tenant(p)?, id).await?;
    let allowed = |path: &OrgPath| p.can(permission, path);
    if campaigns::covered(ctx, &c, &allowed).await? {
        Ok(c)
    } else {
        Err(ApiError::not_found("campaign"))
    }
}

pub async fn get_one(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    Path(id): Path<String>,
) -> ApiResult<CampaignView> {
    let c = visible(&ctx, &auth, &id, "devices:read").await?;
    view(&ctx, c).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevicesQuery {
    /// pending, sending, succeeded, failed or aborted.
    state: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

pub async fn devices(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DevicesQuery>,
) -> ApiResult<Paged<TargetView>> {
    let page = Page::new(q.limit, q.offset)?;
    let c = visible(&ctx, &auth, &id, "devices:read").await?;
    let (rows, total) = targets::list(&ctx.pool, c.id, q.state.as_deref(), page.sql())
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(TargetView::from).collect(),
        total,
        page,
    )))
}

pub async fn act(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesOperate>,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<CampaignView> {
    let action = match action.as_str() {
        "advance" => Action::Advance,
        "pause" => Action::Pause,
        "resume" => Action::Resume,
        "abort" => Action::Abort,
        _ => return Err(ApiError::not_found("campaign action")),
    };
    let c = visible(&ctx, &auth, &id, "devices:read").await?;
    let allowed = |p: &OrgPath| auth.can("devices:operate", p);
    if !campaigns::covered(&ctx, &c, &allowed).await? {
        return Err(forbidden().into());
    }
    let c = campaigns::act(&ctx, &Actor::of(&auth), c.id, action).await?;
    view(&ctx, c).await
}
