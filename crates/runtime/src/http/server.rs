//! Assembles the one HTTP router of a process: every enabled service's routes, health,
//! metrics, and the middleware every request passes through.

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use super::envelope::ApiError;
use super::health::Health;
use crate::config::HttpConfig;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The full router: `services` merged, plus `/healthz`, `/readyz`, `/metrics`, a 404 in the
/// envelope for everything else, and the shared middleware (request ids, tracing with
/// remote trace context, metrics, body limit, timeout, errors in the envelope).
pub fn app(services: Router, health: &Health, cfg: &HttpConfig) -> Router {
    let routes = services
        .merge(health.router())
        .merge(super::metrics::router())
        .fallback(|| async { ApiError::from_status(StatusCode::NOT_FOUND) })
        .layer(DefaultBodyLimit::max(cfg.body_limit_bytes));

    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(crate::telemetry::request_span))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(middleware::from_fn(super::metrics::track))
        .layer(middleware::from_fn(envelope_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(cfg.request_timeout_secs),
        ))
        .layer(RequestBodyLimitLayer::new(cfg.body_limit_bytes));
    routes.layer(stack)
}

/// Errors made by middleware or axum itself (413 from the body limit, 405, 408) come as
/// plain text; rewrite them into the envelope so clients see one error shape.
async fn envelope_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return res;
    }
    let mut enveloped = ApiError::from_status(status).into_response();
    if let Some(allow) = res.headers().get(header::ALLOW) {
        enveloped.headers_mut().insert(header::ALLOW, allow.clone());
    }
    enveloped
}

/// Serves `app` on `listener` until `shutdown`, then lets in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    // Without TCP_NODELAY a response written in more than one piece waits for the
    // peer's (delayed) ACK of the first: tens of milliseconds on a keep-alive connection.
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set on an HTTP connection");
        }
    });
    // With the peer address, for audit logs and per-client limits (`auth::ClientIp`).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move { shutdown.cancelled().await })
    .await
}
