//! The monthly partitions of `charging.orders`: `orders_YYYY_MM` for the UTC month
//! [from, to), and `orders_default` for rows of a month that has none yet.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::orders::partitions::MonthPartition;

/// Serializes partition maintenance across replicas (`pg_advisory_xact_lock` key).
const LOCK_KEY: i64 = 0x6368_6172_6f72_6470; // "charordp"

/// How long maintenance waits for a lock before giving up until the next run, so it
/// never queues every order query behind a long transaction.
const LOCK_TIMEOUT: &str = "5s";

/// Percent of each page an order partition fills with new rows; the rest is for the
/// versions its updates write (migration `20261126200000_orders_fillfactor.sql`).
pub const FILLFACTOR: u8 = 80;

fn literal(t: DateTime<Utc>) -> String {
    // Bounds of DDL cannot be bind parameters; a formatted UTC instant is safe SQL.
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S+00"))
}

/// Creates the partition unless a table of that name exists; `Ok(true)` when created.
/// Rows of its month that wait in `orders_default` move into it, in one transaction.
pub async fn create(pool: &PgPool, p: &MonthPartition) -> sqlx::Result<bool> {
    // The name is generated from the month (`MonthPartition`), never user input.
    let name = p.name();
    let mut tx = pool.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"
    )))
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(format!("charging.{name}"))
        .fetch_one(&mut *tx)
        .await?;
    if exists {
        tx.rollback().await?;
        return Ok(false);
    }
    // Lock the default partition first (attaching needs it exclusively anyway), so the
    // move below cannot deadlock with an insert upgrading its lock.
    sqlx::query("LOCK TABLE charging.orders_default IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE charging.{name} (LIKE charging.orders INCLUDING DEFAULTS INCLUDING CONSTRAINTS) \
         WITH (fillfactor = {FILLFACTOR})"
    )))
    .execute(&mut *tx)
    .await?;
    // Deleting from the default partition fires no trigger (they are on insert and
    // update), so `order_ids` and `port_live_orders` keep pointing at the moved rows.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH moved AS (DELETE FROM charging.orders_default \
         WHERE created_at >= $1 AND created_at < $2 RETURNING *) \
         INSERT INTO charging.{name} SELECT * FROM moved"
    )))
    .bind(p.from())
    .bind(p.to())
    .execute(&mut *tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER TABLE charging.orders ATTACH PARTITION charging.{name} FOR VALUES FROM ({}) TO ({})",
        literal(p.from()),
        literal(p.to())
    )))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The first instants of the UTC months that have rows in `orders_default` (a month
/// whose partition was missing when they were written).
pub async fn months_in_default(pool: &PgPool) -> sqlx::Result<Vec<DateTime<Utc>>> {
    sqlx::query_scalar(
        "SELECT DISTINCT date_trunc('month', created_at, 'UTC') FROM charging.orders_default",
    )
    .fetch_all(pool)
    .await
}

/// The partitions of `orders` with their bounds as PostgreSQL prints them (for
/// operators and tests).
pub async fn list(pool: &PgPool) -> sqlx::Result<Vec<(String, String)>> {
    sqlx::query_as(
        "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'charging.orders'::regclass ORDER BY c.relname",
    )
    .fetch_all(pool)
    .await
}
