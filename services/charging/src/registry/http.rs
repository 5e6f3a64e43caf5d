//! REST routes of the `registry` capability, under `/api/v1/charging`.

use axum::Router;

use crate::ctx::Ctx;

pub fn routes() -> Router<Ctx> {
    Router::new()
}
