use sqlx::PgConnection;
use uuid::Uuid;

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

/// Claims `key` for a new entry. A concurrent claim of the same key waits for this
/// transaction and then sees it.
pub async fn claim(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
    kind: &str,
    reference: &str,
    request: &str,
) -> sqlx::Result<Claim> {
    let id = Uuid::now_v7();
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO payment.journal_entries (id, tenant_id, kind, reference, idempotency_key, request) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(id)
    .bind(tenant)
    .bind(kind)
    .bind(reference)
    .bind(key)
    .bind(request)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok(Claim::New(id));
    }
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

/// Writes the entry's postings and adds each to its account's balance, in one
/// statement (the accounts are locked by the caller).
pub async fn post_amounts(
    conn: &mut PgConnection,
    entry: Uuid,
    accounts: &[Uuid],
    amounts: &[i64],
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH postings AS (INSERT INTO payment.postings (entry_id, account_id, amount_fen) \
         SELECT $1, a, m FROM UNNEST($2::uuid[], $3::bigint[]) AS t(a, m)) \
         UPDATE payment.accounts a SET balance_fen = a.balance_fen + d.delta \
         FROM UNNEST($2::uuid[], $3::bigint[]) AS d(id, delta) WHERE a.id = d.id",
    )
    .bind(entry)
    .bind(accounts)
    .bind(amounts)
    .execute(conn)
    .await?;
    Ok(())
}

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
