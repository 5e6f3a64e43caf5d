//! REST under `/api/v1/payment`: a driver's wallet, top-ups and payments; finance's
//! wallets, refunds and reconciliation; the providers' callbacks.

mod callbacks;
mod finance;
mod perms;
mod views;
mod wallet;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use runtime::ServiceContext;
use runtime::http::{ApiError, ApiResult, ok};
use runtime::service::InfoView;

use crate::app::ctx::Ctx;

pub fn router(ctx: Ctx, svc: ServiceContext) -> Router {
    let api = Router::new()
        .route("/api/v1/payment/wallet", get(wallet::mine))
        .route("/api/v1/payment/wallet/statement", get(wallet::statement))
        .route("/api/v1/payment/top-ups", post(wallet::top_up))
        .route("/api/v1/payment/payments", get(wallet::payments))
        .route("/api/v1/payment/payments/{id}", get(wallet::payment))
        .route(
            "/api/v1/payment/wallets/{kind}/{owner_id}",
            get(finance::wallet),
        )
        .route(
            "/api/v1/payment/wallets/{kind}/{owner_id}/credit-limit",
            put(finance::credit_limit),
        )
        .route("/api/v1/payment/refunds", post(finance::refund))
        .route("/api/v1/payment/refunds/{id}", get(finance::get_refund))
        .route(
            "/api/v1/payment/reconciliation",
            get(finance::reconciliation),
        )
        .route(
            "/api/v1/payment/callbacks/{provider}",
            post(callbacks::receive),
        )
        .with_state(ctx);
    Router::new()
        .route("/api/v1/payment/info", get(info))
        .with_state(svc)
        .merge(api)
}

/// `GET /api/v1/payment/info`: who is serving (the REST twin of the `GetInfo` RPC).
async fn info(State(svc): State<ServiceContext>) -> ApiResult<InfoView> {
    Ok(ok(svc.info_view()))
}

/// The `Idempotency-Key` header every mutating call needs.
fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 128)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::invalid("Idempotency-Key header: required, 1 to 128 characters"))
}
