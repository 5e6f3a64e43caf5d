//! The crate's error: why a session could not be rated.

use crate::units::DeciWatts;
use crate::validate::TariffError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    /// The tariff failed [`crate::Tariff::validate`].
    #[error("invalid tariff: {0}")]
    InvalidTariff(#[from] TariffError),
    /// The session facts are inconsistent; `field` is the JSON path of the culprit.
    #[error("invalid session facts: {field}: {problem}")]
    InvalidFacts {
        field: String,
        problem: &'static str,
    },
    /// The tariff's power brackets all end below the settled power and none is
    /// open-ended. Billing must not guess a price: the operator fixes the tariff.
    #[error("settled power {settled} is above the highest power bracket ({highest})")]
    PowerAboveBrackets {
        settled: DeciWatts,
        highest: DeciWatts,
    },
    /// A date outside chrono's range; unreachable with facts that pass the limits.
    #[error("time out of range while placing time-of-use windows")]
    TimeOutOfRange,
    /// An amount does not fit in `i64` fen; unreachable within the limits.
    #[error("amount overflow")]
    Overflow,
}

impl RateError {
    pub(crate) fn facts(field: impl Into<String>, problem: &'static str) -> Self {
        RateError::InvalidFacts {
            field: field.into(),
            problem,
        }
    }
}
