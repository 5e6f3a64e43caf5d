//! runtime against real servers: the HTTP stack, configuration, readiness.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod clickhouse;
mod config;
mod db;
mod http;
mod readyz;

use axum::Router;

/// Serves `app` on an ephemeral port; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}
