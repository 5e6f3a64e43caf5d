//! Reading the registry's `charging.devices` for campaign targets (this service's own
//! table; the registry owns its writes).

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::operations::domain::targets::Target;

#[derive(sqlx::FromRow)]
struct Row {
    device_id: String,
    protocol: String,
    kind: String,
    node_path: String,
}

impl From<Row> for Target {
    fn from(r: Row) -> Self {
        Target {
            device_id: r.device_id,
            protocol: r.protocol,
            kind: r.kind,
            node_path: r.node_path,
        }
    }
}

/// The named devices of `tenant` that exist.
pub async fn named<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    ids: &[String],
) -> sqlx::Result<Vec<Target>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT device_id, protocol, kind, node_path FROM charging.devices \
         WHERE tenant_id = $1 AND device_id = ANY($2)",
    )
    .bind(tenant)
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Target::from).collect())
}

/// Devices of `tenant` of `protocol` and `kind` below org node `node_id` (any depth)
/// and of model `model_id`, each filter when given; at most `max`.
pub async fn select<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    node_id: Option<&str>,
    model_id: Option<Uuid>,
    (protocol, kind): (&str, &str),
    max: i64,
) -> sqlx::Result<Vec<Target>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT device_id, protocol, kind, node_path FROM charging.devices \
         WHERE tenant_id = $1 AND protocol = $4 AND kind = $5 \
         AND ($2::text IS NULL OR strpos(node_path, '/' || $2 || '/') > 0) \
         AND ($3::uuid IS NULL OR model_id = $3) ORDER BY device_id LIMIT $6",
    )
    .bind(tenant)
    .bind(node_id)
    .bind(model_id)
    .bind(protocol)
    .bind(kind)
    .bind(max)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Target::from).collect())
}
