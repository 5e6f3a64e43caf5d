//! Rewriting organization paths when identity moves a node: every path at or below the
//! old one gets the new prefix. Moves are rare operator actions; these statements scan
//! the tenant's rows, which is acceptable for them.

use sqlx::PgConnection;
use uuid::Uuid;

/// Rows whose paths changed, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    pub tariffs: u64,
    pub assignments: u64,
    pub bills: u64,
}

pub async fn rewrite(
    conn: &mut PgConnection,
    tenant: Uuid,
    old: &str,
    new: &str,
) -> sqlx::Result<Rewritten> {
    // Static statements per table: the table name is never spliced from data.
    const TARIFFS: &str = "UPDATE billing.tariffs SET node_path = $3 || substr(node_path, length($2) + 1) \
         WHERE tenant_id = $1 AND starts_with(node_path, $2)";
    const ASSIGNMENTS: &str = "UPDATE billing.assignments SET node_path = $3 || substr(node_path, length($2) + 1) \
         WHERE tenant_id = $1 AND starts_with(node_path, $2)";
    const BILLS: &str = "UPDATE billing.bills SET node_path = $3 || substr(node_path, length($2) + 1) \
         WHERE tenant_id = $1 AND starts_with(node_path, $2)";
    let mut n = [0u64; 3];
    for (i, sql) in [TARIFFS, ASSIGNMENTS, BILLS].into_iter().enumerate() {
        n[i] = sqlx::query(sql)
            .bind(tenant)
            .bind(old)
            .bind(new)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(Rewritten {
        tariffs: n[0],
        assignments: n[1],
        bills: n[2],
    })
}

/// Invoice requests with a bill at or below `path`, and the paths of all their bills.
pub async fn requests_with_bills_below(
    conn: &mut PgConnection,
    tenant: Uuid,
    path: &str,
) -> sqlx::Result<Vec<(Uuid, Vec<String>)>> {
    sqlx::query_as(
        "SELECT rb.request_id, array_agg(b.node_path) \
         FROM billing.invoice_request_bills rb \
         JOIN billing.bills b ON b.tenant_id = rb.tenant_id AND b.id = rb.bill_id \
         WHERE rb.tenant_id = $1 AND rb.request_id IN ( \
             SELECT rb2.request_id FROM billing.invoice_request_bills rb2 \
             JOIN billing.bills b2 ON b2.tenant_id = rb2.tenant_id AND b2.id = rb2.bill_id \
             WHERE rb2.tenant_id = $1 AND starts_with(b2.node_path, $2)) \
         GROUP BY rb.request_id",
    )
    .bind(tenant)
    .bind(path)
    .fetch_all(conn)
    .await
}

pub async fn set_request_path(
    conn: &mut PgConnection,
    tenant: Uuid,
    request: Uuid,
    path: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE billing.invoice_requests SET node_path = $3 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant)
    .bind(request)
    .bind(path)
    .execute(conn)
    .await?;
    Ok(())
}
