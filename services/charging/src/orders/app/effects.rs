//! Carrying out a transition's effects, after it committed. Each effect's outcome is the
//! next transition (whose effects join the queue). Failures are logged; the order's
//! deadline makes the sweeper move it on, so nothing waits forever.

use std::collections::VecDeque;

use chrono::Utc;
use proto::pylon::gateway::v1::start_charging_request::Limit;
use proto::pylon::gateway::v1::{CommandOutcome, StartChargingRequest, StopChargingRequest};
use proto::pylon::payment::v1::ReleaseRequest;

use super::settle;
use super::transition::{Patch, transition_from};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::orders::domain::state::{Effect, Input};
use crate::orders::store::OrderRow;

type Next = Option<(OrderRow, Vec<Effect>)>;

/// Runs the effects in the background.
pub fn spawn(ctx: Ctx, order: OrderRow, effects: Vec<Effect>) {
    if effects.is_empty() {
        return;
    }
    tokio::spawn(async move { run(&ctx, order, effects).await });
}

pub async fn run(ctx: &Ctx, mut order: OrderRow, effects: Vec<Effect>) {
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        let next = match effect {
            Effect::SendStart => start(ctx, &order).await,
            Effect::SendStop => stop(ctx, &order).await,
            Effect::ReleaseHold => release(ctx, &order).await,
            Effect::Settle => settle::settle(ctx, &order, false).await,
            Effect::SettleFromMeter => settle::settle(ctx, &order, true).await,
        };
        match next {
            Ok(Some((o, more))) => {
                order = o;
                queue.extend(more);
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(order = %order.id, ?effect, error = %e, "order effect failed"),
        }
    }
}

fn limit(o: &OrderRow) -> Limit {
    match o.limit_kind.as_str() {
        "duration" => Limit::DurationSecs(u32::try_from(o.limit_value).unwrap_or(u32::MAX)),
        "energy" => Limit::EnergyWh(u64::try_from(o.limit_value).unwrap_or(0)),
        _ => Limit::UntilFull(true),
    }
}

async fn start(ctx: &Ctx, o: &OrderRow) -> Result<Next, ChargingError> {
    let (o, _) = transition_from(
        ctx,
        o.clone(),
        Input::StartSent,
        "start sent",
        Patch::default(),
    )
    .await?;
    let answer = ctx
        .clients
        .gateway
        .clone()
        .start_charging(StartChargingRequest {
            device_id: o.device_id.clone(),
            port: u32::try_from(o.port).unwrap_or(0),
            order_ref: o.device_order_ref.clone(),
            limit: Some(limit(&o)),
            balance_fen: o.hold_fen,
        })
        .await;
    let (input, reason, patch) = match answer {
        Ok(r) => {
            let r = r.into_inner();
            if r.outcome == CommandOutcome::Ok as i32 {
                let device_ref = if r.order_ref.is_empty() {
                    None
                } else {
                    Some(r.order_ref)
                };
                (
                    Input::StartConfirmed,
                    "the pile started".to_owned(),
                    Patch {
                        device_order_ref: device_ref,
                        started_at: Some(Utc::now()),
                        ..Patch::default()
                    },
                )
            } else {
                let why = format!("{} ({})", r.detail, r.device_code);
                (
                    Input::StartFailed,
                    "the pile did not start".to_owned(),
                    Patch {
                        failure: Some(why),
                        ..Patch::default()
                    },
                )
            }
        }
        Err(s) => (
            Input::StartFailed,
            "the gateway could not be asked".to_owned(),
            Patch {
                failure: Some(s.message().to_owned()),
                ..Patch::default()
            },
        ),
    };
    Ok(Some(transition_from(ctx, o, input, &reason, patch).await?))
}

async fn stop(ctx: &Ctx, o: &OrderRow) -> Result<Next, ChargingError> {
    let answer = ctx
        .clients
        .gateway
        .clone()
        .stop_charging(StopChargingRequest {
            device_id: o.device_id.clone(),
            port: u32::try_from(o.port).unwrap_or(0),
            order_ref: o.device_order_ref.clone(),
        })
        .await;
    // The end itself arrives as the pile's settlement; an unanswered stop leaves the
    // order `stopping` until the settlement or its deadline.
    match answer {
        Ok(r) if r.get_ref().outcome == CommandOutcome::Ok as i32 => {}
        Ok(r) => tracing::warn!(order = %o.id, detail = %r.get_ref().detail, "stop not confirmed"),
        Err(s) => tracing::warn!(order = %o.id, error = %s, "stop not sent"),
    }
    Ok(None)
}

async fn release(ctx: &Ctx, o: &OrderRow) -> Result<Next, ChargingError> {
    let Some(hold) = &o.hold_id else {
        return Ok(None);
    };
    ctx.clients
        .payment
        .clone()
        .release(ReleaseRequest {
            tenant_id: o.tenant_id.to_string(),
            hold_id: hold.clone(),
            idempotency_key: format!("order:{}:release", o.id),
        })
        .await
        .map_err(|s| ChargingError::Upstream(format!("payment: {}", s.message())))?;
    Ok(None)
}
