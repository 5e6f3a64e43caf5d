//! A driver's own wallet: balance, statement, top-ups and their payments.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use runtime::auth::{Auth, Principal};
use runtime::http::{ApiError, ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::{WalletRead, WalletTopup};
use super::views;
use crate::app::ctx::Ctx;
use crate::app::{payments, wallets};
use crate::store::{journal, payments as store};

/// The caller as a wallet owner.
pub(super) fn me(p: &Principal) -> Result<wallets::Owner, ApiError> {
    wallets::Owner::parse(&p.tenant, "user", &p.subject).map_err(ApiError::from)
}

/// `GET /api/v1/payment/wallet`
pub async fn mine(State(ctx): State<Ctx>, auth: Auth<WalletRead>) -> ApiResult<views::Wallet> {
    let w = wallets::view(&ctx.pool, &me(&auth)?).await?;
    Ok(ok(views::Wallet::from(&w)))
}

/// `GET /api/v1/payment/wallet/statement`: every movement, newest first.
pub async fn statement(
    State(ctx): State<Ctx>,
    auth: Auth<WalletRead>,
    page: Page,
) -> ApiResult<Paged<views::Line>> {
    let owner = me(&auth)?;
    let w = wallets::view(&ctx.pool, &owner).await?;
    let (limit, offset) = page.sql();
    let mut conn = ctx
        .pool
        .acquire()
        .await
        .map_err(crate::error::PaymentError::from)?;
    let lines = journal::statement(&mut conn, owner.tenant, w.wallet_id, limit, offset)
        .await
        .map_err(crate::error::PaymentError::from)?;
    let total = journal::count(&mut conn, w.wallet_id)
        .await
        .map_err(crate::error::PaymentError::from)?;
    Ok(ok(Paged::new(
        lines.iter().map(views::Line::from).collect(),
        total as u64,
        page,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopUpBody {
    amount_fen: i64,
    provider: String,
    /// `wechat_jsapi` (with `openid`), `wechat_native`, `alipay_precreate`,
    /// `alipay_create` (with `buyer_id`), `sandbox`.
    channel: String,
    openid: Option<String>,
    buyer_id: Option<String>,
}

/// `POST /api/v1/payment/top-ups` (header `Idempotency-Key`): opens a payment; the
/// wallet is credited when the provider confirms it.
pub async fn top_up(
    State(ctx): State<Ctx>,
    auth: Auth<WalletTopup>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<TopUpBody>,
) -> ApiResult<views::Payment> {
    let key = super::idempotency_key(&headers)?;
    let channel = payments::parse_channel(
        &b.channel,
        b.openid.as_deref().unwrap_or_default(),
        b.buyer_id.as_deref().unwrap_or_default(),
    )?;
    let p = payments::create_top_up(
        &ctx,
        payments::TopUp {
            owner: me(&auth)?,
            provider: &b.provider,
            channel,
            amount_fen: b.amount_fen,
            key: &key,
        },
    )
    .await?;
    Ok(ok(views::Payment::from(&p)))
}

/// `GET /api/v1/payment/payments`: the caller's payments, newest first.
pub async fn payments(
    State(ctx): State<Ctx>,
    auth: Auth<WalletRead>,
    page: Page,
) -> ApiResult<Paged<views::Payment>> {
    let owner = me(&auth)?;
    let (limit, offset) = page.sql();
    let rows = store::list_for_owner(
        &ctx.pool,
        owner.tenant,
        owner.kind,
        owner.id,
        limit + 1,
        offset,
    )
    .await
    .map_err(crate::error::PaymentError::from)?;
    // No count query: a page reports whether more follow.
    let total = offset as u64 + rows.len() as u64;
    Ok(ok(Paged::new(
        rows.iter()
            .take(limit as usize)
            .map(views::Payment::from)
            .collect(),
        total,
        page,
    )))
}

/// `GET /api/v1/payment/payments/{id}`: one of the caller's payments.
pub async fn payment(
    State(ctx): State<Ctx>,
    auth: Auth<WalletRead>,
    Path(id): Path<String>,
) -> ApiResult<views::Payment> {
    let owner = me(&auth)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("payment"))?;
    let p = payments::get(&ctx, owner.tenant, id).await?;
    if p.owner_id != owner.id {
        return Err(ApiError::not_found("payment"));
    }
    Ok(ok(views::Payment::from(&p)))
}
