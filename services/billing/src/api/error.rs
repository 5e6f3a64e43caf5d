//! The one place billing's errors become API errors: codes 13xxx (DESIGN §6).

use axum::http::StatusCode;
use runtime::http::{ApiError, codes};

use crate::error::BillingError;

pub mod code {
    /// A tariff body failed validation; the message names the field.
    pub const INVALID_TARIFF: u32 = 13001;
    /// No tariff applies to the node at that instant.
    pub const NO_TARIFF: u32 = 13002;
    /// Session facts the engine refuses; the message names the field.
    pub const INVALID_FACTS: u32 = 13003;
    /// The tariff cannot price the session (e.g. power above every bracket).
    pub const UNRATEABLE: u32 = 13004;
    pub const TARIFF_NAME_TAKEN: u32 = 13005;
    pub const ALREADY_INVOICED: u32 = 13006;
}

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> Self {
        use BillingError as E;
        let msg = e.to_string();
        let (status, code) = match &e {
            E::Invalid(_) => (StatusCode::BAD_REQUEST, codes::INVALID_ARGUMENT),
            E::InvalidTariff(_) => (StatusCode::BAD_REQUEST, code::INVALID_TARIFF),
            E::InvalidFacts(_) => (StatusCode::BAD_REQUEST, code::INVALID_FACTS),
            E::Unrateable(_) => (StatusCode::UNPROCESSABLE_ENTITY, code::UNRATEABLE),
            E::NoTariff(_) => (StatusCode::NOT_FOUND, code::NO_TARIFF),
            E::TariffNameTaken(_) => (StatusCode::CONFLICT, code::TARIFF_NAME_TAKEN),
            E::AlreadyInvoiced(_) => (StatusCode::CONFLICT, code::ALREADY_INVOICED),
            E::NotFound(what) => return ApiError::not_found(what),
            E::Forbidden => return ApiError::from_status(StatusCode::FORBIDDEN),
            E::Database(_) | E::Bus(_) | E::Internal(_) => return ApiError::internal(&e),
        };
        ApiError::new(status, code, msg)
    }
}

impl From<BillingError> for tonic::Status {
    fn from(e: BillingError) -> Self {
        ApiError::from(e).to_grpc()
    }
}
