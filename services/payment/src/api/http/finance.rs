//! Finance: any wallet of the tenant, credit limits, refunds, reconciliation. Wallets
//! and payments belong to the tenant as a whole, so these need the permission at the
//! operator node.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use runtime::auth::{Auth, OrgPath, Permission, Principal};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiJson, ApiResult, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::{PaymentsRead, PaymentsUpdate, RefundsCreate};
use super::views;
use crate::app::ctx::Ctx;
use crate::app::reconcile::{self, Discrepancy};
use crate::app::{refunds, wallets};

fn tenant_wide<P: Permission>(auth: &Auth<P>) -> Result<Uuid, ApiError> {
    let root = OrgPath::root(&auth.tenant)
        .map_err(|_| ApiError::from_status(axum::http::StatusCode::FORBIDDEN))?;
    auth.at(&root)?;
    tenant_of(auth)
}

fn tenant_of(p: &Principal) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&p.tenant).map_err(|_| ApiError::from_status(axum::http::StatusCode::FORBIDDEN))
}

fn owner(tenant: Uuid, kind: &str, id: &str) -> Result<wallets::Owner, ApiError> {
    Ok(wallets::Owner::parse(&tenant.to_string(), kind, id)?)
}

/// `GET /api/v1/payment/wallets/{kind}/{owner_id}`
pub async fn wallet(
    State(ctx): State<Ctx>,
    auth: Auth<PaymentsRead>,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult<views::Wallet> {
    let tenant = tenant_wide(&auth)?;
    let w = wallets::view(&ctx.pool, &owner(tenant, &kind, &id)?).await?;
    Ok(ok(views::Wallet::from(&w)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditBody {
    credit_limit_fen: i64,
}

/// `PUT /api/v1/payment/wallets/{kind}/{owner_id}/credit-limit`
pub async fn credit_limit(
    State(ctx): State<Ctx>,
    auth: Auth<PaymentsUpdate>,
    Path((kind, id)): Path<(String, String)>,
    ApiJson(b): ApiJson<CreditBody>,
) -> ApiResult<views::Wallet> {
    let tenant = tenant_wide(&auth)?;
    let w = wallets::set_credit_limit(&ctx.pool, &owner(tenant, &kind, &id)?, b.credit_limit_fen)
        .await?;
    Ok(ok(views::Wallet::from(&w)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    payment_id: Uuid,
    amount_fen: i64,
    reason: String,
}

/// `POST /api/v1/payment/refunds` (header `Idempotency-Key`)
pub async fn refund(
    State(ctx): State<Ctx>,
    auth: Auth<RefundsCreate>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<RefundBody>,
) -> ApiResult<views::Refund> {
    let key = super::idempotency_key(&headers)?;
    let tenant = tenant_wide(&auth)?;
    let r = refunds::refund(&ctx, tenant, b.payment_id, b.amount_fen, &b.reason, &key).await?;
    Ok(ok(views::Refund::from(&r)))
}

/// `GET /api/v1/payment/refunds/{id}`
pub async fn get_refund(
    State(ctx): State<Ctx>,
    auth: Auth<PaymentsRead>,
    Path(id): Path<String>,
) -> ApiResult<views::Refund> {
    let tenant = tenant_wide(&auth)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("refund"))?;
    let r = refunds::get(&ctx, tenant, id).await?;
    Ok(ok(views::Refund::from(&r)))
}

#[derive(Deserialize)]
pub struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// `GET /api/v1/payment/reconciliation?from=…&to=…`: payments of the window whose
/// provider says otherwise than our books.
pub async fn reconciliation(
    State(ctx): State<Ctx>,
    auth: Auth<PaymentsRead>,
    ApiQuery(w): ApiQuery<Window>,
) -> ApiResult<Vec<Discrepancy>> {
    let tenant = tenant_wide(&auth)?;
    if w.to <= w.from || w.to - w.from > chrono::Duration::days(31) {
        return Err(ApiError::invalid(
            "to: after from, and at most 31 days later",
        ));
    }
    Ok(ok(reconcile::audit(&ctx, tenant, w.from, w.to).await?))
}
