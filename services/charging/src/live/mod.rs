//! The `live` capability of the charging service: the live state of piles (online,
//! port status, current charge, last alarm) as a read model of the gateway's device
//! events, and card decisions for the gateway. docs/charging.md, "Live state" and
//! "Card decisions".
//!
//! - `domain/`: pure merge, stuck and decision rules;
//! - `store/`: SQL (`live_devices`, `live_ports`, `live_alarms`, `cards`,
//!   `card_authorizations`);
//! - `consumer`: the durable PYLON_DEVICE consumer;
//! - `card_decisions`: the `pylon.charging.card.authorize` responder;
//! - `http`: REST.

pub mod card_decisions;
pub mod consumer;
pub mod domain;
pub mod http;
pub mod store;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;
use domain::stuck::{self, StuckReason};
use store::ports::StoredPort;

/// Background work of this capability, started with the service. Returns once it is
/// running (spawn long-lived tasks; they stop with `stop`).
pub async fn run(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    consumer::spawn(ctx.clone(), stop.clone());
    card_decisions::spawn(ctx, stop).await
}

/// Stuck ports of online devices under `tenant` at `now` (domain/stuck.rs has the
/// rule). `has_live_order` tells whether a device's order reference is a live order of
/// Pylon; the orders capability supplies it.
pub async fn stuck_ports(
    pool: &PgPool,
    tenant: &str,
    now: DateTime<Utc>,
    has_live_order: impl Fn(&str) -> bool,
) -> Result<Vec<(StoredPort, StuckReason)>, sqlx::Error> {
    let ports = store::ports::charging_online(pool, tenant).await?;
    Ok(ports
        .into_iter()
        .filter_map(|p| {
            let reason = stuck::judge(&p.live, true, now, &has_live_order)?;
            Some((p, reason))
        })
        .collect())
}
