//! Work without a caller: sandbox notifications, and the reconciler asking providers
//! about payments and refunds left open.

use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::app::ctx::Ctx;
use crate::app::{callbacks, reconcile};

/// How often the reconciler runs, and how long a payment must be quiet to be asked about.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(60);

pub async fn run(ctx: Ctx, stop: CancellationToken) {
    let sandbox = sandbox(ctx.clone(), stop.clone());
    let reconciler = async {
        let mut every = tokio::time::interval(RECONCILE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = every.tick() => {}
            }
            match reconcile::once(&ctx, Utc::now(), RECONCILE_EVERY).await {
                Ok(r) if r.applied > 0 || r.errors > 0 => {
                    tracing::info!(
                        checked = r.checked,
                        applied = r.applied,
                        errors = r.errors,
                        "reconciled"
                    )
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "reconciliation failed"),
            }
        }
    };
    tokio::join!(sandbox, reconciler);
}

async fn sandbox(ctx: Ctx, stop: CancellationToken) {
    let Some(mut rx) = ctx.providers.sandbox().and_then(|s| s.take_callbacks()) else {
        return;
    };
    loop {
        let cb = tokio::select! {
            _ = stop.cancelled() => return,
            cb = rx.recv() => match cb {
                Some(cb) => cb,
                None => return,
            },
        };
        if let Err(e) = callbacks::apply_in_process(&ctx, "sandbox", &cb).await {
            tracing::warn!(error = %e, "sandbox notification not applied; the reconciler will ask");
        }
    }
}
