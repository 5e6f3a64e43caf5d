//! `charging.devices` and `charging.ports`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::Reach;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub device_id: String,
    pub protocol: String,
    pub kind: String,
    pub gateway_id: Option<String>,
    pub socket_no: Option<i16>,
    pub mac: Option<String>,
    pub uid: Option<String>,
    pub model_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub node_path: String,
    pub status: String,
    pub port_count: i16,
    pub provisioned_at: Option<DateTime<Utc>>,
    pub provision_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Joined from `device_models` (for views, the CSV and the gateway mirror).
    #[sqlx(default)]
    pub model_name: Option<String>,
}

macro_rules! select {
    () => {
        "SELECT d.id, d.tenant_id, d.device_id, d.protocol, d.kind, d.gateway_id, d.socket_no, d.mac, d.uid, \
         d.model_id, d.site_id, d.node_path, d.status, d.port_count, d.provisioned_at, d.provision_error, \
         d.created_at, d.updated_at, m.name AS model_name \
         FROM charging.devices d LEFT JOIN charging.device_models m ON m.id = d.model_id "
    };
}

/// Inserts the device and its ports 1..=port_count.
pub async fn insert(conn: &mut PgConnection, d: &DeviceRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.devices (id, tenant_id, device_id, protocol, kind, gateway_id, socket_no, mac, uid, \
         model_id, site_id, node_path, status, port_count, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(d.id)
    .bind(d.tenant_id)
    .bind(&d.device_id)
    .bind(&d.protocol)
    .bind(&d.kind)
    .bind(&d.gateway_id)
    .bind(d.socket_no)
    .bind(&d.mac)
    .bind(&d.uid)
    .bind(d.model_id)
    .bind(d.site_id)
    .bind(&d.node_path)
    .bind(&d.status)
    .bind(d.port_count)
    .bind(d.created_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO charging.ports (device_id, tenant_id, number) \
         SELECT $1, $2, n FROM generate_series(1, $3::int) n",
    )
    .bind(d.id)
    .bind(d.tenant_id)
    .bind(i32::from(d.port_count))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What an operator may change: model, site (and with it the path), status, MAC, UID.
pub async fn update<'c>(db: impl PgExecutor<'c>, d: &DeviceRow) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.devices SET model_id = $3, site_id = $4, node_path = $5, status = $6, \
         mac = $7, uid = $8, updated_at = $9 WHERE id = $1 AND tenant_id = $2",
    )
    .bind(d.id)
    .bind(d.tenant_id)
    .bind(d.model_id)
    .bind(d.site_id)
    .bind(&d.node_path)
    .bind(&d.status)
    .bind(&d.mac)
    .bind(&d.uid)
    .bind(d.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Records the outcome of a provisioning push.
pub async fn set_provisioned<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    at: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.devices SET provisioned_at = $3, provision_error = $4 WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant)
    .bind(at)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// By canonical id.
pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Option<Uuid>,
    device_id: &str,
) -> sqlx::Result<Option<DeviceRow>> {
    sqlx::query_as(concat!(
        select!(),
        "WHERE d.device_id = $1 AND ($2::uuid IS NULL OR d.tenant_id = $2)"
    ))
    .bind(device_id)
    .bind(tenant)
    .fetch_optional(db)
    .await
}

pub async fn delete<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: Uuid) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM charging.devices WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// How many devices are bound to the site (a site with devices is not deleted).
pub async fn count_at_site<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    site: Uuid,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM charging.devices WHERE tenant_id = $1 AND site_id = $2",
    )
    .bind(tenant)
    .bind(site)
    .fetch_one(db)
    .await
}

/// The sockets behind a GN gateway, by socket number.
pub async fn sockets_of<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    gateway: &str,
) -> sqlx::Result<Vec<DeviceRow>> {
    sqlx::query_as(concat!(
        select!(),
        "WHERE d.tenant_id = $1 AND d.gateway_id = $2 ORDER BY d.socket_no"
    ))
    .bind(tenant)
    .bind(gateway)
    .fetch_all(db)
    .await
}

/// Filters of the device list.
#[derive(Clone, Debug, Default)]
pub struct DeviceFilter {
    pub reach: Reach,
    pub site_id: Option<Uuid>,
    pub protocol: Option<String>,
    /// Exact sticker UID (operators type what they read).
    pub uid: Option<String>,
    pub gateway_id: Option<String>,
}

macro_rules! filter {
    () => {
        "WHERE ($1::uuid IS NULL OR d.tenant_id = $1) \
         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(d.node_path, p))) \
         AND ($3::uuid IS NULL OR d.site_id = $3) AND ($4::text IS NULL OR d.protocol = $4) \
         AND ($5::text IS NULL OR d.uid = $5) AND ($6::text IS NULL OR d.gateway_id = $6) "
    };
}

/// A page of devices by canonical id, and the total.
pub async fn list<'c, E: PgExecutor<'c> + Copy>(
    db: E,
    f: &DeviceFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<DeviceRow>, i64)> {
    let rows = sqlx::query_as(concat!(
        select!(),
        filter!(),
        "ORDER BY d.device_id LIMIT $7 OFFSET $8"
    ))
    .bind(f.reach.tenant)
    .bind(&f.reach.prefixes)
    .bind(f.site_id)
    .bind(&f.protocol)
    .bind(&f.uid)
    .bind(&f.gateway_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(concat!(
        "SELECT count(*) FROM charging.devices d ",
        filter!()
    ))
    .bind(f.reach.tenant)
    .bind(&f.reach.prefixes)
    .bind(f.site_id)
    .bind(&f.protocol)
    .bind(&f.uid)
    .bind(&f.gateway_id)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// Every device in reach (the CSV export), capped at `max`.
pub async fn all<'c>(
    db: impl PgExecutor<'c>,
    reach: &Reach,
    max: i64,
) -> sqlx::Result<Vec<DeviceRow>> {
    sqlx::query_as(concat!(
        select!(),
        "WHERE ($1::uuid IS NULL OR d.tenant_id = $1) \
         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(d.node_path, p))) \
         ORDER BY d.device_id LIMIT $3"
    ))
    .bind(reach.tenant)
    .bind(&reach.prefixes)
    .bind(max)
    .fetch_all(db)
    .await
}

/// One batch of every tenant's devices after `after` (the gateway mirror's resync).
pub async fn batch_after<'c>(
    db: impl PgExecutor<'c>,
    after: &str,
    n: i64,
) -> sqlx::Result<Vec<DeviceRow>> {
    sqlx::query_as(concat!(
        select!(),
        "WHERE d.device_id > $1 ORDER BY d.device_id LIMIT $2"
    ))
    .bind(after)
    .bind(n)
    .fetch_all(db)
    .await
}

/// Where a registered device belongs: its operator, its org path (the site's, or the
/// tenant root while unbound) and protocol. Device ids are unique across tenants.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Placement {
    pub tenant_id: Uuid,
    pub node_path: String,
    pub protocol: String,
}

/// [`placement`] and, in the same read, the port's newest reported state from the live
/// read model (`None` before the pile reported the port).
pub async fn placement_at_port<'c>(
    db: impl PgExecutor<'c>,
    device_id: &str,
    port: u32,
) -> sqlx::Result<Option<(Placement, Option<String>)>> {
    let row: Option<(Uuid, String, String, Option<String>)> = sqlx::query_as(
        "SELECT d.tenant_id, d.node_path, d.protocol, p.state FROM charging.devices d \
         LEFT JOIN charging.live_ports p ON p.device_id = d.device_id AND p.port = $2 \
         WHERE d.device_id = $1",
    )
    .bind(device_id)
    .bind(i64::from(port))
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(tenant_id, node_path, protocol, state)| {
        (
            Placement {
                tenant_id,
                node_path,
                protocol,
            },
            state,
        )
    }))
}

pub async fn placement<'c>(
    db: impl PgExecutor<'c>,
    device_id: &str,
) -> sqlx::Result<Option<Placement>> {
    sqlx::query_as(
        "SELECT tenant_id, node_path, protocol FROM charging.devices WHERE device_id = $1",
    )
    .bind(device_id)
    .fetch_optional(db)
    .await
}
