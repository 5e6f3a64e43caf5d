//! Settling an ended order: billing rates the session (from the pile's settlement, or
//! from the last meter sample when it never came), payment captures the bill from the
//! hold and gives the rest back.

use chrono::{DateTime, Utc};
use proto::pylon::billing::v1::RateSessionRequest;
use proto::pylon::payment::v1::CaptureRequest;

use super::transition::{Patch, chain_from, preview, transition_from};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::orders::domain::state::{Effect, Input, State};
use crate::orders::store::{self, OrderRow};

/// Tenants are in China for now: one time zone for time-of-use windows.
const TIME_ZONE: &str = "Asia/Shanghai";

/// What rating and capturing an ended order gave.
pub struct Billed {
    amount_fen: i64,
    bill_id: String,
    /// Why the order needs a person's look (the bill exceeds the hold).
    over: Option<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    energy_wh: i64,
}

impl Billed {
    /// The facts the `settled` transition records.
    fn patch(self) -> Patch {
        Patch {
            amount_fen: Some(self.amount_fen),
            bill_id: Some(self.bill_id),
            failure: self.over,
            ..Patch::default()
        }
    }
}

/// The effect `Settle` / `SettleFromMeter`: bills the ended order and records it.
pub async fn settle(
    ctx: &Ctx,
    o: &OrderRow,
    from_meter: bool,
) -> Result<Option<(OrderRow, Vec<Effect>)>, ChargingError> {
    let billed = bill(ctx, o, from_meter).await?;
    if from_meter {
        // Stays `needs_review` / `abnormal_end`: record what it was billed from (the
        // last meter sample closes the session) and the amount, without a transition.
        // A late settlement still overwrites energy, duration and end with the pile's.
        let record = store::MeterBill {
            amount_fen: billed.amount_fen,
            bill_id: &billed.bill_id,
            ended_at: billed.end,
            energy_wh: billed.energy_wh,
            duration_secs: (billed.end - billed.start).num_seconds().max(0),
            failure: billed.over.as_deref(),
        };
        store::record_meter_bill(&ctx.pool, o, &record).await?;
        return Ok(None);
    }
    Ok(Some(
        transition_from(
            ctx,
            o.clone(),
            Input::Settled,
            "billed and captured",
            billed.patch(),
        )
        .await?,
    ))
}

/// The pile's settlement of `o`. Usually the order is billed and captured first (both
/// idempotent by the order) and then ended and settled in one statement; if billing
/// or payment fails, or the order is not one the settlement ends and bills, it is only
/// ended, and the `Settle` effect it returns retries the rest. A crash in between
/// leaves the device event unacknowledged: its redelivery finds the bill and the
/// capture already made and records them. When billing still fails after the effect's
/// retries, the event is delivered again (the consumer answers `Retry`), and an order
/// found `ended` then is billed once more.
pub async fn end(
    ctx: &Ctx,
    o: OrderRow,
    patch: Patch,
) -> Result<(OrderRow, Vec<Effect>), ChargingError> {
    const REASON: &str = "the pile's settlement";
    if o.state == State::Ended.as_str() {
        // Delivered again after its settlement could not be billed: bill it now.
        return Ok((o, vec![Effect::Settle]));
    }
    if let Some((ended, effects)) = preview(ctx, &o, &Input::Ended, &patch)
        && effects == [Effect::Settle]
    {
        match bill(ctx, &ended, false).await {
            Ok(billed) => {
                let (o, effects) = chain_from(
                    ctx,
                    o,
                    vec![
                        (Input::Ended, REASON, patch),
                        (Input::Settled, "billed and captured", billed.patch()),
                    ],
                )
                .await?;
                let rest = effects.into_iter().filter(|e| *e != Effect::Settle);
                return Ok((o, rest.collect()));
            }
            Err(e) => {
                tracing::warn!(order = %o.id, error = %e, "settlement not billed yet, will retry");
            }
        }
    }
    transition_from(ctx, o, Input::Ended, REASON, patch).await
}

/// Rates the session (from the pile's settlement, or from the last meter sample when it
/// never came) and captures the bill from the hold, the rest going back.
async fn bill(ctx: &Ctx, o: &OrderRow, from_meter: bool) -> Result<Billed, ChargingError> {
    let (Some(tariff_id), Some(version)) = (o.tariff_id, o.tariff_version) else {
        return Err(ChargingError::Invalid("order has no tariff".into()));
    };
    let start = o.started_at.unwrap_or(o.created_at);
    let (end, energy) = if from_meter {
        (
            o.last_meter_at.unwrap_or_else(Utc::now).max(start),
            o.last_meter_wh.unwrap_or(0),
        )
    } else {
        (
            o.ended_at.unwrap_or_else(Utc::now).max(start),
            o.energy_wh.unwrap_or(0),
        )
    };
    let facts = pricing::SessionFacts {
        start,
        end,
        time_zone: pricing::Zone::parse(TIME_ZONE)
            .map_err(|e| ChargingError::Invalid(e.to_string()))?,
        energy: pricing::Energy::Total(pricing::Wh::new(energy.max(0))),
        max_power: o
            .max_power_dw
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p > 0)
            .map(pricing::DeciWatts::new),
        unplugged_at: None,
    };
    let facts_json =
        serde_json::to_string(&facts).map_err(|e| ChargingError::Invalid(e.to_string()))?;
    let bill = ctx
        .clients
        .billing
        .clone()
        .rate_session(RateSessionRequest {
            tenant_id: o.tenant_id.to_string(),
            order_ref: o.id.to_string(),
            tariff_id: tariff_id.to_string(),
            tariff_version: u32::try_from(version).unwrap_or(0),
            facts_json,
            device_reported_fen: o.device_amount_fen.filter(|a| *a > 0),
            node_path: o.node_path.clone(),
            payer_id: o.user_id.to_string(),
        })
        .await
        .map_err(|s| ChargingError::Upstream(format!("billing: {}", s.message())))?
        .into_inner();
    // The hold caps what can be taken; a bill above it is flagged for a person.
    let amount = bill.total_fen.min(o.hold_fen).max(0);
    if let Some(hold) = &o.hold_id {
        ctx.clients
            .payment
            .clone()
            .capture(CaptureRequest {
                tenant_id: o.tenant_id.to_string(),
                hold_id: hold.clone(),
                amount_fen: amount,
                idempotency_key: format!("order:{}:capture", o.id),
            })
            .await
            .map_err(|s| ChargingError::Upstream(format!("payment: {}", s.message())))?;
    }
    let over = (bill.total_fen > o.hold_fen).then(|| {
        format!(
            "bill {} fen exceeds the hold of {} fen",
            bill.total_fen, o.hold_fen
        )
    });
    Ok(Billed {
        amount_fen: amount,
        bill_id: bill.bill_id,
        over,
        start,
        end,
        energy_wh: energy.max(0),
    })
}
