//! REST under `/api/v1/identity`.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use runtime::ServiceContext;
use runtime::http::{ApiResult, ok};
use runtime::service::InfoView;

pub fn router(ctx: ServiceContext) -> Router {
    Router::new()
        .route("/api/v1/identity/info", get(info))
        .with_state(ctx)
}

/// `GET /api/v1/identity/info`: who is serving (the REST twin of the `GetInfo` RPC).
async fn info(State(ctx): State<ServiceContext>) -> ApiResult<InfoView> {
    Ok(ok(ctx.info_view()))
}
