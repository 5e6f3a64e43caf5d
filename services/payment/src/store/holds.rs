use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, PgExecutor};

use super::journal::PgQuery;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HoldRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub wallet_id: Uuid,
    pub held_id: Uuid,
    pub order_ref: String,
    pub amount_fen: i64,
    pub captured_fen: i64,
    pub released_fen: i64,
    pub status: String,
}

const COLUMNS: &str =
    "id, tenant_id, wallet_id, held_id, order_ref, amount_fen, captured_fen, released_fen, status";

/// A new hold as the last part of its entry's statement (`app::post::write`), with
/// its values from `$12` ([`bind_insert`]).
pub const INSERT_LAST: &str = "INSERT INTO payment.holds (id, tenant_id, wallet_id, held_id, order_ref, amount_fen) \
     VALUES ($12, $13, $14, $15, $16, $17)";

pub fn bind_insert<'q>(q: PgQuery<'q>, h: &HoldRow) -> PgQuery<'q> {
    q.bind(h.id)
        .bind(h.tenant_id)
        .bind(h.wallet_id)
        .bind(h.held_id)
        .bind(h.order_ref.clone())
        .bind(h.amount_fen)
}

pub async fn get<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<HoldRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.holds WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks the hold for settling (before its accounts: the same order everywhere).
pub async fn lock(
    conn: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<HoldRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM payment.holds WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
    )))
    .bind(tenant)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// A hold captured or released, as the last part of its entry's statement, with its
/// values from `$12` ([`bind_settle`]); the settled hold comes back ([`settled_row`]).
pub const SETTLE_LAST: &str = "UPDATE payment.holds SET status = $13, captured_fen = $14, \
     released_fen = $15, settled_at = now() WHERE id = $12 \
     RETURNING id, tenant_id, wallet_id, held_id, order_ref, amount_fen, captured_fen, released_fen, status";

pub fn bind_settle<'q>(
    q: PgQuery<'q>,
    id: Uuid,
    status: &'static str,
    captured_fen: i64,
    released_fen: i64,
) -> PgQuery<'q> {
    q.bind(id)
        .bind(status)
        .bind(captured_fen)
        .bind(released_fen)
}

/// The hold [`SETTLE_LAST`] returned.
pub fn settled_row(rows: Vec<PgRow>) -> sqlx::Result<HoldRow> {
    let row = rows.into_iter().next().ok_or(sqlx::Error::RowNotFound)?;
    HoldRow::from_row(&row)
}
