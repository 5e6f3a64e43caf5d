//! Which tariff version a site's orders are priced with. Billing resolves it (the
//! nearest assignment above the node, that tariff's version in effect); charging asks
//! on every order, card swipe and station page, so the answers are kept
//! ([`cache::TariffCache`]) and forgotten when billing says a tenant's tariffs changed
//! (`tariff.changed` on PYLON_BILLING, followed by every charging process), when the
//! tariff's next version takes effect, or after `charging.tariff_cache_secs`. A change
//! reaches new orders as soon as its event arrives here (milliseconds); if the events
//! cannot be followed, the cache starts over on reconnecting and the time to live bounds
//! the rest. docs/charging.md, "Tariffs".

pub mod cache;
mod follow;

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use proto::pylon::billing::v1::{ResolveTariffRequest, TariffRef};
use uuid::Uuid;

use crate::ctx::Ctx;

pub use cache::TariffCache;
pub use follow::run;

/// The tariff version in effect now at `node_path` of `tenant`: kept, or billing's answer
/// (kept for next time). Billing's errors come back as they are.
pub async fn resolve(
    ctx: &Ctx,
    tenant: Uuid,
    node_path: &str,
) -> Result<Arc<TariffRef>, tonic::Status> {
    let at = Utc::now();
    if let Some(t) = ctx.tariffs.get(tenant, node_path, Instant::now(), at) {
        return Ok(t);
    }
    let ticket = ctx.tariffs.ticket();
    let tariff = ctx
        .clients
        .billing
        .clone()
        .resolve_tariff(ResolveTariffRequest {
            tenant_id: tenant.to_string(),
            node_path: node_path.to_owned(),
            at: Some(bus::event::timestamp(at)),
        })
        .await?
        .into_inner();
    let tariff = Arc::new(tariff);
    ctx.tariffs
        .put(ticket, tenant, node_path, tariff.clone(), Instant::now());
    Ok(tariff)
}
