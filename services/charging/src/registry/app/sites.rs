//! Sites: create, change, delete.

use runtime::auth::OrgPath;
use uuid::Uuid;

use super::{db, in_use, now, stored_path};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::domain::FieldError;
use crate::registry::domain::site::SiteInput;
use crate::registry::store::{devices, sites, sites::SiteRow};

/// `s` as the path of the site's organization node.
pub fn site_path(s: &str) -> Result<(OrgPath, Uuid), ChargingError> {
    let p = OrgPath::parse(s.trim()).map_err(|_| {
        FieldError::new(
            "node_path",
            "is not an organization path like /<tenant>/<region>/<site>/",
        )
    })?;
    if p.depth() < 2 {
        return Err(FieldError::new("node_path", "must be a node below the operator").into());
    }
    let tenant = p
        .tenant()
        .parse()
        .map_err(|_| FieldError::new("node_path", "does not start with a tenant id"))?;
    Ok((p, tenant))
}

pub async fn create(
    ctx: &Ctx,
    path: &OrgPath,
    tenant: Uuid,
    input: &SiteInput,
) -> Result<SiteRow, ChargingError> {
    let f = input.validate()?;
    let at = now();
    let row = SiteRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        org_node_id: path.node().to_owned(),
        node_path: path.as_str().to_owned(),
        name: f.name,
        address: f.address,
        lat_e6: f.lat_e6,
        lng_e6: f.lng_e6,
        opening_hours: f.opening_hours,
        photo_url: f.photo_url,
        created_at: at,
        updated_at: at,
    };
    sites::insert(&ctx.pool, &row)
        .await
        .map_err(|e| db(e, "site"))?;
    Ok(row)
}

pub async fn get(
    ctx: &Ctx,
    tenant: Option<Uuid>,
    id: Uuid,
) -> Result<(SiteRow, OrgPath), ChargingError> {
    let s = sites::get(&ctx.pool, tenant, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound("site".into()))?;
    let p = stored_path(&s.node_path)?;
    Ok((s, p))
}

pub async fn update(
    ctx: &Ctx,
    mut row: SiteRow,
    input: &SiteInput,
) -> Result<SiteRow, ChargingError> {
    let f = input.validate()?;
    row.name = f.name;
    row.address = f.address;
    row.lat_e6 = f.lat_e6;
    row.lng_e6 = f.lng_e6;
    row.opening_hours = f.opening_hours;
    row.photo_url = f.photo_url;
    row.updated_at = now();
    sites::update(&ctx.pool, &row).await?;
    Ok(row)
}

/// Refused while devices are bound (unbind or move them first: a device must never
/// point at a missing site).
pub async fn delete(ctx: &Ctx, row: &SiteRow) -> Result<(), ChargingError> {
    let n = devices::count_at_site(&ctx.pool, row.tenant_id, row.id).await?;
    if n > 0 {
        return Err(in_use(format!("site has {n} devices; unbind them first")));
    }
    sites::delete(&ctx.pool, row.tenant_id, row.id).await?;
    Ok(())
}
