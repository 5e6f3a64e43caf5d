//! What can go wrong in the payment service, and how callers see it.

use crate::domain::ledger::LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// Bad input; the message starts with the field.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An idempotency key reused for a different request.
    #[error("idempotency_key was used for another request ({0})")]
    KeyReused(String),
    /// A provider call failed (after which the reconciler asks again).
    #[error("provider: {0}")]
    Provider(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("events: {0}")]
    Bus(#[from] bus::BusError),
}

impl PaymentError {
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        PaymentError::Invalid(format!("{field}: {why}"))
    }
}

impl From<PaymentError> for tonic::Status {
    fn from(e: PaymentError) -> Self {
        let msg = e.to_string();
        match e {
            PaymentError::Invalid(_) => tonic::Status::invalid_argument(msg),
            PaymentError::NotFound(_) => tonic::Status::not_found(msg),
            PaymentError::Ledger(LedgerError::InsufficientFunds { .. })
            | PaymentError::Ledger(LedgerError::HoldSettled(_))
            | PaymentError::Ledger(LedgerError::CaptureExceedsHold { .. }) => {
                tonic::Status::failed_precondition(msg)
            }
            PaymentError::Ledger(_) => tonic::Status::invalid_argument(msg),
            PaymentError::KeyReused(_) => tonic::Status::already_exists(msg),
            PaymentError::Provider(_) => tonic::Status::unavailable(msg),
            PaymentError::Db(_) | PaymentError::Bus(_) => {
                tracing::error!(error = %msg, "payment request failed");
                tonic::Status::internal("internal error")
            }
        }
    }
}
