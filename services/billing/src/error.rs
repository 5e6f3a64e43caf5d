//! Billing's one error type. Codes (13xxx) and statuses are assigned in one place,
//! [`crate::api::error`].

use pricing::RateError;
use runtime::auth::Denied;

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// Bad input; the message starts with the field.
    #[error("{0}")]
    Invalid(String),
    /// A tariff body that fails the engine's validation; the message names the field.
    #[error("invalid tariff: {0}")]
    InvalidTariff(String),
    /// Session facts the engine refuses; the message names the field.
    #[error("invalid session facts: {0}")]
    InvalidFacts(String),
    /// A valid tariff that cannot price these facts (e.g. power above every bracket):
    /// the operator has to fix the tariff.
    #[error("the tariff cannot price this session: {0}")]
    Unrateable(String),
    /// No assignment covers the node, or its tariff has no version in effect yet.
    #[error("{0}")]
    NoTariff(String),
    #[error("a tariff named {0:?} already exists")]
    TariffNameTaken(String),
    #[error("bill of order {0:?} is already in an invoice request")]
    AlreadyInvoiced(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("permission denied")]
    Forbidden,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("bus: {0}")]
    Bus(#[from] bus::BusError),
    #[error("internal: {0}")]
    Internal(String),
}

impl BillingError {
    pub fn invalid(field: &str, why: impl std::fmt::Display) -> Self {
        BillingError::Invalid(format!("{field}: {why}"))
    }
}

impl From<Denied> for BillingError {
    fn from(d: Denied) -> Self {
        match d {
            // Another tenant's things do not exist for the caller.
            Denied::OtherTenant => BillingError::NotFound("resource"),
            Denied::Permission => BillingError::Forbidden,
        }
    }
}

impl From<RateError> for BillingError {
    fn from(e: RateError) -> Self {
        match e {
            // Stored tariffs were validated when stored; one failing now means the
            // engine's rules tightened, which the operator fixes with a new version.
            RateError::InvalidTariff(t) => BillingError::Unrateable(t.to_string()),
            RateError::InvalidFacts { field, problem } => {
                BillingError::InvalidFacts(format!("{field}: {problem}"))
            }
            other => BillingError::Unrateable(other.to_string()),
        }
    }
}

pub type Result<T, E = BillingError> = std::result::Result<T, E>;
