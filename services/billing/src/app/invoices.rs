//! Listing and exporting invoice requests. Staff with `invoices:read` see the requests
//! within their scope; anyone else (drivers) sees only their own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use runtime::auth::Principal;
use runtime::http::Page;
use uuid::Uuid;

use super::{Ctx, list_tenant};
use crate::domain::export::{ExportInput, ExportRow};
use crate::error::{BillingError, Result};
use crate::store;
use crate::store::invoices::{InvoiceRequestRow, RequestBillRow, RequestFilter};

/// Most requests one export returns; a larger one is refused and must be narrowed with
/// `from`/`to`, so one request cannot make the service hold a whole table.
pub const MAX_EXPORT_ROWS: usize = 10_000;

pub const READ: &str = "invoices:read";

/// A request with its bills.
pub struct RequestRecord {
    pub row: InvoiceRequestRow,
    pub bills: Vec<RequestBillRow>,
}

#[derive(Default)]
pub struct Query {
    pub tenant_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What `p` may see: staff their scope, others their own requests.
fn filter(p: &Principal, q: &Query) -> Result<RequestFilter> {
    let staff = p.can_anywhere(READ);
    Ok(RequestFilter {
        tenant: list_tenant(p, q.tenant_id)?,
        prefixes: if staff {
            p.scopes(READ).prefixes()
        } else {
            None
        },
        requested_by: if staff { None } else { Some(p.subject.clone()) },
        from: q.from,
        to: q.to,
    })
}

pub async fn list(
    ctx: &Ctx,
    p: &Principal,
    q: &Query,
    page: Page,
) -> Result<(Vec<RequestRecord>, i64)> {
    let (rows, total) = store::invoices::list(&ctx.pool, &filter(p, q)?, page.sql()).await?;
    Ok((with_bills(ctx, rows).await?, total))
}

/// The e-invoice data export (callers hold `invoices:read`; the adapter checks).
pub async fn export(ctx: &Ctx, p: &Principal, q: &Query) -> Result<Vec<ExportRow>> {
    let f = filter(p, q)?;
    let max = i64::try_from(MAX_EXPORT_ROWS + 1).unwrap_or(i64::MAX);
    let rows = store::invoices::export(&ctx.pool, &f, max).await?;
    if rows.len() > MAX_EXPORT_ROWS {
        return Err(BillingError::invalid(
            "from",
            format!("the export has more than {MAX_EXPORT_ROWS} requests: narrow it with from/to"),
        ));
    }
    Ok(with_bills(ctx, rows)
        .await?
        .into_iter()
        .map(|r| {
            ExportInput {
                request_id: r.row.id.to_string(),
                requested_at: r.row.created_at,
                requested_by: r.row.requested_by,
                title_kind: r.row.title_kind,
                title: r.row.title,
                tax_id: r.row.tax_id,
                email: r.row.email,
                total_fen: r.row.total_fen,
                order_refs: r.bills.into_iter().map(|b| b.order_ref).collect(),
            }
            .into()
        })
        .collect())
}

async fn with_bills(ctx: &Ctx, rows: Vec<InvoiceRequestRow>) -> Result<Vec<RequestRecord>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut bills: HashMap<Uuid, Vec<RequestBillRow>> = HashMap::new();
    for b in store::invoices::bills_of(&ctx.pool, &ids).await? {
        bills.entry(b.request_id).or_default().push(b);
    }
    Ok(rows
        .into_iter()
        .map(|row| RequestRecord {
            bills: bills.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}
