//! What can go wrong in the charging service, and how API callers see it (12xxx).

use axum::http::StatusCode;
use runtime::http::{ApiError, codes};

/// Business codes of this service (DESIGN §6).
pub mod code {
    pub const PORT_BUSY: u32 = 12001;
    pub const DEVICE_OFFLINE: u32 = 12002;
    pub const PORT_FAULT: u32 = 12003;
    pub const INVALID_TRANSITION: u32 = 12004;
    pub const DUPLICATE: u32 = 12005;
    pub const PAYMENT_DECLINED: u32 = 12006;
    pub const DEVICE_REFUSED: u32 = 12007;
    pub const NO_TARIFF: u32 = 12008;
    /// A registry record still in use (a site with devices, a gateway with sockets).
    pub const IN_USE: u32 = 12020;
}

#[derive(Debug, thiserror::Error)]
pub enum ChargingError {
    /// Bad input; the message starts with the field.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A business rule refused it: (HTTP status, 12xxx code, message).
    #[error("{2}")]
    Refused(StatusCode, u32, String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("events: {0}")]
    Bus(#[from] bus::BusError),
    /// Another service could not be reached.
    #[error("{0}")]
    Upstream(String),
}

impl ChargingError {
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        ChargingError::Invalid(format!("{field}: {why}"))
    }
}

impl From<ChargingError> for ApiError {
    fn from(e: ChargingError) -> Self {
        match e {
            ChargingError::Invalid(m) => {
                ApiError::new(StatusCode::BAD_REQUEST, codes::INVALID_ARGUMENT, m)
            }
            ChargingError::NotFound(what) => ApiError::not_found(&what),
            ChargingError::Refused(status, code, m) => ApiError::new(status, code, m),
            ChargingError::Upstream(m) => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, codes::UNAVAILABLE, m)
            }
            e @ (ChargingError::Db(_) | ChargingError::Bus(_)) => ApiError::internal(&e),
        }
    }
}
