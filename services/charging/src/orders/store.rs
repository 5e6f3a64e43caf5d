//! The `orders` table (schema `charging`), partitioned by month on `created_at`
//! (migration `20261126140100_orders_by_month.sql`). Two rules span partitions and are
//! kept by the table's trigger in the transaction of every insert and state change,
//! whoever writes it: `order_ids` (an id is unique; an idempotency key per tenant) and
//! `port_live_orders` (one live order per port). Here their violations become
//! [`Inserted::Existing`] and [`Inserted::PortBusy`]; lookups by id go through
//! `order_ids` for the partition key, so only the order's month is read.

pub mod history;
pub mod partitions;

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

/// `Default` is for building a new order: only what the caller knows is set, the rest
/// is empty until the order moves (set `created_at`: its default is the epoch).
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub device_id: String,
    pub port: i32,
    pub node_path: String,
    pub protocol: String,
    pub state: String,
    pub limit_kind: String,
    pub limit_value: i64,
    pub hold_fen: i64,
    pub hold_id: Option<String>,
    pub device_order_ref: String,
    pub tariff_id: Option<Uuid>,
    pub tariff_version: Option<i32>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub energy_wh: Option<i64>,
    pub duration_secs: Option<i64>,
    pub max_power_dw: Option<i32>,
    pub end_reason: Option<String>,
    pub device_amount_fen: Option<i64>,
    pub amount_fen: Option<i64>,
    pub bill_id: Option<String>,
    pub last_meter_wh: Option<i64>,
    pub last_meter_at: Option<DateTime<Utc>>,
    pub last_power_dw: Option<i32>,
    pub deadline: Option<DateTime<Utc>>,
    pub failure: Option<String>,
    pub idempotency_key: String,
    pub created_at: DateTime<Utc>,
    /// Transitions so far (the optimistic check of the next one).
    pub version: i32,
    /// The partition the row was read from (`charging.orders_YYYY_MM`), when the read
    /// said: a transition writes there directly ([`record_transition`]). Empty for a
    /// row built or read otherwise: the partitioned table then.
    #[sqlx(default)]
    pub partition: String,
}

pub const COLUMNS: &str = "id, tenant_id, user_id, device_id, port, node_path, protocol, state, limit_kind, \
    limit_value, hold_fen, hold_id, device_order_ref, tariff_id, tariff_version, started_at, ended_at, \
    energy_wh, duration_secs, max_power_dw, end_reason, device_amount_fen, amount_fen, bill_id, \
    last_meter_wh, last_meter_at, last_power_dw, deadline, failure, idempotency_key, created_at, version";

/// The partition a row comes from, next to [`COLUMNS`] in the reads here (a plain
/// `FROM charging.orders`; `tableoid` would be ambiguous in a join).
const PARTITION: &str = "tableoid::regclass::text AS partition";

/// Where to write an order read from `partition`: that table when it is one of the
/// orders' partitions (checked: it goes into SQL), else the partitioned table. Written
/// directly, a partition spares PostgreSQL 15 setting the statement up for every
/// month's partition (docs/charging.md, "Lookups by id").
fn table_of(partition: &str) -> String {
    let name = partition.strip_prefix("charging.").unwrap_or(partition);
    if crate::orders::partitions::is_partition_name(name) {
        format!("charging.{name}")
    } else {
        "charging.orders".to_owned()
    }
}

/// The unique constraint a second order for the same idempotency key violates.
pub const KEY_TAKEN: &str = "order_ids_idempotency_key";
/// The unique constraint a second live order on one port violates.
pub const PORT_TAKEN: &str = "port_live_orders_pkey";

/// `WHERE` of one order by id `$1`: the id's `created_at` from `order_ids` lets the
/// executor read one partition (it still opens every partition first: the value is
/// known only while the statement runs).
const BY_ID: &str =
    "id = $1 AND created_at = (SELECT created_at FROM charging.order_ids WHERE order_id = $1)";

/// `WHERE` of one order by id `$1` created in [`$2`, `$3`) ([`created_near`]): with the
/// window as parameters PostgreSQL leaves the other months' partitions out before it
/// opens them, so the lookup costs the same with three partitions or three years of
/// them (with [`BY_ID`], each month's partition and index is opened on every call).
const BY_ID_NEAR: &str = "id = $1 AND created_at >= $2 AND created_at < $3";

/// An order's id is a UUIDv7 taken just before its `created_at` (`app::create`,
/// `app::card`): the hour either side of the id's time holds it. `None` for an id of
/// another kind; an order outside its window is found by [`BY_ID`].
fn created_near(id: Uuid) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if id.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    let at = DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)?;
    let hour = chrono::Duration::hours(1);
    Some((at - hour, at + hour))
}

/// What an insert found.
pub enum Inserted {
    New(OrderRow),
    /// The same key was used before: that order.
    Existing(OrderRow),
    /// Another live order holds the port.
    PortBusy,
}

/// Inserts a new order (on a connection outside any transaction: a taken key or port
/// fails the statement, then the earlier order is read). The trigger claims the key
/// before the port, so a repeated request finds its own order even while it is live.
pub async fn insert(conn: &mut PgConnection, o: &OrderRow) -> sqlx::Result<Inserted> {
    let r = sqlx::query(
        "INSERT INTO charging.orders (id, tenant_id, user_id, device_id, port, node_path, protocol, state, \
         limit_kind, limit_value, hold_fen, device_order_ref, tariff_id, tariff_version, idempotency_key, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         RETURNING tableoid::regclass::text",
    )
    .bind(o.id)
    .bind(o.tenant_id)
    .bind(o.user_id)
    .bind(&o.device_id)
    .bind(o.port)
    .bind(&o.node_path)
    .bind(&o.protocol)
    .bind(&o.state)
    .bind(&o.limit_kind)
    .bind(o.limit_value)
    .bind(o.hold_fen)
    .bind(&o.device_order_ref)
    .bind(o.tariff_id)
    .bind(o.tariff_version)
    .bind(&o.idempotency_key)
    .bind(o.created_at)
    .fetch_one(&mut *conn)
    .await;
    match r {
        Ok(row) => Ok(Inserted::New(OrderRow {
            partition: sqlx::Row::try_get(&row, 0)?,
            ..o.clone()
        })),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some(PORT_TAKEN) => {
            Ok(Inserted::PortBusy)
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some(KEY_TAKEN) => {
            // The same key was used before (or raced in): return that order.
            match by_key(conn, o.tenant_id, &o.idempotency_key).await? {
                Some(existing) => Ok(Inserted::Existing(existing)),
                None => Err(sqlx::Error::Database(e)),
            }
        }
        Err(e) => Err(e),
    }
}

async fn by_key(
    conn: &mut PgConnection,
    tenant: Uuid,
    key: &str,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {PARTITION} FROM charging.orders WHERE \
         id = (SELECT order_id FROM charging.order_ids WHERE tenant_id = $1 AND idempotency_key = $2) \
         AND created_at = (SELECT created_at FROM charging.order_ids WHERE tenant_id = $1 AND idempotency_key = $2)"
    )))
    .bind(tenant)
    .bind(key)
    .fetch_optional(conn)
    .await
}

pub async fn get(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<OrderRow>> {
    by_id(&mut *pool.acquire().await?, id, "").await
}

pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<OrderRow>> {
    by_id(conn, id, " FOR UPDATE").await
}

/// The order `id` (`suffix`: a locking clause or nothing): in its id's window, else
/// through `order_ids`.
async fn by_id(conn: &mut PgConnection, id: Uuid, suffix: &str) -> sqlx::Result<Option<OrderRow>> {
    if let Some((from, to)) = created_near(id) {
        let near = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, {PARTITION} FROM charging.orders WHERE {BY_ID_NEAR}{suffix}"
        )))
        .bind(id)
        .bind(from)
        .bind(to)
        .fetch_optional(&mut *conn)
        .await?;
        if near.is_some() {
            return Ok(near);
        }
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {PARTITION} FROM charging.orders WHERE {BY_ID}{suffix}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// One step of a recorded transition: its history row and its event.
pub struct Step<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub reason: &'a str,
    pub event: bus::OutgoingEvent,
}

/// Writes the move of `before` to `after` (its state, deadline and facts) through
/// `steps` (one or several transitions decided in a row, each with its history row,
/// a microsecond apart, and its event) in one statement, if the order is still as
/// `before` was read (same version). `false`: another transition came first, or the row
/// is no longer in the partition it was read from (maintenance moved it out of the
/// default partition); nothing was written.
pub async fn record_transition<'c>(
    db: impl PgExecutor<'c>,
    before: &OrderRow,
    after: &OrderRow,
    steps: &[Step<'_>],
) -> sqlx::Result<bool> {
    // Everything after the table, built once.
    static AFTER_TABLE: LazyLock<String> = LazyLock::new(|| {
        format!(
            " SET state = $3, deadline = $4, \
             updated_at = now(), hold_id = $5, device_order_ref = $6, started_at = $7, \
             ended_at = $8, energy_wh = $9, duration_secs = $10, max_power_dw = $11, \
             end_reason = $12, device_amount_fen = $13, amount_fen = $14, bill_id = $15, \
             failure = $16, version = version + 1 \
             WHERE id = $1 AND created_at = $2 AND version = $17 RETURNING id), \
             history AS (INSERT INTO charging.order_transitions (order_id, at, from_state, to_state, reason) \
             SELECT moved.id, now() + make_interval(secs => (h.n - 1) / 1e6), h.f, h.t, h.r \
             FROM moved, unnest($18::text[], $19::text[], $20::text[]) WITH ORDINALITY AS h(f, t, r, n)) {}",
            bus::Outbox::new(crate::SCHEMA).insert_many_per_row("moved", 21)
        )
    });
    // The table is a checked partition name or the partitioned table (`table_of`).
    let sql = format!(
        "WITH moved AS (UPDATE {}{}",
        table_of(&before.partition),
        AFTER_TABLE.as_str()
    );
    let events: Vec<&bus::OutgoingEvent> = steps.iter().map(|s| &s.event).collect();
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after.id)
        .bind(after.created_at)
        .bind(&after.state)
        .bind(after.deadline)
        .bind(&after.hold_id)
        .bind(&after.device_order_ref)
        .bind(after.started_at)
        .bind(after.ended_at)
        .bind(after.energy_wh)
        .bind(after.duration_secs)
        .bind(after.max_power_dw)
        .bind(&after.end_reason)
        .bind(after.device_amount_fen)
        .bind(after.amount_fen)
        .bind(&after.bill_id)
        .bind(&after.failure)
        .bind(before.version)
        .bind(steps.iter().map(|s| s.from).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.to).collect::<Vec<_>>())
        .bind(steps.iter().map(|s| s.reason).collect::<Vec<_>>());
    let done = bus::Outbox::bind_events(query, &events).execute(db).await?;
    Ok(done.rows_affected() > 0)
}

/// The order a pile names by its own reference (settlement, meter, start events). A DNY
/// pile echoes the order's id as its reference (`app::create`): that one is looked up
/// by id first, in its month's partition only.
pub async fn by_device_ref(
    pool: &PgPool,
    device_id: &str,
    device_order_ref: &str,
) -> sqlx::Result<Option<OrderRow>> {
    if let Ok(id) = Uuid::try_parse(device_order_ref)
        && id.get_version_num() == 7
        && let Some(o) = get(pool, id).await?
        && o.device_id == device_id
        && o.device_order_ref == device_order_ref
    {
        return Ok(Some(o));
    }
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {PARTITION} FROM charging.orders WHERE device_id = $1 AND device_order_ref = $2 \
         ORDER BY created_at DESC LIMIT 1"
    )))
    .bind(device_id)
    .bind(device_order_ref)
    .fetch_optional(pool)
    .await
}

/// The live order on a port (the row `port_live_orders` keeps for it).
pub async fn live_on_port<'c>(
    db: impl PgExecutor<'c>,
    device_id: &str,
    port: i32,
) -> sqlx::Result<Option<OrderRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {PARTITION} FROM charging.orders WHERE \
         id = (SELECT order_id FROM charging.port_live_orders WHERE device_id = $1 AND port = $2) \
         AND created_at = (SELECT order_created_at FROM charging.port_live_orders WHERE device_id = $1 AND port = $2)"
    )))
    .bind(device_id)
    .bind(port)
    .fetch_optional(db)
    .await
}

/// Orders whose transitional state timed out.
pub async fn overdue<'c>(
    db: impl PgExecutor<'c>,
    now: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM charging.orders WHERE deadline < $1 ORDER BY deadline LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// What a pile's meter sample reports.
pub struct Meter<'a> {
    pub device_id: &'a str,
    pub port: i32,
    /// The pile's reference of the order it charges for (a DNY pile echoes its id).
    pub order_ref: &'a str,
    pub energy_wh: i64,
    pub at: DateTime<Utc>,
    pub power_dw: i32,
}

/// A pile's meter sample on the live order of its port; an older sample than the one
/// stored changes nothing (events of one device may arrive out of order). When the
/// reference is an order id the order is updated in its month's partition only (see
/// [`BY_ID_NEAR`]); otherwise, or when that order is not the port's charging one, the
/// port's live order is found through `port_live_orders`.
pub async fn record_meter(pool: &PgPool, m: &Meter<'_>) -> sqlx::Result<()> {
    const SET: &str = "SET last_meter_wh = $3, last_meter_at = $4, last_power_dw = $5, \
         max_power_dw = GREATEST(COALESCE(max_power_dw, 0), $5), updated_at = now()";
    const LIVE: &str = "state IN ('starting', 'charging', 'stopping') \
         AND (last_meter_at IS NULL OR last_meter_at <= $4)";
    if let Ok(id) = Uuid::try_parse(m.order_ref)
        && let Some((from, to)) = created_near(id)
    {
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE charging.orders {SET} WHERE id = $6 AND created_at >= $7 AND created_at < $8 \
             AND device_id = $1 AND port = $2 AND {LIVE}"
        )))
        .bind(m.device_id)
        .bind(m.port)
        .bind(m.energy_wh)
        .bind(m.at)
        .bind(m.power_dw)
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(pool)
        .await?;
        if done.rows_affected() > 0 {
            return Ok(());
        }
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE charging.orders {SET} \
         WHERE id = (SELECT order_id FROM charging.port_live_orders WHERE device_id = $1 AND port = $2) \
         AND created_at = (SELECT order_created_at FROM charging.port_live_orders WHERE device_id = $1 AND port = $2) \
         AND {LIVE}"
    )))
    .bind(m.device_id)
    .bind(m.port)
    .bind(m.energy_wh)
    .bind(m.at)
    .bind(m.power_dw)
    .execute(pool)
    .await?;
    Ok(())
}

/// What an order billed from its last meter sample records, without a transition (it
/// stays `needs_review` / `abnormal_end`).
pub struct MeterBill<'a> {
    pub amount_fen: i64,
    pub bill_id: &'a str,
    pub ended_at: DateTime<Utc>,
    pub energy_wh: i64,
    pub duration_secs: i64,
    pub failure: Option<&'a str>,
}

/// Records `bill` on order `o`: the amount and bill always; end, energy, duration and
/// failure only where the order has none yet (a late settlement's facts win).
pub async fn record_meter_bill<'c>(
    db: impl PgExecutor<'c>,
    o: &OrderRow,
    bill: &MeterBill<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE charging.orders SET amount_fen = $3, bill_id = $4, \
         ended_at = COALESCE(ended_at, $5), energy_wh = COALESCE(energy_wh, $6), \
         duration_secs = COALESCE(duration_secs, $7), failure = COALESCE(failure, $8), \
         version = version + 1, updated_at = now() WHERE id = $1 AND created_at = $2",
    )
    .bind(o.id)
    .bind(o.created_at)
    .bind(bill.amount_fen)
    .bind(bill.bill_id)
    .bind(bill.ended_at)
    .bind(bill.energy_wh)
    .bind(bill.duration_secs)
    .bind(bill.failure)
    .execute(db)
    .await?;
    Ok(())
}

/// Stops the sweeper watching an order (a state without a timeout rule, or a timeout
/// that cannot be applied).
pub async fn clear_deadline<'c>(db: impl PgExecutor<'c>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE charging.orders SET deadline = NULL WHERE {BY_ID}"
    )))
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v7_ids_window_holds_the_time_it_was_taken_and_other_ids_have_none() {
        let before = Utc::now();
        let id = Uuid::now_v7();
        let (from, to) = created_near(id).unwrap();
        // The id keeps milliseconds: the instant after it is within the hour after.
        assert!(from < before && before < to);
        assert!(to - from == chrono::Duration::hours(2));
        assert_eq!(created_near(Uuid::new_v4()), None);
        assert_eq!(created_near(Uuid::nil()), None);
    }

    #[test]
    fn only_an_orders_partition_is_written_directly() {
        assert_eq!(
            table_of("charging.orders_2026_11"),
            "charging.orders_2026_11"
        );
        assert_eq!(table_of("orders_2027_01"), "charging.orders_2027_01");
        assert_eq!(
            table_of("charging.orders_default"),
            "charging.orders_default"
        );
        for other in [
            "",
            "charging.orders",
            "charging.orders_2026_1",
            "charging.orders_2026-11",
            "charging.orders_2026_11; DROP TABLE x",
            "billing.bills",
        ] {
            assert_eq!(table_of(other), "charging.orders", "{other:?}");
        }
    }
}
