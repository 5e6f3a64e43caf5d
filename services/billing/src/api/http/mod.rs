//! REST under `/api/v1/billing` (docs/billing.md, "Service"). Handlers parse, check the
//! caller's permission on the node of what they touch, call `app`, and shape the answer.

mod bills;
mod invoices;
mod perms;
mod quotes;
mod tariffs;
mod views;

use axum::Router;
use axum::extract::State;
use axum::routing::{delete, get, post};
use runtime::ServiceContext;
use runtime::http::{ApiResult, ok};
use runtime::service::InfoView;

use crate::app::Ctx;

pub fn router(svc: ServiceContext, ctx: Ctx) -> Router {
    let info = Router::new()
        .route("/api/v1/billing/info", get(info))
        .with_state(svc);
    let api = Router::new()
        .route(
            "/api/v1/billing/tariffs",
            get(tariffs::list).post(tariffs::create),
        )
        .route("/api/v1/billing/tariffs/resolve", get(tariffs::resolve))
        .route("/api/v1/billing/tariffs/{id}", get(tariffs::get))
        .route(
            "/api/v1/billing/tariffs/{id}/versions",
            post(tariffs::add_version),
        )
        .route(
            "/api/v1/billing/assignments",
            get(tariffs::assignments).post(tariffs::assign),
        )
        .route(
            "/api/v1/billing/assignments/{id}",
            delete(tariffs::unassign),
        )
        .route("/api/v1/billing/quotes", post(quotes::quote))
        .route("/api/v1/billing/bills", get(bills::list))
        .route("/api/v1/billing/bills/{id}", get(bills::get))
        .route("/api/v1/billing/me/bills", get(bills::mine))
        .route(
            "/api/v1/billing/invoice-requests",
            get(invoices::list).post(invoices::create),
        )
        .route(
            "/api/v1/billing/invoice-requests/export",
            get(invoices::export),
        )
        .with_state(ctx);
    info.merge(api)
}

/// `GET /api/v1/billing/info`: who is serving (the REST twin of the `GetInfo` RPC).
async fn info(State(svc): State<ServiceContext>) -> ApiResult<InfoView> {
    Ok(ok(svc.info_view()))
}
