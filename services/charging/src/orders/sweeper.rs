//! Transitional states end: an order past its deadline gets `TimedOut` (start never
//! confirmed → start_failed; settlement never came → needs_review from the last meter).

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::app::effects;
use super::app::transition::{Patch, transition};
use super::domain::state::Input;
use super::store;
use crate::ctx::Ctx;

pub const EVERY: Duration = Duration::from_secs(5);

pub async fn run(ctx: Ctx, stop: CancellationToken) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        let due = match store::overdue(&ctx.pool, Utc::now(), 100).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "order sweep failed");
                continue;
            }
        };
        for id in due {
            match transition(&ctx, id, Input::TimedOut, "timed out", Patch::default()).await {
                Ok((o, effects)) => {
                    if effects.is_empty() {
                        // A state without a timeout rule: stop watching it.
                        let _ = store::clear_deadline(&ctx.pool, id).await;
                    }
                    effects::spawn(ctx.clone(), o, effects);
                }
                Err(e) => {
                    tracing::debug!(order = %id, error = %e, "order timeout not applied");
                    let _ = store::clear_deadline(&ctx.pool, id).await;
                }
            }
        }
    }
}
