//! The `orders` capability of the charging service (see lib.rs).

pub mod http;

use tokio_util::sync::CancellationToken;

use crate::ctx::Ctx;

/// Background work of this capability, started with the service. Returns once it is
/// running (spawn long-lived tasks; they stop with `stop`).
pub async fn run(_ctx: Ctx, _stop: CancellationToken) -> anyhow::Result<()> {
    Ok(())
}
