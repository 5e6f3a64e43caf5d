//! The campaign runner: every second, each running campaign gets a round (open the
//! next stage or complete, then claim due devices up to its concurrency and send them
//! their firmware), and transfers whose end never came are settled. Work is picked
//! from the database with row locks (`FOR UPDATE SKIP LOCKED` on the campaign and its
//! devices), so two charging replicas share it and a restart resumes it.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use super::app::rollout::{self, settle};
use super::domain::rollout::Step;
use super::store::audit::Completion;
use super::store::{campaigns, devices};
use crate::ctx::Ctx;
use crate::error::ChargingError;

pub const EVERY: Duration = Duration::from_secs(1);

/// A transfer without any progress event for this long is given up (a DNY packet waits
/// at most 4 × 2 × the 15 s command timeout; the gateway may have lost the transfer).
pub const STALE_AFTER_SECS: i64 = 600;

pub async fn run(ctx: Ctx, stop: CancellationToken) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = every.tick() => {}
        }
        if let Err(e) = round(&ctx).await {
            tracing::warn!(error = %e, "campaign round failed");
        }
    }
}

async fn round(ctx: &Ctx) -> Result<(), ChargingError> {
    for id in campaigns::running(&ctx.pool).await? {
        let (c, claimed) = match rollout::schedule(ctx, id).await {
            Ok(Some(work)) => work,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(campaign = %id, error = %e, "campaign not scheduled");
                continue;
            }
        };
        if claimed.is_empty() {
            continue;
        }
        let image = rollout::image(ctx, &c).await?;
        for t in claimed {
            let (ctx, c, image) = (ctx.clone(), c.clone(), image.clone());
            // The call returns quickly (a DNY transfer runs in the gateway), but a slow
            // gateway must not hold up other campaigns.
            tokio::spawn(async move {
                if let Err(e) = rollout::send(&ctx, &c, &t, &image).await {
                    tracing::warn!(campaign = %c.id, device = %t.device_id, error = %e, "firmware not sent");
                }
            });
        }
    }
    stale(ctx).await
}

async fn stale(ctx: &Ctx) -> Result<(), ChargingError> {
    let before = Utc::now() - chrono::Duration::seconds(STALE_AFTER_SECS);
    for t in devices::stale(&ctx.pool, before).await? {
        let Some(op) = t.operation_id else { continue };
        let mut tx = ctx.pool.begin().await?;
        let Some(t) = devices::lock_sending(&mut tx, t.campaign_id, &t.device_id, op).await? else {
            continue;
        };
        let Some(c) = campaigns::get(&mut *tx, None, t.campaign_id).await? else {
            continue;
        };
        let reason = "no_report: the gateway reported no end of the transfer".to_owned();
        let step = if t.attempts < c.max_attempts {
            Step::Retry(reason.clone())
        } else {
            Step::Failed(reason.clone())
        };
        let completion = Completion {
            outcome: "no_report".into(),
            detail: reason,
            ..Completion::default()
        };
        settle(&mut tx, ctx, &c, &t, op, &step, &completion).await?;
        tx.commit().await?;
    }
    Ok(())
}
