//! History endpoints: the operators' order list and CSV export (filtered to their scope,
//! `orders:read` at the order's node), an order's transitions, a driver's receipt.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use futures::StreamExt;
use runtime::auth::{Auth, Caller};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiResult, Page, Paged, ok};
use uuid::Uuid;

use super::{OrderView, OrdersRead, uuid, visible};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::orders::history::filter::{Audience, HistoryQuery};
use crate::orders::history::receipt::Receipt;
use crate::orders::history::{export as csv_export, list as history, receipt as receipts};
use crate::orders::store::history::{TransitionRow, transitions as load_transitions};
use crate::registry::app::lookup_tenant;
use crate::registry::store::Reach;

fn reach(auth: &Auth<OrdersRead>) -> Result<Reach, ChargingError> {
    Ok(Reach {
        tenant: lookup_tenant(auth)?,
        prefixes: auth.scopes().prefixes(),
    })
}

/// `GET /api/v1/charging/orders?user_id&device_id&site_id&state&from&to&limit&offset`:
/// the orders in the caller's scope, newest first.
pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<OrdersRead>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<Paged<OrderView>> {
    let q = HistoryQuery::parse(&pairs, Audience::Operator).map_err(ChargingError::from)?;
    let page = Page::new(q.limit, q.offset)?;
    let f = history::filter(&ctx, reach(&auth)?, &q).await?;
    let (rows, total) = history::page(&ctx, &f, page.sql()).await?;
    Ok(ok(Paged::counted(
        rows.iter().map(OrderView::from).collect(),
        total,
        page,
    )))
}

/// `GET /api/v1/charging/orders/export.csv` with the list's filters (no page): a CSV
/// stream of at most 366 days (default: the 31 days before `to`, which defaults to now).
pub async fn export(
    State(ctx): State<Ctx>,
    auth: Auth<OrdersRead>,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let mut q = HistoryQuery::parse(&pairs, Audience::Export).map_err(ChargingError::from)?;
    let (from, to) = q.export_range(Utc::now()).map_err(ChargingError::from)?;
    (q.from, q.to) = (Some(from), Some(to));
    let f = history::filter(&ctx, reach(&auth)?, &q).await?;
    let body = csv_export::stream(ctx.pool.clone(), f, to).map(|chunk| {
        chunk.map_err(|e| {
            tracing::error!(error = %e, "order export cut short");
            std::io::Error::other("order export failed")
        })
    });
    let filename = format!(
        "attachment; filename=\"orders-{}-{}.csv\"",
        from.format("%Y%m%dT%H%M%SZ"),
        to.format("%Y%m%dT%H%M%SZ")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, filename),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// `GET /api/v1/charging/orders/{id}/transitions`: the order's state changes, oldest
/// first, for its payer or staff with `orders:read` at its node.
pub async fn transitions(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Vec<TransitionRow>> {
    let o = visible(&ctx, &caller.0, &id, "orders:read").await?;
    Ok(ok(load_transitions(&ctx.pool, o.id)
        .await
        .map_err(ChargingError::from)?))
}

/// `GET /api/v1/charging/me/orders/{id}/receipt`: the caller's settled order's receipt.
pub async fn receipt(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Receipt> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("order"))?;
    let tenant = uuid("tenant", &caller.tenant)?;
    let user = uuid("user", &caller.subject)?;
    Ok(ok(receipts::receipt(&ctx, tenant, user, id).await?))
}
