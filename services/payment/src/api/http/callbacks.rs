//! `POST /api/v1/payment/callbacks/{provider}`: provider notifications. No caller
//! authentication: the provider's signature is checked instead (app::callbacks).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use runtime::http::ApiError;

use crate::app::callbacks;
use crate::app::ctx::Ctx;

pub async fn receive(
    State(ctx): State<Ctx>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match callbacks::receive(&ctx, &provider, &headers, &body).await {
        Ok(ack) => ack.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}
