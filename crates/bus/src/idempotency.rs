//! The processed-event table: a consumer claims an event id in the same transaction as
//! its effect, so a redelivered event finds the claim and changes nothing.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::{BusError, SchemaName};

/// Records that `consumer` processed `event_id`. Returns `true` the first time, `false` if
/// it was already processed — then the caller must skip its effect (and still ack).
/// Call it inside the transaction that applies the effect.
pub async fn claim(
    conn: &mut PgConnection,
    schema: SchemaName,
    consumer: &str,
    event_id: Uuid,
) -> Result<bool, BusError> {
    let sql = schema.sql(
        "INSERT INTO {schema}.processed_events (consumer, event_id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    );
    let done = sqlx::query(sql)
        .bind(consumer)
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// [`claim`] for a batch: records every id of `event_ids` not yet processed by
/// `consumer` and returns those (each once, even if it was given twice). The caller
/// applies the effects of exactly these, in the same transaction.
pub async fn claim_many(
    conn: &mut PgConnection,
    schema: SchemaName,
    consumer: &str,
    event_ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>, BusError> {
    let sql = schema.sql(
        "INSERT INTO {schema}.processed_events (consumer, event_id) \
         SELECT $1, id FROM UNNEST($2::uuid[]) AS t(id) ON CONFLICT DO NOTHING RETURNING event_id",
    );
    let fresh: Vec<Uuid> = sqlx::query_scalar(sql)
        .bind(consumer)
        .bind(event_ids)
        .fetch_all(conn)
        .await?;
    Ok(fresh.into_iter().collect())
}

/// Forgets claims older than `keep`; redeliveries never come that late (JetStream's
/// ack wait × max deliveries is minutes). Returns how many rows went.
pub async fn prune(
    conn: &mut PgConnection,
    schema: SchemaName,
    keep: std::time::Duration,
) -> Result<u64, BusError> {
    let sql = schema.sql(
        "DELETE FROM {schema}.processed_events WHERE processed_at < now() - make_interval(secs => $1)",
    );
    let done = sqlx::query(sql)
        .bind(keep.as_secs_f64())
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
