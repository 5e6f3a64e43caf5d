//! Pylon's pricing engine: a pure function from a tariff and the facts of a charging
//! session to an itemised bill in fen. No I/O, no clocks, no SQL — the billing service
//! stores tariffs, gathers facts and persists bills; this crate only computes.
//!
//! - [`Tariff`] — energy (flat or time-of-use 尖峰平谷), time ladder, power brackets,
//!   idle fee, free minutes, minimum and maximum; serde both ways, checked by
//!   [`Tariff::validate`].
//! - [`rate`] — [`SessionFacts`] → [`Bill`]; [`quote`] — a planned session → [`Bill`].
//! - Money is `i64` fen; prices are milli-fen; each line item is rounded once, half-up
//!   (`rounding.rs`), and the total is the sum of the items.
//!
//! The model, formulas, rounding rules and worked examples are in `docs/billing.md`.

mod apportion;
mod bill;
mod error;
mod facts;
pub mod limits;
mod quote;
mod rate;
mod rounding;
mod tariff;
mod units;
mod validate;
mod zone;

pub use bill::{Bill, Component, Currency, LineItem, PriceUnit, Quantity, QuantityUnit, UnitPrice};
pub use error::RateError;
pub use facts::{Energy, MeterSample, SessionFacts};
pub use quote::{Plan, QuoteRequest, quote};
pub use rate::rate;
pub use tariff::{
    EnergyFee, EnergyPrice, IdleFee, LadderStep, PartialUnit, PeriodKind, PowerBracket, PowerFee,
    Tariff, TimeFee, TimeOfUse, TouPeriod,
};
pub use units::{ClockTime, ClockTimeError, DeciWatts, Fen, MilliFen, Wh};
pub use validate::TariffError;
pub use zone::{UnknownTimeZone, Zone};
