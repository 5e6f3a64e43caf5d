//! `charging.sites`.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::Reach;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SiteRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub org_node_id: String,
    pub node_path: String,
    pub name: String,
    pub address: String,
    pub lat_e6: Option<i32>,
    pub lng_e6: Option<i32>,
    pub opening_hours: String,
    pub photo_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

macro_rules! cols {
    () => {
        "id, tenant_id, org_node_id, node_path, name, address, lat_e6, lng_e6, opening_hours, photo_url, created_at, updated_at"
    };
}

pub async fn insert<'c>(db: impl PgExecutor<'c>, s: &SiteRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO charging.sites (id, tenant_id, org_node_id, node_path, name, address, lat_e6, lng_e6, opening_hours, photo_url, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(s.id)
    .bind(s.tenant_id)
    .bind(&s.org_node_id)
    .bind(&s.node_path)
    .bind(&s.name)
    .bind(&s.address)
    .bind(s.lat_e6)
    .bind(s.lng_e6)
    .bind(&s.opening_hours)
    .bind(&s.photo_url)
    .bind(s.created_at)
    .bind(s.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The descriptive fields (the org node and path never change here).
pub async fn update<'c>(db: impl PgExecutor<'c>, s: &SiteRow) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.sites SET name = $3, address = $4, lat_e6 = $5, lng_e6 = $6, \
         opening_hours = $7, photo_url = $8, updated_at = $9 WHERE id = $1 AND tenant_id = $2",
    )
    .bind(s.id)
    .bind(s.tenant_id)
    .bind(&s.name)
    .bind(&s.address)
    .bind(s.lat_e6)
    .bind(s.lng_e6)
    .bind(&s.opening_hours)
    .bind(&s.photo_url)
    .bind(s.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Option<Uuid>,
    id: Uuid,
) -> sqlx::Result<Option<SiteRow>> {
    sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.sites WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(db)
    .await
}

pub async fn delete<'c>(db: impl PgExecutor<'c>, tenant: Uuid, id: Uuid) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM charging.sites WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

/// A page of sites in reach, by name; and the total.
pub async fn list<'c, E: PgExecutor<'c> + Copy>(
    db: E,
    reach: &Reach,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<SiteRow>, i64)> {
    let rows = sqlx::query_as(concat!(
        "SELECT ",
        cols!(),
        " FROM charging.sites WHERE ($1::uuid IS NULL OR tenant_id = $1) \
         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p))) \
         ORDER BY name, id LIMIT $3 OFFSET $4"
    ))
    .bind(reach.tenant)
    .bind(&reach.prefixes)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM charging.sites WHERE ($1::uuid IS NULL OR tenant_id = $1) \
         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p)))",
    )
    .bind(reach.tenant)
    .bind(&reach.prefixes)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
