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
use crate::orders::domain::state::{Effect, Input, State};
use crate::orders::store::OrderRow;

type Next = Option<(OrderRow, Vec<Effect>)>;

/// Runs the effects in the background (a failure is logged; the order's deadline moves
/// it on).
pub fn spawn(ctx: Ctx, order: OrderRow, effects: Vec<Effect>) {
    if effects.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let _ = run(&ctx, order, effects).await;
    });
}

/// Runs the effects in order, each outcome's effects after them; the failure of a money
/// effect (after its retries) is returned once the rest ran, so that a device event
/// whose settlement could not be billed is delivered again rather than acknowledged.
pub async fn run(
    ctx: &Ctx,
    mut order: OrderRow,
    effects: Vec<Effect>,
) -> Result<(), ChargingError> {
    let mut failed = None;
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(effect) = queue.pop_front() {
        let next = with_retries(effect, || async {
            match effect {
                Effect::SendStart => start(ctx, &order).await,
                Effect::SendStop => stop(ctx, &order).await,
                Effect::ReleaseHold => release(ctx, &order).await,
                Effect::Settle => settle::settle(ctx, &order, false).await,
                Effect::SettleFromMeter => settle::settle(ctx, &order, true).await,
            }
        })
        .await;
        match next {
            Ok(Some((o, more))) => {
                order = o;
                queue.extend(more);
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(order = %order.id, ?effect, error = %e, "order effect failed");
                if moves_money(effect) {
                    failed = Some(e);
                }
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

fn moves_money(effect: Effect) -> bool {
    matches!(
        effect,
        Effect::Settle | Effect::SettleFromMeter | Effect::ReleaseHold
    )
}

/// Pauses between tries of an effect that moves money, after a failure that may pass
/// (a service or the database busy or briefly away): about 18 s in all, within the
/// device events' ack wait (30 s), since a settlement runs inside its event's handler.
const RETRY_DELAYS_MS: [u64; 5] = [250, 1_000, 2_000, 5_000, 10_000];

/// Runs `attempt`; the money effects (rating + capture, release) are idempotent by
/// their keys, so a transient failure is tried again rather than leaving the order to
/// its deadline (an `ended` order would time out to `needs_review` although its pile's
/// settlement arrived). Starting and stopping are not repeated here: the gateway
/// already resends a command once, and the deadline handles the rest.
async fn with_retries<F, Fut>(effect: Effect, attempt: F) -> Result<Next, ChargingError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<Next, ChargingError>>,
{
    let repeatable = moves_money(effect);
    let mut delays = RETRY_DELAYS_MS.iter();
    loop {
        match attempt().await {
            Err(e) if repeatable && transient(&e) => match delays.next() {
                Some(ms) => {
                    tracing::warn!(?effect, error = %e, retry_in_ms = ms, "order effect failed, will retry");
                    tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
                }
                None => return Err(e),
            },
            other => return other,
        }
    }
}

fn transient(e: &ChargingError) -> bool {
    matches!(
        e,
        ChargingError::Upstream(_) | ChargingError::Db(_) | ChargingError::Bus(_)
    )
}

fn limit(o: &OrderRow) -> Limit {
    match o.limit_kind.as_str() {
        "duration" => Limit::DurationSecs(u32::try_from(o.limit_value).unwrap_or(u32::MAX)),
        "energy" => Limit::EnergyWh(u64::try_from(o.limit_value).unwrap_or(0)),
        _ => Limit::UntilFull(true),
    }
}

async fn start(ctx: &Ctx, o: &OrderRow) -> Result<Next, ChargingError> {
    // Usually already `starting`: the order was created with the start recorded.
    let o = if o.state == State::Starting.as_str() {
        o.clone()
    } else {
        transition_from(
            ctx,
            o.clone(),
            Input::StartSent,
            "start sent",
            Patch::default(),
        )
        .await?
        .0
    };
    let sending = ctx
        .starts
        .sent(&o.device_id, u32::try_from(o.port).unwrap_or(0));
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
    let version = o.version;
    let (after, effects) = transition_from(ctx, o, input, &reason, patch).await?;
    // Moved to `charging` by this answer (not found there because something came
    // first): the pile's own report of this start needs nothing more.
    if after.version > version && after.state == State::Charging.as_str() {
        sending.confirmed(&after.device_order_ref);
    }
    Ok(Some((after, effects)))
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Fails with `error` the first `failures` times, then succeeds; counts the tries.
    async fn flaky(
        effect: Effect,
        failures: usize,
        error: fn() -> ChargingError,
    ) -> (Result<Next, ChargingError>, usize) {
        let tries = AtomicUsize::new(0);
        let result = with_retries(effect, || async {
            if tries.fetch_add(1, Ordering::SeqCst) < failures {
                Err(error())
            } else {
                Ok(None)
            }
        })
        .await;
        (result, tries.load(Ordering::SeqCst))
    }

    fn busy() -> ChargingError {
        ChargingError::Upstream("billing: unavailable".into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_settlement_that_failed_for_a_moment_is_tried_again() {
        let (result, tries) = flaky(Effect::Settle, 2, busy).await;
        assert!(result.is_ok());
        assert_eq!(tries, 3);
        let (result, tries) = flaky(Effect::ReleaseHold, 1, busy).await;
        assert!(result.is_ok());
        assert_eq!(tries, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn retries_end_and_only_money_effects_with_passing_failures_are_repeated() {
        let (result, tries) = flaky(Effect::Settle, usize::MAX, busy).await;
        assert!(result.is_err(), "gives up in the end");
        assert_eq!(tries, RETRY_DELAYS_MS.len() + 1);
        let (_, tries) = flaky(Effect::Settle, usize::MAX, || {
            ChargingError::Invalid("order has no tariff".into())
        })
        .await;
        assert_eq!(tries, 1, "a failure that cannot pass is not repeated");
        let (_, tries) = flaky(Effect::SendStart, usize::MAX, busy).await;
        assert_eq!(tries, 1, "starts are not repeated here");
    }
}
