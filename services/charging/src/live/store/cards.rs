//! `cards` and `card_authorizations`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A card binding as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Card {
    pub tenant_id: Uuid,
    pub card_no: String,
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub status: String,
    pub label: String,
    pub bound_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "tenant_id, card_no, owner_kind, owner_id, status, label, bound_by, created_at, updated_at";

pub async fn get(pool: &PgPool, tenant: Uuid, card_no: &str) -> Result<Option<Card>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM charging.cards WHERE tenant_id = $1 AND card_no = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(card_no)
        .fetch_optional(pool)
        .await
}

/// What a bind writes.
pub struct NewCard<'a> {
    pub tenant: Uuid,
    pub card_no: &'a str,
    pub owner_kind: &'a str,
    pub owner_id: Uuid,
    pub status: &'a str,
    pub label: &'a str,
    pub bound_by: &'a str,
}

/// Binds or rebinds (operators may move a card to another owner); returns the row.
pub async fn upsert(pool: &PgPool, c: &NewCard<'_>) -> Result<Card, sqlx::Error> {
    let sql = format!(
        "INSERT INTO charging.cards (tenant_id, card_no, owner_kind, owner_id, status, label, bound_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (tenant_id, card_no) DO UPDATE SET owner_kind = $3, owner_id = $4, \
         status = $5, label = $6, bound_by = $7, updated_at = now() RETURNING {COLUMNS}"
    );
    bind_new(sqlx::query_as(sqlx::AssertSqlSafe(sql)), c)
        .fetch_one(pool)
        .await
}

/// Binds only if the card is free; `None` when another binding holds it.
pub async fn insert_new(pool: &PgPool, c: &NewCard<'_>) -> Result<Option<Card>, sqlx::Error> {
    let sql = format!(
        "INSERT INTO charging.cards (tenant_id, card_no, owner_kind, owner_id, status, label, bound_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING {COLUMNS}"
    );
    bind_new(sqlx::query_as(sqlx::AssertSqlSafe(sql)), c)
        .fetch_optional(pool)
        .await
}

type CardQuery<'q> =
    sqlx::query::QueryAs<'q, sqlx::Postgres, Card, <sqlx::Postgres as sqlx::Database>::Arguments>;

fn bind_new<'q>(q: CardQuery<'q>, c: &NewCard<'_>) -> CardQuery<'q> {
    q.bind(c.tenant)
        .bind(c.card_no.to_owned())
        .bind(c.owner_kind.to_owned())
        .bind(c.owner_id)
        .bind(c.status.to_owned())
        .bind(c.label.to_owned())
        .bind(c.bound_by.to_owned())
}

/// Unbinds; with `owner`, only that owner's binding. Whether a row went.
pub async fn delete(
    pool: &PgPool,
    tenant: Uuid,
    card_no: &str,
    owner: Option<(&str, Uuid)>,
) -> Result<bool, sqlx::Error> {
    let done = match owner {
        None => {
            sqlx::query("DELETE FROM charging.cards WHERE tenant_id = $1 AND card_no = $2")
                .bind(tenant)
                .bind(card_no)
                .execute(pool)
                .await?
        }
        Some((kind, id)) => {
            sqlx::query(
                "DELETE FROM charging.cards WHERE tenant_id = $1 AND card_no = $2 \
                 AND owner_kind = $3 AND owner_id = $4",
            )
            .bind(tenant)
            .bind(card_no)
            .bind(kind)
            .bind(id)
            .execute(pool)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// A page of the tenant's cards (optionally one owner's), newest first, and the total.
pub async fn list(
    pool: &PgPool,
    tenant: Uuid,
    owner: Option<(&str, Uuid)>,
    (limit, offset): (i64, i64),
) -> Result<(Vec<Card>, i64), sqlx::Error> {
    let (kind, id) = owner.map_or((None, None), |(k, i)| (Some(k.to_owned()), Some(i)));
    let filter = "tenant_id = $1 AND ($2::text IS NULL OR (owner_kind = $2 AND owner_id = $3))";
    let sql = format!(
        "SELECT {COLUMNS} FROM charging.cards WHERE {filter} ORDER BY created_at DESC, card_no \
         LIMIT $4 OFFSET $5"
    );
    let items: Vec<Card> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(kind.clone())
        .bind(id)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?;
    let sql = format!("SELECT count(*) FROM charging.cards WHERE {filter}");
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(tenant)
        .bind(kind)
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok((items, total))
}

/// An approved swipe for orders to pick up.
pub struct Authorization<'a> {
    pub tenant: Uuid,
    pub device_id: &'a str,
    pub port: u32,
    pub card: &'a Card,
    pub balance_fen: i64,
    pub at: DateTime<Utc>,
}

pub async fn record_authorization(
    pool: &PgPool,
    a: &Authorization<'_>,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO charging.card_authorizations (id, tenant_id, device_id, port, card_no, \
         owner_kind, owner_id, balance_fen, authorized_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(a.tenant)
    .bind(a.device_id)
    .bind(i32::try_from(a.port).unwrap_or(i32::MAX))
    .bind(&a.card.card_no)
    .bind(&a.card.owner_kind)
    .bind(a.card.owner_id)
    .bind(a.balance_fen)
    .bind(a.at)
    .execute(pool)
    .await?;
    Ok(id)
}

/// The newest unpicked authorization of a port (what orders picks up; tests read it).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenAuthorization {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub card_no: String,
    pub owner_kind: String,
    pub owner_id: Uuid,
    pub balance_fen: i64,
    pub authorized_at: DateTime<Utc>,
}

pub async fn latest_open(
    pool: &PgPool,
    device_id: &str,
    port: u32,
) -> Result<Option<OpenAuthorization>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, tenant_id, card_no, owner_kind, owner_id, balance_fen, authorized_at \
         FROM charging.card_authorizations WHERE device_id = $1 AND port = $2 AND picked_at IS NULL \
         ORDER BY authorized_at DESC LIMIT 1",
    )
    .bind(device_id)
    .bind(i32::try_from(port).unwrap_or(i32::MAX))
    .fetch_optional(pool)
    .await
}

/// The swipe's order has been made: it is not offered to another session.
pub async fn mark_picked(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE charging.card_authorizations SET picked_at = now() WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
