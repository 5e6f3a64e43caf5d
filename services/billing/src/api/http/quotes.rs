//! `POST /api/v1/billing/quotes`: what a planned session at a site would cost.
//!
//! Drivers ask this before they plug in, and the built-in driver role holds `sites:read`
//! but no tariff permission; staff hold `tariffs:read`. Either one on the site is enough:
//! whoever may see a site may see what charging there costs (the price is on the pile
//! anyway).

use axum::extract::State;
use chrono::{DateTime, Utc};
use pricing::{DeciWatts, Plan};
use runtime::auth::{Caller, Denied, authorize};
use runtime::http::{ApiJson, ApiResult, ok};
use serde::Deserialize;

use super::views::{QuoteView, ResolvedView};
use crate::app::{self, Ctx, org_path};
use crate::error::BillingError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteBody {
    node_path: String,
    /// Defaults to now.
    start: Option<DateTime<Utc>>,
    /// IANA zone of the time-of-use windows; Asia/Shanghai by default.
    time_zone: Option<String>,
    /// `{"duration_seconds": 3600}` or `{"energy": 10000}` (Wh).
    plan: Plan,
    /// Constant power assumed, in 0.1 W.
    expected_power: DeciWatts,
}

pub async fn quote(
    State(ctx): State<Ctx>,
    caller: Caller,
    ApiJson(b): ApiJson<QuoteBody>,
) -> ApiResult<QuoteView> {
    let node = org_path("node_path", &b.node_path)?;
    match authorize(&caller, "tariffs:read", &node) {
        Ok(()) => {}
        Err(Denied::OtherTenant) => return Err(BillingError::NotFound("resource").into()),
        Err(Denied::Permission) => {
            authorize(&caller, "sites:read", &node).map_err(BillingError::from)?;
        }
    }
    let (resolved, bill) = app::quote::run(
        &ctx,
        app::quote::QuoteInput {
            node,
            start: b.start,
            time_zone: b.time_zone,
            plan: b.plan,
            expected_power: b.expected_power,
        },
    )
    .await?;
    Ok(ok(QuoteView {
        tariff: ResolvedView::new(resolved, false),
        bill,
    }))
}
