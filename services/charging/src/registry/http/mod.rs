//! REST routes of the registry under `/api/v1/charging` (docs/charging.md "Registry").

mod batch;
mod devices;
mod models;
mod perms;
mod qr;
mod sites;
mod views;

use axum::Router;
use axum::routing::{get, post};

use crate::ctx::Ctx;

pub fn routes() -> Router<Ctx> {
    Router::new()
        .route(
            "/api/v1/charging/sites",
            get(sites::list).post(sites::create),
        )
        .route(
            "/api/v1/charging/sites/{id}",
            get(sites::get).patch(sites::update).delete(sites::delete),
        )
        .route(
            "/api/v1/charging/models",
            get(models::list).post(models::create),
        )
        .route(
            "/api/v1/charging/devices",
            get(devices::list).post(devices::create),
        )
        .route("/api/v1/charging/devices/import", post(batch::import))
        .route("/api/v1/charging/devices/export", get(batch::export))
        .route("/api/v1/charging/devices/bind", post(batch::bind))
        .route(
            "/api/v1/charging/devices/{id}",
            get(devices::get)
                .patch(devices::update)
                .delete(devices::delete),
        )
        .route("/api/v1/charging/devices/{id}/ports", get(devices::ports))
        .route(
            "/api/v1/charging/devices/{id}/provision",
            post(batch::provision),
        )
        .route("/api/v1/charging/qr/{code}", get(qr::resolve))
}
