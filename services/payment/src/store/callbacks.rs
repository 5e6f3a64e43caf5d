use sqlx::PgConnection;
use uuid::Uuid;

/// A received notification and what became of it.
pub struct Record<'a> {
    pub provider: &'a str,
    pub notify_id: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: &'a str,
    pub out_trade_no: Option<&'a str>,
    pub headers: serde_json::Value,
    pub body: &'a str,
}

/// Records a callback. For the outcomes that act (`applied`, `unknown_payment`,
/// `review`) a notification id is recorded once: `false` when it was already there,
/// i.e. this is a duplicate.
pub async fn record(conn: &mut PgConnection, r: &Record<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO payment.callbacks (id, provider, notify_id, outcome, detail, out_trade_no, headers, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(r.provider)
    .bind(r.notify_id)
    .bind(r.outcome)
    .bind(r.detail)
    .bind(r.out_trade_no)
    .bind(&r.headers)
    .bind(r.body)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether the notification was already acted on.
pub async fn seen(conn: &mut PgConnection, provider: &str, notify_id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM payment.callbacks WHERE provider = $1 AND notify_id = $2 \
         AND outcome IN ('applied', 'unknown_payment', 'review'))",
    )
    .bind(provider)
    .bind(notify_id)
    .fetch_one(conn)
    .await
}
