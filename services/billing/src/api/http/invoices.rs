//! `/api/v1/billing/invoice-requests`: requests (staff or the paying driver), lists
//! (staff within their scope, drivers their own) and the e-invoice data export.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use runtime::auth::{Auth, Caller, OrgPath};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiJson, ApiResult, Page, Paged, ok};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::perms::InvoicesRead;
use super::views::InvoiceRequestView;
use crate::app::invoices::{Query, RequestRecord};
use crate::app::{self, Ctx};
use crate::domain::export::{self, ExportRow};
use crate::error::BillingError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    bill_ids: Vec<Uuid>,
    /// "personal" or "company".
    title_kind: String,
    title: String,
    /// Required for a company.
    tax_id: Option<String>,
    email: String,
}

pub async fn create(
    State(ctx): State<Ctx>,
    caller: Caller,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<InvoiceRequestView> {
    let (row, bills) = app::request_invoice::run(
        &ctx,
        &caller,
        app::request_invoice::NewRequest {
            bill_ids: b.bill_ids,
            title_kind: b.title_kind,
            title: b.title,
            tax_id: b.tax_id,
            email: b.email,
        },
    )
    .await?;
    Ok(ok(InvoiceRequestView::new(
        RequestRecord { row, bills },
        true,
    )))
}

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
    /// Requested at or after.
    from: Option<DateTime<Utc>>,
    /// Requested before.
    to: Option<DateTime<Utc>>,
}

impl From<ListQuery> for Query {
    fn from(q: ListQuery) -> Self {
        Query {
            tenant_id: q.tenant_id,
            from: q.from,
            to: q.to,
        }
    }
}

pub async fn list(
    State(ctx): State<Ctx>,
    caller: Caller,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<InvoiceRequestView>> {
    let (rows, total) = app::invoices::list(&ctx, &caller, &q.into(), page).await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let own = r.row.requested_by == caller.subject;
            let pii = OrgPath::parse(&r.row.node_path).is_ok_and(|p| caller.can("pii:read", &p));
            InvoiceRequestView::new(r, own || pii)
        })
        .collect();
    Ok(ok(Paged::counted(items, total, page)))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    /// "csv" (default) or "json".
    format: Option<String>,
    tenant_id: Option<Uuid>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
pub struct ExportJson {
    pub items: Vec<ExportRow>,
    pub count: usize,
}

/// The e-invoice data for the tax system, unmasked: issuing and delivering the invoice
/// is what `invoices:read` is for (docs/billing.md, "Invoice requests").
pub async fn export(
    State(ctx): State<Ctx>,
    auth: Auth<InvoicesRead>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_deref() {
        None | Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(BillingError::invalid("format", "must be csv or json").into()),
    };
    let query = Query {
        tenant_id: q.tenant_id,
        from: q.from,
        to: q.to,
    };
    let rows = app::invoices::export(&ctx, &auth, &query).await?;
    if !csv {
        let count = rows.len();
        return Ok(ok(ExportJson { items: rows, count }).into_response());
    }
    // Up to 10 000 rows of formatting: off the async workers.
    let body = tokio::task::spawn_blocking(move || export::csv(&rows))
        .await
        .map_err(|e| BillingError::Internal(format!("export task: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"invoice-requests.csv\"",
            ),
        ],
        body,
    )
        .into_response())
}
