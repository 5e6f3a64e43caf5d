//! Quotes: what a planned session at a node would cost under the tariff in effect at its
//! start. Nothing is stored.

use chrono::{DateTime, Utc};
use pricing::{Bill, DeciWatts, Plan, QuoteRequest, RateError, Zone};
use runtime::auth::OrgPath;

use super::Ctx;
use super::resolve::{self, Resolved};
use crate::error::{BillingError, Result};

pub struct QuoteInput {
    pub node: OrgPath,
    /// Defaults to now.
    pub start: Option<DateTime<Utc>>,
    /// Defaults to Asia/Shanghai, the platform's default tenant zone.
    pub time_zone: Option<String>,
    pub plan: Plan,
    pub expected_power: DeciWatts,
}

pub async fn run(ctx: &Ctx, q: QuoteInput) -> Result<(Resolved, Bill)> {
    let time_zone = match q.time_zone.as_deref().filter(|z| !z.is_empty()) {
        None => Zone::SHANGHAI,
        Some(z) => Zone::parse(z).map_err(|e| BillingError::invalid("time_zone", e))?,
    };
    let start = q.start.unwrap_or_else(Utc::now);
    let resolved = resolve::run(ctx, &q.node, start).await?;
    let request = QuoteRequest {
        start,
        time_zone,
        plan: q.plan,
        expected_power: q.expected_power,
    };
    // A plan's mistakes are the caller's input, not session facts.
    let bill = pricing::quote(&resolved.body, &request).map_err(|e| match e {
        RateError::InvalidFacts { field, problem } => BillingError::invalid(&field, problem),
        other => other.into(),
    })?;
    Ok((resolved, bill))
}
