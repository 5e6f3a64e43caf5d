//! The one place payment errors become API errors: codes 14xxx (DESIGN §6).

use axum::http::StatusCode;
use runtime::http::{ApiError, codes};

use crate::domain::ledger::LedgerError;
use crate::error::PaymentError;

pub mod code {
    pub const INSUFFICIENT_FUNDS: u32 = 14001;
    pub const HOLD_SETTLED: u32 = 14002;
    pub const KEY_REUSED: u32 = 14003;
    pub const PROVIDER_UNAVAILABLE: u32 = 14004;
    pub const CAPTURE_EXCEEDS_HOLD: u32 = 14005;
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        let msg = e.to_string();
        let (status, code) = match &e {
            PaymentError::Invalid(_) => (StatusCode::BAD_REQUEST, codes::INVALID_ARGUMENT),
            PaymentError::NotFound(what) => return ApiError::not_found(what),
            PaymentError::Ledger(LedgerError::InsufficientFunds { .. }) => {
                (StatusCode::CONFLICT, code::INSUFFICIENT_FUNDS)
            }
            PaymentError::Ledger(LedgerError::HoldSettled(_)) => {
                (StatusCode::CONFLICT, code::HOLD_SETTLED)
            }
            PaymentError::Ledger(LedgerError::CaptureExceedsHold { .. }) => {
                (StatusCode::BAD_REQUEST, code::CAPTURE_EXCEEDS_HOLD)
            }
            PaymentError::Ledger(_) => (StatusCode::BAD_REQUEST, codes::INVALID_ARGUMENT),
            PaymentError::KeyReused(_) => (StatusCode::CONFLICT, code::KEY_REUSED),
            PaymentError::Provider(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, code::PROVIDER_UNAVAILABLE)
            }
            PaymentError::Db(_) | PaymentError::Bus(_) => return ApiError::internal(&e),
        };
        ApiError::new(status, code, msg)
    }
}
