//! OTA campaigns: create one over a target set, and the operator's actions on it
//! (advance, pause, resume, abort). The runner (`operations::runner`) does the rest.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use runtime::auth::OrgPath;
use serde_json::{Value, json};
use uuid::Uuid;

use super::audit::{self, Subject};
use super::{Actor, now};
use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::operations::domain::FieldError;
use crate::operations::domain::campaign::{self, Action, State};
use crate::operations::domain::firmware::{self, byte_sum, check_image};
use crate::operations::domain::targets::{self, MAX_TARGETS, Target};
use crate::operations::store::campaigns::{self as store, CampaignRow};
use crate::operations::store::firmware::{self as images, ImageMeta};
use crate::operations::store::{devices, targets as target_store};
use crate::registry::domain::text;
use crate::registry::store::models;

/// The firmware a campaign sends.
#[derive(Clone, Debug)]
pub enum FirmwareInput {
    /// A DNY image: inline (base64) or uploaded before (`firmware_id`).
    Dny {
        image_base64: Option<String>,
        firmware_id: Option<Uuid>,
        dny_kind: Option<String>,
        /// (device type, firmware version) of the 1.7.11 check packet.
        check_packet: Option<(i64, i64)>,
    },
    /// A GN FTP location.
    Gn {
        ftp_host: String,
        ftp_port: Option<i64>,
        file_name: String,
    },
}

/// A campaign as asked for.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub name: String,
    pub firmware: FirmwareInput,
    pub device_ids: Vec<String>,
    /// An organization node (operator, region or site): every device below it.
    pub node_id: Option<String>,
    pub model_id: Option<Uuid>,
    pub stages: Vec<i64>,
    pub auto_advance_pct: Option<i64>,
    pub concurrency: Option<i64>,
    pub max_attempts: Option<i64>,
    pub retry_after_secs: Option<i64>,
}

fn bounded(field: &str, v: Option<i64>, default: i32, max: i32) -> Result<i32, FieldError> {
    let v = v.unwrap_or(i64::from(default));
    i32::try_from(v)
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| FieldError::new(field, format!("1..={max}")))
}

/// The firmware columns, and an image to store with the campaign.
struct Firmware {
    protocol: &'static str,
    firmware_id: Option<Uuid>,
    new_image: Option<(ImageMeta, Vec<u8>)>,
    dny_kind: Option<String>,
    check: Option<(i32, i32)>,
    ftp: Option<firmware::FtpLocation>,
}

async fn resolve_firmware(
    ctx: &Ctx,
    tenant: Uuid,
    actor: &Actor,
    name: &str,
    f: &FirmwareInput,
) -> Result<Firmware, ChargingError> {
    match f {
        FirmwareInput::Gn {
            ftp_host,
            ftp_port,
            file_name,
        } => Ok(Firmware {
            protocol: "gn",
            firmware_id: None,
            new_image: None,
            dny_kind: None,
            check: None,
            ftp: Some(firmware::ftp("firmware", ftp_host, *ftp_port, file_name)?),
        }),
        FirmwareInput::Dny {
            image_base64,
            firmware_id,
            dny_kind,
            check_packet,
        } => {
            let kind = firmware::dny_kind("firmware.dny_kind", dny_kind.as_deref())?;
            let check = check_packet
                .map(|(t, v)| firmware::check_packet("firmware.check_packet", &kind, t, v))
                .transpose()?;
            let (firmware_id, new_image) = match (image_base64, firmware_id) {
                (Some(b64), None) => {
                    let image = firmware::decode_base64("firmware.image_base64", b64)?;
                    check_image("firmware.image_base64", &image)?;
                    let meta = ImageMeta {
                        id: Uuid::now_v7(),
                        tenant_id: tenant,
                        name: name.to_owned(),
                        size_bytes: i32::try_from(image.len()).unwrap_or(i32::MAX),
                        byte_sum: byte_sum(&image),
                        uploaded_by: actor.id.clone(),
                        created_at: now(),
                    };
                    (meta.id, Some((meta, image)))
                }
                (None, Some(id)) => {
                    images::meta(&ctx.pool, tenant, *id).await?.ok_or_else(|| {
                        FieldError::new("firmware.firmware_id", "no such firmware image")
                    })?;
                    (*id, None)
                }
                _ => {
                    return Err(FieldError::new(
                        "firmware",
                        "exactly one of image_base64 and firmware_id",
                    )
                    .into());
                }
            };
            Ok(Firmware {
                protocol: "dny",
                firmware_id: Some(firmware_id),
                new_image,
                dny_kind: Some(kind),
                check,
                ftp: None,
            })
        }
    }
}

/// The devices a campaign targets, in device-id order.
async fn resolve_targets(
    ctx: &Ctx,
    tenant: Uuid,
    protocol: &str,
    n: &NewCampaign,
) -> Result<Vec<Target>, ChargingError> {
    let explicit: BTreeSet<String> = n
        .device_ids
        .iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if explicit.is_empty() && n.node_id.is_none() && n.model_id.is_none() {
        return Err(FieldError::new("targets", "name device_ids, a node_id or a model_id").into());
    }
    if explicit.len() > MAX_TARGETS {
        return Err(FieldError::new(
            "targets.device_ids",
            format!("at most {MAX_TARGETS} devices"),
        )
        .into());
    }
    let ids: Vec<String> = explicit.iter().cloned().collect();
    let named = target_store::named(&ctx.pool, tenant, &ids).await?;
    if let Some(missing) = ids
        .iter()
        .find(|id| !named.iter().any(|t| &t.device_id == *id))
    {
        return Err(FieldError::new(
            "targets.device_ids",
            format!("{missing} is not a registered device"),
        )
        .into());
    }
    for t in &named {
        targets::check_named("targets.device_ids", protocol, t)?;
    }
    let mut all = named;
    if n.node_id.is_some() || n.model_id.is_some() {
        if let Some(node) = &n.node_id
            && (node.is_empty() || !node.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        {
            return Err(FieldError::new("targets.node_id", "an organization node id").into());
        }
        if let Some(m) = n.model_id {
            let model = models::get(&ctx.pool, tenant, m)
                .await?
                .ok_or_else(|| FieldError::new("targets.model_id", "no such model"))?;
            if model.protocol != protocol {
                return Err(FieldError::new(
                    "targets.model_id",
                    format!(
                        "is a {} model; the firmware is for {protocol}",
                        model.protocol
                    ),
                )
                .into());
            }
        }
        let kind = if protocol == "dny" { "pile" } else { "gateway" };
        let selected = target_store::select(
            &ctx.pool,
            tenant,
            n.node_id.as_deref(),
            n.model_id,
            (protocol, kind),
            MAX_TARGETS as i64 + 1,
        )
        .await?;
        all.extend(selected);
    }
    all.sort_by(|a, b| a.device_id.cmp(&b.device_id));
    all.dedup_by(|a, b| a.device_id == b.device_id);
    if all.is_empty() {
        return Err(FieldError::new("targets", "no device matches").into());
    }
    if all.len() > MAX_TARGETS {
        return Err(FieldError::new(
            "targets",
            format!("more than {MAX_TARGETS} devices; split the campaign"),
        )
        .into());
    }
    Ok(all)
}

fn forbidden() -> ChargingError {
    crate::registry::app::forbidden()
}

/// Creates and starts a campaign (its first stage opens at once). `allowed` must accept
/// every target's node.
pub async fn create(
    ctx: &Ctx,
    tenant: Uuid,
    actor: &Actor,
    n: &NewCampaign,
    allowed: &(dyn Fn(&OrgPath) -> bool + Sync),
) -> Result<CampaignRow, ChargingError> {
    let name = text("name", &n.name, 100)?;
    let stages = campaign::stages("stages", &n.stages)?;
    let auto = n
        .auto_advance_pct
        .map(|p| {
            i16::try_from(p)
                .ok()
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| FieldError::new("auto_advance_pct", "1..=100"))
        })
        .transpose()?;
    let concurrency = bounded("concurrency", n.concurrency, 10, 1000)?;
    let max_attempts = bounded("max_attempts", n.max_attempts, 3, 20)?;
    let retry_after = bounded("retry_after_secs", n.retry_after_secs, 300, 86_400)?;
    let fw = resolve_firmware(ctx, tenant, actor, &name, &n.firmware).await?;
    let targets = resolve_targets(ctx, tenant, fw.protocol, n).await?;
    for t in &targets {
        let path = OrgPath::parse(&t.node_path)
            .map_err(|e| ChargingError::Upstream(format!("stored path: {e}")))?;
        if !allowed(&path) {
            return Err(forbidden());
        }
    }
    let scope = targets::common_path(targets.iter().map(|t| t.node_path.as_str()))
        .unwrap_or_else(|| format!("/{tenant}/"));
    let at = now();
    let row = CampaignRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        name,
        protocol: fw.protocol.into(),
        firmware_id: fw.firmware_id,
        dny_kind: fw.dny_kind,
        check_device_type: fw.check.map(|c| c.0),
        check_version: fw.check.map(|c| c.1),
        ftp_host: fw.ftp.as_ref().map(|f| f.host.clone()),
        ftp_port: fw.ftp.as_ref().map(|f| i32::from(f.port)),
        ftp_file: fw.ftp.as_ref().map(|f| f.file.clone()),
        targets: json!({
            "device_ids": n.device_ids, "node_id": n.node_id, "model_id": n.model_id,
        }),
        scope_path: scope,
        stages: stages.clone(),
        stage: 0,
        auto_advance_pct: auto,
        concurrency,
        max_attempts,
        retry_after_secs: retry_after,
        state: State::Running.as_str().into(),
        created_by: actor.id.clone(),
        created_at: at,
        updated_at: at,
        finished_at: None,
    };
    let ids: Vec<String> = targets.iter().map(|t| t.device_id.clone()).collect();
    let paths: Vec<String> = targets.iter().map(|t| t.node_path.clone()).collect();
    let ranks = campaign::assign(targets.len(), &stages);
    let mut tx = ctx.pool.begin().await?;
    if let Some((meta, image)) = &fw.new_image {
        images::insert(&mut *tx, meta, image).await?;
    }
    store::insert(&mut tx, &row).await?;
    devices::insert_all(&mut tx, row.id, tenant, &ids, &paths, &ranks, at).await?;
    let request = json!({
        "name": row.name, "protocol": row.protocol, "firmware_id": row.firmware_id,
        "ftp_host": row.ftp_host, "ftp_port": row.ftp_port, "file_name": row.ftp_file,
        "targets": row.targets, "devices": ids.len(), "stages": row.stages,
        "auto_advance_pct": row.auto_advance_pct, "concurrency": row.concurrency,
    });
    audit::record(
        &mut tx,
        ctx.ns(),
        actor,
        Subject {
            tenant,
            device_id: None,
            campaign_id: Some(row.id),
            node_path: &row.scope_path,
            action: "campaign_create",
            request,
        },
        State::Running.as_str(),
        "",
        at,
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The campaign in the caller's tenant (None: platform administrators), or 404.
pub async fn get(ctx: &Ctx, tenant: Option<Uuid>, id: &str) -> Result<CampaignRow, ChargingError> {
    let id = Uuid::parse_str(id).map_err(|_| ChargingError::NotFound("campaign".into()))?;
    store::get(&ctx.pool, tenant, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound("campaign".into()))
}

/// Whether `allowed` covers the campaign: its scope, or else each of its devices' nodes.
pub async fn covered(
    ctx: &Ctx,
    c: &CampaignRow,
    allowed: &(dyn Fn(&OrgPath) -> bool + Sync),
) -> Result<bool, ChargingError> {
    if OrgPath::parse(&c.scope_path).is_ok_and(|p| allowed(&p)) {
        return Ok(true);
    }
    let paths = devices::paths(&ctx.pool, c.id).await?;
    Ok(paths
        .iter()
        .all(|p| OrgPath::parse(p).is_ok_and(|p| allowed(&p))))
}

/// An operator's action, audited; 409 when the state does not allow it.
pub async fn act(
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
    action: Action,
) -> Result<CampaignRow, ChargingError> {
    let mut tx = ctx.pool.begin().await?;
    let c = store::lock(&mut tx, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound("campaign".into()))?;
    let state = State::parse(&c.state).unwrap_or(State::Aborted);
    let (to, stage) = campaign::apply(state, c.stage, c.stages.len(), action).map_err(|why| {
        ChargingError::Refused(
            StatusCode::CONFLICT,
            code::INVALID_TRANSITION,
            format!(
                "活动状态为 {} / the campaign is {}: {why}",
                c.state, c.state
            ),
        )
    })?;
    let at = now();
    let mut detail = String::new();
    if to == State::Aborted {
        let n = devices::abort_pending(&mut tx, id, at).await?;
        detail = format!("{n} pending devices aborted");
    }
    store::set_state(&mut tx, id, to.as_str(), stage, at, to == State::Aborted).await?;
    audit::record(
        &mut tx,
        ctx.ns(),
        actor,
        Subject {
            tenant: c.tenant_id,
            device_id: None,
            campaign_id: Some(id),
            node_path: &c.scope_path,
            action: action.as_str(),
            request: json!({"from_state": c.state, "from_stage": c.stage, "to_stage": stage}),
        },
        to.as_str(),
        &detail,
        at,
    )
    .await?;
    let after = store::lock(&mut tx, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound("campaign".into()))?;
    tx.commit().await?;
    Ok(after)
}

/// Device counts of a campaign: overall and per stage (index = stage).
pub async fn counts(
    ctx: &Ctx,
    c: &CampaignRow,
) -> Result<(campaign::Counts, Vec<campaign::Counts>), ChargingError> {
    let rows = devices::counts(&ctx.pool, c.id).await?;
    let mut all = campaign::Counts::default();
    let mut per = vec![campaign::Counts::default(); c.stages.len()];
    for (stage, state, n) in rows {
        all.add(&state, n);
        if let Some(s) = usize::try_from(stage).ok().and_then(|s| per.get_mut(s)) {
            s.add(&state, n);
        }
    }
    Ok((all, per))
}

/// The request body of one firmware's `Upgrade`, as the audit keeps it (never the image).
pub fn upgrade_request(c: &CampaignRow) -> Value {
    json!({
        "campaign_id": c.id, "firmware_id": c.firmware_id, "dny_kind": c.dny_kind,
        "ftp_host": c.ftp_host, "ftp_port": c.ftp_port, "file_name": c.ftp_file,
    })
}
