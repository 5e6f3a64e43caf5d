//! The rows behind a tariff resolution, read in one statement: the nearest assignment,
//! its tariff, and that tariff's version in effect. Three lookups on every quote and
//! every new order would otherwise be three round trips.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::assignments::AssignmentRow;
use super::tariffs::TariffRow;
use super::versions::VersionRow;

/// The nearest assignment and what it leads to; either of the last two may be missing
/// (a tariff deleted under its assignment, no version in effect yet).
pub struct ResolvedRows {
    pub assignment: AssignmentRow,
    pub tariff: Option<TariffRow>,
    pub version: Option<VersionRow>,
    /// When a later version of the tariff than the one in effect takes over, if one is
    /// scheduled.
    pub next_change: Option<DateTime<Utc>>,
}

/// `ancestors` are the node's path and the paths above it; the longest one assigned wins.
pub async fn nearest<'c>(
    db: impl PgExecutor<'c>,
    tenant: Uuid,
    ancestors: &[String],
    at: DateTime<Utc>,
) -> sqlx::Result<Option<ResolvedRows>> {
    let row = sqlx::query(
        "SELECT a.id AS a_id, a.node_path AS a_node_path, a.tariff_id AS a_tariff_id, \
                a.assigned_by AS a_assigned_by, a.assigned_at AS a_assigned_at, \
                t.id AS t_id, t.node_path AS t_node_path, t.name AS t_name, \
                t.description AS t_description, t.created_by AS t_created_by, t.created_at AS t_created_at, \
                v.version AS v_version, v.effective_from AS v_effective_from, v.body AS v_body, \
                v.created_by AS v_created_by, v.created_at AS v_created_at, n.next_change \
         FROM (SELECT id, node_path, tariff_id, assigned_by, assigned_at FROM billing.assignments \
               WHERE tenant_id = $1 AND node_path = ANY($2::text[]) \
               ORDER BY length(node_path) DESC LIMIT 1) a \
         LEFT JOIN billing.tariffs t ON t.tenant_id = $1 AND t.id = a.tariff_id \
         LEFT JOIN LATERAL (SELECT version, effective_from, body, created_by, created_at \
               FROM billing.tariff_versions \
               WHERE tenant_id = $1 AND tariff_id = a.tariff_id AND effective_from <= $3 \
               ORDER BY version DESC LIMIT 1) v ON true \
         LEFT JOIN LATERAL (SELECT min(effective_from) AS next_change \
               FROM billing.tariff_versions \
               WHERE tenant_id = $1 AND tariff_id = a.tariff_id AND effective_from > $3 \
               AND version > coalesce(v.version, 0)) n ON true",
    )
    .bind(tenant)
    .bind(ancestors)
    .bind(at)
    .fetch_optional(db)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let assignment = AssignmentRow {
        id: r.try_get("a_id")?,
        tenant_id: tenant,
        node_path: r.try_get("a_node_path")?,
        tariff_id: r.try_get("a_tariff_id")?,
        assigned_by: r.try_get("a_assigned_by")?,
        assigned_at: r.try_get("a_assigned_at")?,
    };
    let tariff = match r.try_get::<Option<Uuid>, _>("t_id")? {
        Some(id) => Some(TariffRow {
            id,
            tenant_id: tenant,
            node_path: r.try_get("t_node_path")?,
            name: r.try_get("t_name")?,
            description: r.try_get("t_description")?,
            created_by: r.try_get("t_created_by")?,
            created_at: r.try_get("t_created_at")?,
        }),
        None => None,
    };
    let version = match (tariff.as_ref(), r.try_get::<Option<i32>, _>("v_version")?) {
        (Some(t), Some(version)) => Some(VersionRow {
            tenant_id: tenant,
            tariff_id: t.id,
            version,
            effective_from: r.try_get("v_effective_from")?,
            body: r.try_get("v_body")?,
            created_by: r.try_get("v_created_by")?,
            created_at: r.try_get("v_created_at")?,
        }),
        _ => None,
    };
    Ok(Some(ResolvedRows {
        assignment,
        tariff,
        version,
        next_change: r.try_get("next_change")?,
    }))
}
