//! REST under `/api/v1/charging`: each capability's routes, and `info`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use runtime::ServiceContext;
use runtime::http::{ApiResult, ok};
use runtime::service::InfoView;

use crate::ctx::Ctx;

pub fn router(ctx: Ctx, svc: ServiceContext) -> Router {
    let api = Router::new()
        .merge(crate::registry::http::routes())
        .merge(crate::live::http::routes())
        .merge(crate::orders::http::routes())
        .merge(crate::operations::http::routes())
        .merge(crate::stations::http::routes())
        .with_state(ctx);
    Router::new()
        .route("/api/v1/charging/info", get(info))
        .with_state(svc)
        .merge(api)
}

/// `GET /api/v1/charging/info`: who is serving (the REST twin of the `GetInfo` RPC).
async fn info(State(svc): State<ServiceContext>) -> ApiResult<InfoView> {
    Ok(ok(svc.info_view()))
}
