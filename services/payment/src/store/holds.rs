use std::sync::LazyLock;

use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, PgExecutor, Row};

use super::accounts::Locked;
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

/// A new hold as the caller's parts of an entry written without a transaction
/// (`journal::write_unlocked`): there is no row to lock before ([`NEW_ROW`]), and the
/// insert, with its values from `$20` ([`bind_insert`]).
pub const NEW_ROW: &str = "SELECT 1 FROM claim";
pub const INSERT_GUARDED: &str = "INSERT INTO payment.holds (id, tenant_id, wallet_id, held_id, order_ref, amount_fen) \
     SELECT $20, $21, $22, $23, $24, $25 WHERE EXISTS (SELECT 1 FROM row_lock) RETURNING id";

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

/// The hold with its wallet's two accounts and the accounts `others`, as they are now
/// (one read, no lock: a settlement written on them checks they have not moved).
pub async fn read_with_accounts<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    id: Uuid,
    others: &[Uuid],
) -> sqlx::Result<Option<(HoldRow, Vec<Locked>)>> {
    // Built once: every capture and release reads through it.
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {}, a.id AS account_id, a.kind, a.owner_kind, a.owner_key, a.balance_fen, a.credit_limit_fen \
             FROM payment.holds h JOIN payment.accounts a ON a.id = ANY(ARRAY[h.wallet_id, h.held_id] || $3::uuid[]) \
             WHERE h.tenant_id = $1 AND h.id = $2",
            COLUMNS
                .split(", ")
                .map(|c| format!("h.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    });
    let rows: Vec<PgRow> = sqlx::query(SQL.as_str())
        .bind(tenant)
        .bind(id)
        .bind(others)
        .fetch_all(db)
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let hold = HoldRow::from_row(first)?;
    let accounts = rows
        .iter()
        .map(|r| {
            Ok(Locked {
                id: r.try_get("account_id")?,
                kind: r.try_get("kind")?,
                owner_kind: r.try_get("owner_kind")?,
                owner_key: r.try_get("owner_key")?,
                balance_fen: r.try_get("balance_fen")?,
                credit_limit_fen: r.try_get("credit_limit_fen")?,
            })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(Some((hold, accounts)))
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

/// A hold captured or released as the caller's parts of an entry written without a
/// transaction (`journal::write_unlocked`): the hold is locked only while it is still
/// held ([`HELD_ROW`]), then settled, its values from `$20` ([`bind_settle`]).
pub const HELD_ROW: &str = "SELECT id FROM payment.holds WHERE id = $20 AND status = 'held' \
     AND EXISTS (SELECT 1 FROM claim) FOR UPDATE SKIP LOCKED";
pub const SETTLE_GUARDED: &str = "UPDATE payment.holds SET status = $21, captured_fen = $22, \
     released_fen = $23, settled_at = now() WHERE id = $20 AND EXISTS (SELECT 1 FROM row_lock) \
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
