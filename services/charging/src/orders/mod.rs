//! Orders: the state machine (`domain::state`), the flows that drive it (`app`), what
//! the piles report (`consumer`) and the timeouts (`sweeper`). docs/charging.md,
//! "Orders".

pub mod app;
pub mod consumer;
pub mod domain;
pub mod history;
pub mod http;
pub mod partitions;
pub mod store;
pub mod sweeper;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;

/// Creates the monthly partitions ahead (and daily after), starts the device-event
/// consumer and the timeout sweeper.
pub async fn run(ctx: Ctx, stop: CancellationToken) -> anyhow::Result<()> {
    partitions::start(&ctx, &stop).await;
    let consumer_ctx = ctx.clone();
    let consumer_stop = stop.clone();
    tokio::spawn(async move {
        if let Err(e) = consumer::run(consumer_ctx, consumer_stop).await {
            tracing::error!(error = %format!("{e:#}"), "order consumer stopped");
        }
    });
    tokio::spawn(sweeper::run(ctx, stop));
    Ok(())
}
