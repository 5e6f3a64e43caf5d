//! REST of remote operations and OTA campaigns under `/api/v1/charging`
//! (docs/charging.md "Remote operations and OTA").

mod audit;
mod campaigns;
mod devices;
mod views;

use axum::Router;
use axum::routing::{get, post, put};

use crate::ctx::Ctx;

runtime::permission!(pub DevicesRead = "devices:read");
runtime::permission!(pub DevicesOperate = "devices:operate");

pub fn routes() -> Router<Ctx> {
    Router::new()
        .route(
            "/api/v1/charging/devices/{id}/reboot",
            post(devices::reboot),
        )
        .route(
            "/api/v1/charging/devices/{id}/parameters",
            get(devices::get_parameters).put(devices::set_parameters),
        )
        .route(
            "/api/v1/charging/devices/{id}/voice",
            put(devices::set_voice),
        )
        .route(
            "/api/v1/charging/devices/{id}/operations",
            get(devices::operations),
        )
        .route("/api/v1/charging/operations", get(audit::list))
        .route("/api/v1/charging/ota/firmware", post(campaigns::upload))
        .route(
            "/api/v1/charging/ota/campaigns",
            get(campaigns::list).post(campaigns::create),
        )
        .route(
            "/api/v1/charging/ota/campaigns/{id}",
            get(campaigns::get_one),
        )
        .route(
            "/api/v1/charging/ota/campaigns/{id}/devices",
            get(campaigns::devices),
        )
        .route(
            "/api/v1/charging/ota/campaigns/{id}/{action}",
            post(campaigns::act),
        )
}
