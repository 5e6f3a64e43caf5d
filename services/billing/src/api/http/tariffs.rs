//! `/api/v1/billing/tariffs`, `/tariffs/resolve` and `/assignments`.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use pricing::Tariff;
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::{TariffsCreate, TariffsRead, TariffsUpdate};
use super::views::{AssignmentView, ResolvedView, TariffSummaryView, TariffView, VersionView};
use crate::app::{self, Ctx, list_tenant, org_path, scope_of, stored_path};
use crate::error::BillingError;
use crate::store::assignments::AssignmentFilter;
use crate::store::tariffs::TariffFilter;

#[derive(Deserialize)]
pub struct ListQuery {
    /// Platform administrators only; others always see their own tenant.
    tenant_id: Option<Uuid>,
    /// A part of the name.
    q: Option<String>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsRead>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<TariffSummaryView>> {
    let f = TariffFilter {
        tenant: list_tenant(&auth, q.tenant_id)?,
        prefixes: auth.scopes().prefixes(),
        q: q.q.filter(|s| !s.is_empty()),
    };
    let (rows, total) = app::tariffs::list(&ctx, &f, page).await?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(TariffSummaryView::from).collect(),
        total,
        page,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    #[serde(default)]
    description: String,
    /// The owning node; the caller's tenant root by default.
    node_path: Option<String>,
    /// When version 1 takes effect; now by default, never in the past.
    effective_from: Option<DateTime<Utc>>,
    body: Tariff,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsCreate>,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<TariffView> {
    let node = match &b.node_path {
        Some(p) => org_path("node_path", p)?,
        None => auth
            .tenant_root()
            .map_err(|e| BillingError::Internal(e.to_string()))?,
    };
    auth.at(&node)?;
    let d = app::create_tariff::run(
        &ctx,
        &auth.subject,
        app::create_tariff::NewTariff {
            node,
            name: b.name,
            description: b.description,
            effective_from: b.effective_from,
            body: b.body,
        },
    )
    .await?;
    Ok(ok(TariffView::from(d)))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<TariffView> {
    let d = app::tariffs::get(&ctx, scope_of(&auth)?, id).await?;
    auth.at(&stored_path(&d.tariff.node_path)?)?;
    Ok(ok(TariffView::from(d)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    effective_from: Option<DateTime<Utc>>,
    body: Tariff,
}

pub async fn add_version(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsUpdate>,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<VersionView> {
    // A tariff's node never changes, so checking before the write is enough.
    let d = app::tariffs::get(&ctx, scope_of(&auth)?, id).await?;
    auth.at(&stored_path(&d.tariff.node_path)?)?;
    let v = app::add_version::run(
        &ctx,
        d.tariff.tenant_id,
        id,
        b.effective_from,
        &b.body,
        &auth.subject,
    )
    .await?;
    Ok(ok(VersionView::from(v)))
}

#[derive(Deserialize)]
pub struct ResolveQuery {
    node_path: String,
    /// Defaults to now.
    at: Option<DateTime<Utc>>,
}

pub async fn resolve(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsRead>,
    ApiQuery(q): ApiQuery<ResolveQuery>,
) -> ApiResult<ResolvedView> {
    let node = org_path("node_path", &q.node_path)?;
    auth.at(&node)?;
    let r = app::resolve::run(&ctx, &node, q.at.unwrap_or_else(Utc::now)).await?;
    Ok(ok(ResolvedView::new(r, true)))
}

#[derive(Deserialize)]
pub struct AssignmentsQuery {
    tenant_id: Option<Uuid>,
    tariff_id: Option<Uuid>,
}

pub async fn assignments(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsRead>,
    page: Page,
    ApiQuery(q): ApiQuery<AssignmentsQuery>,
) -> ApiResult<Paged<AssignmentView>> {
    let f = AssignmentFilter {
        tenant: list_tenant(&auth, q.tenant_id)?,
        prefixes: auth.scopes().prefixes(),
        tariff_id: q.tariff_id,
    };
    let (rows, total) = app::assignments::list(&ctx, &f, page).await?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(AssignmentView::from).collect(),
        total,
        page,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    node_path: String,
    tariff_id: Uuid,
}

pub async fn assign(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsUpdate>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<AssignmentView> {
    let node = org_path("node_path", &b.node_path)?;
    auth.at(&node)?;
    let a = app::assignments::assign(&ctx, &node, b.tariff_id, &auth.subject).await?;
    Ok(ok(AssignmentView::from(a)))
}

pub async fn unassign(
    State(ctx): State<Ctx>,
    auth: Auth<TariffsUpdate>,
    Path(id): Path<Uuid>,
) -> ApiResult<AssignmentView> {
    let a = app::assignments::get(&ctx, scope_of(&auth)?, id).await?;
    auth.at(&stored_path(&a.node_path)?)?;
    app::assignments::unassign(&ctx, &a).await?;
    Ok(ok(AssignmentView::from(a)))
}
