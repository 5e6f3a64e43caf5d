//! `/api/v1/billing/bills` (staff with `bills:read`) and `/me/bills` (the payer's own).

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use runtime::auth::{Auth, Caller};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::BillsRead;
use super::views::BillView;
use crate::app::{self, Ctx, list_tenant, scope_of, stored_path, tenant_of};
use crate::store::bills::BillFilter;

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
    order_ref: Option<String>,
    /// Only bills whose device amount differs beyond the tolerance (or only others).
    flagged: Option<bool>,
    /// Issued at or after.
    from: Option<DateTime<Utc>>,
    /// Issued before.
    to: Option<DateTime<Utc>>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<BillsRead>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<BillView>> {
    let f = BillFilter {
        tenant: list_tenant(&auth, q.tenant_id)?,
        prefixes: auth.scopes().prefixes(),
        order_ref: q.order_ref.filter(|s| !s.is_empty()),
        payer_id: None,
        flagged: q.flagged,
        from: q.from,
        to: q.to,
    };
    let (rows, total) = app::bills::list(&ctx, &f, page).await?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(BillView::from).collect(),
        total,
        page,
    )))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<BillsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<BillView> {
    let b = app::bills::get(&ctx, scope_of(&auth)?, id).await?;
    auth.at(&stored_path(&b.row.node_path)?)?;
    Ok(ok(BillView::from(b)))
}

#[derive(Deserialize)]
pub struct MineQuery {
    order_ref: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// The caller's own bills (those they paid), whatever their roles.
pub async fn mine(
    State(ctx): State<Ctx>,
    caller: Caller,
    page: Page,
    ApiQuery(q): ApiQuery<MineQuery>,
) -> ApiResult<Paged<BillView>> {
    let f = BillFilter {
        tenant: Some(tenant_of(&caller)?),
        prefixes: None,
        order_ref: q.order_ref.filter(|s| !s.is_empty()),
        payer_id: Some(caller.subject.clone()),
        flagged: None,
        from: q.from,
        to: q.to,
    };
    let (rows, total) = app::bills::list(&ctx, &f, page).await?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(BillView::from).collect(),
        total,
        page,
    )))
}
