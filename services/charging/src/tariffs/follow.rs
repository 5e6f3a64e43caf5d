//! Following billing's `tariff.changed` events: each one makes the cache forget its
//! tenant's resolutions; a (re)start of the following makes it forget everything, since
//! an event may have been missed meanwhile.

use std::sync::Arc;

use bus::Delivery;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::TariffCache;
use crate::ctx::Ctx;

struct Forget(Arc<TariffCache>);

impl bus::consume::Follower for Forget {
    /// Any event on the followed subject (`tariff.changed`, whatever its version).
    fn event(&mut self, d: Delivery) {
        match d.meta.tenant.parse::<Uuid>() {
            Ok(tenant) => self.0.forget_tenant(tenant),
            // Not ours to judge: forgetting everything is always safe.
            Err(_) => self.0.forget_all(),
        }
    }

    fn restarted(&mut self) {
        self.0.forget_all();
    }
}

/// Follows the events until `stop` (in a task of its own).
pub fn run(ctx: &Ctx, stop: CancellationToken) {
    let bus = ctx.bus.clone();
    let stream = bus.namespace.name("PYLON_BILLING");
    let subject = bus
        .namespace
        .subject(&["billing", "*", "tariff", "changed"]);
    let mut forget = Forget(ctx.tariffs.clone());
    tokio::spawn(async move {
        bus::consume::follow(&bus, &stream, &subject, &mut forget, &stop).await;
    });
}
