//! History queries over the partitioned `orders` (operators' list and export, drivers'
//! own list), an order's transitions, and the site an order was at. Every filter has
//! an index (`orders_user`, `orders_device`, `orders_site`, `orders_state`,
//! `orders_tenant_time`: tenant first, then newest first); the time range is written
//! so the planner reads only the months it covers.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::{COLUMNS, OrderRow};

/// What a history query reads: the caller's reach and the filters.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// `None`: every tenant (platform administrators).
    pub tenant: Option<Uuid>,
    /// Org path prefixes of the caller's scope; `None`: the whole tenant.
    pub prefixes: Option<Vec<String>>,
    pub user: Option<Uuid>,
    pub device: Option<String>,
    /// A site's node path: orders carry their device's path at the time of the order.
    pub node_path: Option<String>,
    pub states: Option<Vec<String>>,
    /// `created_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `created_at < to`.
    pub to: Option<DateTime<Utc>>,
}

// `COALESCE` rather than `$n IS NULL OR …` on `created_at`: partitions outside the
// range are pruned even with a generic plan.
macro_rules! filter {
    () => {
        " WHERE ($1::uuid IS NULL OR tenant_id = $1) \
         AND ($2::text[] IS NULL OR EXISTS (SELECT 1 FROM unnest($2::text[]) p WHERE starts_with(node_path, p))) \
         AND ($3::uuid IS NULL OR user_id = $3) \
         AND ($4::text IS NULL OR device_id = $4) \
         AND ($5::text IS NULL OR node_path = $5) \
         AND ($6::text[] IS NULL OR state = ANY($6)) \
         AND created_at >= COALESCE($7::timestamptz, '-infinity') \
         AND created_at < COALESCE($8::timestamptz, 'infinity') "
    };
}

macro_rules! bind_filter {
    ($q:expr, $f:expr) => {
        $q.bind($f.tenant)
            .bind(&$f.prefixes)
            .bind($f.user)
            .bind(&$f.device)
            .bind(&$f.node_path)
            .bind(&$f.states)
            .bind($f.from)
            .bind($f.to)
    };
}

/// A page of orders, newest first (ties broken by id, so pages never overlap).
pub async fn list<'c>(
    db: impl PgExecutor<'c>,
    f: &OrderFilter,
    (limit, offset): (i64, i64),
) -> sqlx::Result<Vec<OrderRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM charging.orders{} ORDER BY created_at DESC, id DESC LIMIT $9 OFFSET $10",
        filter!()
    );
    bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), f)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await
}

pub async fn count<'c>(db: impl PgExecutor<'c>, f: &OrderFilter) -> sqlx::Result<i64> {
    bind_filter!(
        sqlx::query_scalar(concat!("SELECT count(*) FROM charging.orders", filter!())),
        f
    )
    .fetch_one(db)
    .await
}

/// An order with the name of the site it was at (export rows).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderWithSite {
    #[sqlx(flatten)]
    pub order: OrderRow,
    pub site_name: Option<String>,
}

/// The next `limit` orders strictly older than `before` (`created_at`, `id`), newest
/// first: one batch of a streamed export (keyset, so each batch is an index range).
pub async fn batch_before<'c>(
    db: impl PgExecutor<'c>,
    f: &OrderFilter,
    before: (DateTime<Utc>, Uuid),
    limit: i64,
) -> sqlx::Result<Vec<OrderWithSite>> {
    let sql = format!(
        "SELECT {COLUMNS}, s.name AS site_name FROM charging.orders o \
         LEFT JOIN LATERAL (SELECT name FROM charging.sites st \
             WHERE st.tenant_id = o.tenant_id AND st.node_path = o.node_path LIMIT 1) s ON true{} \
         AND (created_at, id) < ($9, $10) ORDER BY created_at DESC, id DESC LIMIT $11",
        filter!()
    );
    bind_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), f)
        .bind(before.0)
        .bind(before.1)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// One row of an order's history.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct TransitionRow {
    pub at: DateTime<Utc>,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
}

/// An order's transitions, oldest first.
pub async fn transitions<'c>(
    db: impl PgExecutor<'c>,
    order: Uuid,
) -> sqlx::Result<Vec<TransitionRow>> {
    sqlx::query_as(
        "SELECT at, from_state, to_state, reason FROM charging.order_transitions \
         WHERE order_id = $1 ORDER BY at",
    )
    .bind(order)
    .fetch_all(db)
    .await
}

/// The registry's site at an org path (the site an order was at).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SiteAt {
    pub id: Uuid,
    pub name: String,
}

pub async fn site_at<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    node_path: &str,
) -> sqlx::Result<Option<SiteAt>> {
    sqlx::query_as(
        "SELECT id, name FROM charging.sites WHERE tenant_id = $1 AND node_path = $2 LIMIT 1",
    )
    .bind(tenant)
    .bind(node_path)
    .fetch_optional(db)
    .await
}
