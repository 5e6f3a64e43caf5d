//! Devices: register (with ports and their QR codes), change, bind to sites, delete.

use runtime::auth::OrgPath;
use uuid::Uuid;

use super::{Allowed, db, forbidden, in_use, now, provisioning, root_path, stored_path};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::domain::FieldError;
use crate::registry::domain::device::{DeviceInput, ModelFacts, Status, port_count};
use crate::registry::domain::ids::{DeviceId, Protocol, parse_mac, parse_uid};
use crate::registry::domain::qr;
use crate::registry::mirror;
use crate::registry::store::devices::{self, DeviceRow};
use crate::registry::store::{models, qr as qr_store, sites};

/// A registration: the device's own fields and where it goes.
#[derive(Clone, Debug, Default)]
pub struct NewDevice {
    pub input: DeviceInput,
    pub model_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
}

/// Registers a device in `tenant`; `allowed` decides on the node it lands on.
pub async fn create(
    ctx: &Ctx,
    tenant: Uuid,
    new: &NewDevice,
    allowed: Allowed<'_>,
) -> Result<DeviceRow, ChargingError> {
    let draft = new.input.validate()?;
    let model = match new.model_id {
        Some(id) => Some(
            models::get(&ctx.pool, tenant, id)
                .await?
                .ok_or_else(|| FieldError::new("model", "no such model"))?,
        ),
        None => None,
    };
    let facts = model.as_ref().map(|m| ModelFacts {
        protocol: if m.protocol == "gn" {
            Protocol::Gn
        } else {
            Protocol::Dny
        },
        port_count: u8::try_from(m.port_count).unwrap_or(0),
    });
    let ports = port_count(&draft.id, facts, draft.port_count)?;
    let (site_id, path) = site_and_path(ctx, tenant, new.site_id).await?;
    if !allowed(&path) {
        return Err(forbidden());
    }
    let (gateway_id, socket_no) = match &draft.id {
        DeviceId::Socket { gateway, socket } => {
            let gw = devices::get(&ctx.pool, Some(tenant), gateway).await?;
            if gw.is_none_or(|g| g.kind != "gateway") {
                return Err(FieldError::new(
                    "device_id",
                    format!("gateway {gateway} is not registered; register it first"),
                )
                .into());
            }
            (Some(gateway.clone()), Some(i16::from(*socket)))
        }
        _ => (None, None),
    };
    let at = now();
    let row = DeviceRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        device_id: draft.id.to_string(),
        protocol: draft.id.protocol().as_str().to_owned(),
        kind: draft.id.kind().to_owned(),
        gateway_id,
        socket_no,
        mac: draft.mac,
        uid: draft.uid,
        model_id: model.as_ref().map(|m| m.id),
        site_id,
        node_path: path.as_str().to_owned(),
        status: draft.status.as_str().to_owned(),
        port_count: i16::from(ports),
        provisioned_at: None,
        provision_error: None,
        created_at: at,
        updated_at: at,
        model_name: model.map(|m| m.name),
    };
    let mut tx = ctx.pool.begin().await?;
    devices::insert(&mut tx, &row)
        .await
        .map_err(|e| db(e, &row.device_id))?;
    for port in 1..=row.port_count {
        qr_store::insert(&mut *tx, tenant, row.id, port, &new_code(), at).await?;
    }
    tx.commit().await?;
    mirror::upsert(ctx, std::slice::from_ref(&row)).await;
    after_binding(ctx, row).await
}

/// A fresh QR code (80 random bits from two v4 UUIDs' random bytes).
fn new_code() -> String {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let mut r = [0u8; 10];
    r[..6].copy_from_slice(&a.as_bytes()[..6]);
    r[6..].copy_from_slice(&b.as_bytes()[10..14]);
    qr::code_from(r)
}

/// The site (of `tenant`) and the node path a device bound to it carries; the tenant
/// root when unbound.
async fn site_and_path(
    ctx: &Ctx,
    tenant: Uuid,
    site: Option<Uuid>,
) -> Result<(Option<Uuid>, OrgPath), ChargingError> {
    match site {
        None => Ok((None, root_path(tenant)?)),
        Some(id) => {
            let s = sites::get(&ctx.pool, Some(tenant), id)
                .await?
                .ok_or_else(|| FieldError::new("site_id", "no such site"))?;
            Ok((Some(s.id), stored_path(&s.node_path)?))
        }
    }
}

pub async fn get(
    ctx: &Ctx,
    tenant: Option<Uuid>,
    device_id: &str,
) -> Result<(DeviceRow, OrgPath), ChargingError> {
    let d = devices::get(&ctx.pool, tenant, &device_id.trim().to_ascii_lowercase())
        .await?
        .ok_or_else(|| ChargingError::NotFound("device".into()))?;
    let p = stored_path(&d.node_path)?;
    Ok((d, p))
}

/// Changes to a device; `None` leaves a field as it is. `site_id: Some(None)` unbinds.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub model_id: Option<Option<Uuid>>,
    pub site_id: Option<Option<Uuid>>,
    pub status: Option<String>,
    pub mac: Option<Option<String>>,
    pub uid: Option<Option<String>>,
}

/// Applies `changes`; `allowed` must accept the node the device moves to.
pub async fn update(
    ctx: &Ctx,
    mut row: DeviceRow,
    changes: &Changes,
    allowed: Allowed<'_>,
) -> Result<DeviceRow, ChargingError> {
    let socket = row.kind == "socket";
    let mut reprovision = false;
    if let Some(m) = changes.model_id {
        row.model_name = None;
        row.model_id = None;
        if let Some(id) = m {
            let model = models::get(&ctx.pool, row.tenant_id, id)
                .await?
                .ok_or_else(|| FieldError::new("model_id", "no such model"))?;
            if model.protocol != row.protocol {
                return Err(
                    FieldError::new("model_id", format!("is a {} model", model.protocol)).into(),
                );
            }
            row.model_id = Some(model.id);
            row.model_name = Some(model.name);
        }
    }
    if let Some(s) = changes.status.as_deref() {
        row.status = Status::parse("status", s)?.as_str().to_owned();
    }
    if let Some(mac) = &changes.mac {
        if !socket {
            return Err(FieldError::new("mac", "only GN sockets have a MAC").into());
        }
        row.mac = mac.as_deref().map(|m| parse_mac("mac", m)).transpose()?;
        reprovision = true;
    }
    if let Some(uid) = &changes.uid {
        if !socket {
            return Err(FieldError::new("uid", "only GN sockets have a sticker UID").into());
        }
        row.uid = uid.as_deref().map(|u| parse_uid("uid", u)).transpose()?;
    }
    if let Some(site) = changes.site_id {
        let (site_id, path) = site_and_path(ctx, row.tenant_id, site).await?;
        if !allowed(&path) {
            return Err(forbidden());
        }
        reprovision |= site_id.is_some() && site_id != row.site_id;
        row.site_id = site_id;
        row.node_path = path.as_str().to_owned();
    }
    row.updated_at = now();
    devices::update(&ctx.pool, &row)
        .await
        .map_err(|e| db(e, &row.device_id))?;
    mirror::upsert(ctx, std::slice::from_ref(&row)).await;
    if reprovision {
        after_binding(ctx, row).await
    } else {
        Ok(row)
    }
}

/// A bound GN socket is pushed to its gateway at once; others are returned as they are.
async fn after_binding(ctx: &Ctx, row: DeviceRow) -> Result<DeviceRow, ChargingError> {
    if row.kind == "socket" && row.site_id.is_some() {
        provisioning::add_socket(ctx, row).await
    } else {
        Ok(row)
    }
}

/// Deletes a device with its ports and QR codes. A gateway with sockets is refused.
pub async fn delete(ctx: &Ctx, row: &DeviceRow) -> Result<(), ChargingError> {
    if row.kind == "gateway" {
        let n = devices::sockets_of(&ctx.pool, row.tenant_id, &row.device_id)
            .await?
            .len();
        if n > 0 {
            return Err(in_use(format!(
                "gateway has {n} sockets; delete them first"
            )));
        }
    }
    devices::delete(&ctx.pool, row.tenant_id, row.id).await?;
    mirror::remove(ctx, &row.device_id).await;
    Ok(())
}
