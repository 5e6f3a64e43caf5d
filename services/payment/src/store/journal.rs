use sqlx::PgConnection;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use super::accounts::Locked;

/// The outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// A new entry with this id: go on and post it.
    New(Uuid),
    /// The key was used before for this same request: `reference` names its result.
    Replay { entry_id: Uuid, reference: String },
    /// The key was used before for another request.
    Conflict { request: String },
}

/// Claims `key` for a new entry and locks `accounts` in id order (every entry locks in
/// the same order, so two never deadlock), in one statement; the locked accounts come
/// back with the claim. A concurrent claim of the same key waits for this transaction
/// and then sees it.
#[allow(clippy::too_many_arguments)]
pub async fn claim_locking(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    kind: &str,
    reference: &str,
    request: &str,
    accounts: &[Uuid],
) -> sqlx::Result<(Claim, Vec<Locked>)> {
    let mut ids = accounts.to_vec();
    ids.sort_unstable();
    ids.dedup();
    // One row even when there is no account to lock, so the claim's outcome comes back.
    type Row = (
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        Option<Uuid>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "WITH locked AS (SELECT id, kind, owner_kind, owner_key, balance_fen, credit_limit_fen \
         FROM payment.accounts WHERE id = ANY($7) ORDER BY id FOR UPDATE), \
         claim AS (INSERT INTO payment.journal_entries (id, tenant_id, kind, reference, idempotency_key, request) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id) \
         SELECT l.id, l.kind, l.owner_kind, l.owner_key, l.balance_fen, l.credit_limit_fen, c.id \
         FROM (SELECT (SELECT id FROM claim) AS id) c LEFT JOIN locked l ON true ORDER BY l.id",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(kind)
    .bind(reference)
    .bind(key)
    .bind(request)
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let claimed = rows.first().and_then(|r| r.6);
    let locked = rows
        .into_iter()
        .filter_map(|(id, kind, owner_kind, owner_key, balance, limit, _)| {
            Some(Locked {
                id: id?,
                kind: kind?,
                owner_kind: owner_kind?,
                owner_key: owner_key?,
                balance_fen: balance?,
                credit_limit_fen: limit?,
            })
        })
        .collect();
    if let Some(id) = claimed {
        return Ok((Claim::New(id), locked));
    }
    Ok((earlier(conn, tenant, key, request).await?, locked))
}

/// What an already-claimed `key` was used for.
async fn earlier(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    request: &str,
) -> sqlx::Result<Claim> {
    let (entry_id, reference, earlier): (Uuid, String, String) = sqlx::query_as(
        "SELECT id, reference, request FROM payment.journal_entries \
         WHERE tenant_id = $1 AND idempotency_key = $2",
    )
    .bind(tenant)
    .bind(key)
    .fetch_one(conn)
    .await?;
    Ok(if earlier == request {
        Claim::Replay {
            entry_id,
            reference,
        }
    } else {
        Claim::Conflict { request: earlier }
    })
}

/// Writes a claimed entry in one statement: its postings, each account's new balance
/// (the accounts are locked by [`claim_locking`]), its events' outbox rows (parameters
/// 4 to 11, bound by `bus::Outbox::bind_events`), then `last`, the caller's own
/// statement (its parameters from `$12`, bound by `bind_last`), whose rows come back.
pub async fn write<'q>(
    conn: &mut PgConnection,
    entry: Uuid,
    accounts: Vec<Uuid>,
    amounts: Vec<i64>,
    events: &[bus::OutgoingEvent],
    last: &str,
    bind_last: impl FnOnce(PgQuery<'q>) -> PgQuery<'q>,
) -> sqlx::Result<Vec<PgRow>> {
    let sql = format!(
        "WITH postings AS (INSERT INTO payment.postings (entry_id, account_id, amount_fen) \
         SELECT $1, a, m FROM UNNEST($2::uuid[], $3::bigint[]) AS t(a, m)), \
         balances AS (UPDATE payment.accounts a SET balance_fen = a.balance_fen + d.delta \
         FROM UNNEST($2::uuid[], $3::bigint[]) AS d(id, delta) WHERE a.id = d.id), \
         events AS ({}) {last}",
        bus::Outbox::new(crate::SCHEMA).insert_many(4)
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entry)
        .bind(accounts)
        .bind(amounts);
    bind_last(bus::Outbox::bind_events(query, events))
        .fetch_all(conn)
        .await
}

/// The balances an entry expects to find and the postings it writes.
pub struct Expected {
    /// Each account once, with its balance as read and the entry's net move of it.
    pub accounts: Vec<Uuid>,
    pub seen_fen: Vec<i64>,
    pub delta_fen: Vec<i64>,
    /// The postings, in the entry's order.
    pub posting_accounts: Vec<Uuid>,
    pub posting_fen: Vec<i64>,
}

/// Claims `key` and writes the entry in one statement without a transaction around
/// it. After the claim it locks the caller's row (`row_lock`, a `SELECT … FOR UPDATE
/// SKIP LOCKED` that yields one row only if the row is as read and `claim` has a row)
/// and then the accounts in id order, skipping any that another transaction holds; each
/// account moves only if its balance is still the one read, and `guarded` (the caller's
/// write, applying to one row only if `row_lock` has one, and returning it) writes the
/// caller's row. Either every part applies or none (`payment.entry_applied`). The
/// statement never waits for a lock but the key's, which it takes holding no other: it
/// cannot take part in a deadlock. Both caller parts take their parameters from `$20`.
/// The caller's rows when written; `None` when nothing was: the key was claimed before,
/// or an account or the caller's row had moved.
#[allow(clippy::too_many_arguments)]
pub async fn write_unlocked<'q>(
    conn: &mut PgConnection,
    entry: Uuid,
    tenant: Uuid,
    key: &str,
    kind: &str,
    reference: &str,
    request: &str,
    expected: Expected,
    events: &[bus::OutgoingEvent],
    row_lock: &str,
    guarded: &str,
    bind_guarded: impl FnOnce(PgQuery<'q>) -> PgQuery<'q>,
) -> sqlx::Result<Option<Vec<PgRow>>> {
    let sql = format!(
        "WITH claim AS (INSERT INTO payment.journal_entries (id, tenant_id, kind, reference, idempotency_key, request) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id), \
         row_lock AS ({row_lock}), \
         locked AS MATERIALIZED (SELECT id, balance_fen FROM payment.accounts WHERE id = ANY($7) \
         AND EXISTS (SELECT 1 FROM row_lock) ORDER BY id FOR UPDATE SKIP LOCKED), \
         balances AS (UPDATE payment.accounts a SET balance_fen = a.balance_fen + d.delta \
         FROM UNNEST($7::uuid[], $8::bigint[], $9::bigint[]) AS d(id, seen, delta), locked l \
         WHERE a.id = d.id AND l.id = d.id AND l.balance_fen = d.seen RETURNING a.id), \
         guarded AS ({guarded}), \
         applied AS (SELECT payment.entry_applied((SELECT count(*) FROM claim), (SELECT count(*) FROM balances), \
         cardinality($7::uuid[]), (SELECT count(*) FROM guarded)) AS ok), \
         ok AS (SELECT 1 FROM applied WHERE ok), \
         postings AS (INSERT INTO payment.postings (entry_id, account_id, amount_fen) \
         SELECT $1, p.a, p.m FROM UNNEST($10::uuid[], $11::bigint[]) AS p(a, m), ok), \
         events AS ({}) \
         SELECT guarded.* FROM guarded, applied WHERE applied.ok",
        bus::Outbox::new(crate::SCHEMA).insert_many_per_row("ok", 12)
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(entry)
        .bind(tenant)
        .bind(kind.to_owned())
        .bind(reference.to_owned())
        .bind(key.to_owned())
        .bind(request.to_owned())
        .bind(expected.accounts)
        .bind(expected.seen_fen)
        .bind(expected.delta_fen)
        .bind(expected.posting_accounts)
        .bind(expected.posting_fen);
    match bind_guarded(bus::Outbox::bind_events(query, events))
        .fetch_all(conn)
        .await
    {
        // `applied` is false only when the key was claimed before: no row comes back.
        Ok(rows) if rows.is_empty() => Ok(None),
        Ok(rows) => Ok(Some(rows)),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(STALE) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `serialization_failure`, which `payment.entry_applied` raises when a part moved.
const STALE: &str = "40001";

/// A query being bound.
pub type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// One line of a wallet statement.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatementLine {
    pub entry_id: Uuid,
    pub kind: String,
    pub reference: String,
    pub amount_fen: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The entries that moved `account`, newest first.
pub async fn statement(
    conn: &mut PgConnection,
    tenant: Uuid,
    account: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<StatementLine>> {
    sqlx::query_as(
        "SELECT e.id AS entry_id, e.kind, e.reference, p.amount_fen, e.created_at \
         FROM payment.postings p JOIN payment.journal_entries e ON e.id = p.entry_id \
         WHERE p.account_id = $1 AND e.tenant_id = $2 \
         ORDER BY e.created_at DESC, e.id DESC LIMIT $3 OFFSET $4",
    )
    .bind(account)
    .bind(tenant)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await
}

/// How many entries moved `account`.
pub async fn count(conn: &mut PgConnection, account: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM payment.postings WHERE account_id = $1")
        .bind(account)
        .fetch_one(conn)
        .await
}
