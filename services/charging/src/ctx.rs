//! What every capability of the service needs.

use std::sync::Arc;

use runtime::ServiceContext;
use sqlx::PgPool;

#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    /// For the orders' statements by key on the partitioned `orders` table (a
    /// transition, an order by id, by the pile's reference or by port, a meter sample):
    /// generic plans, see `runtime::db::pool_with_generic_plans`.
    pub orders_by_key: PgPool,
    pub bus: bus::Bus,
    pub config: Arc<runtime::Config>,
    /// gateway, payment and billing over gRPC.
    pub clients: crate::clients::Clients,
    /// Start commands this process sent and how they ended.
    pub starts: Arc<crate::orders::app::starts::Starts>,
    /// Billing's tariff resolutions, kept (`crate::tariffs`).
    pub tariffs: Arc<crate::tariffs::TariffCache>,
}

impl Ctx {
    pub fn new(svc: &ServiceContext) -> anyhow::Result<Self> {
        Ok(Self {
            pool: svc.db()?.clone(),
            orders_by_key: runtime::db::pool_with_generic_plans(
                &svc.config.database,
                // The API and the background work share it (one context per process).
                svc.config.database.max_connections,
            )?,
            bus: svc.bus.clone(),
            config: svc.config.clone(),
            clients: crate::clients::Clients::new(&svc.config.charging)?,
            starts: Arc::default(),
            tariffs: Arc::new(crate::tariffs::TariffCache::new(
                std::time::Duration::from_secs(svc.config.charging.tariff_cache_secs),
            )),
        })
    }

    pub fn ns(&self) -> &bus::Namespace {
        &self.bus.namespace
    }
}
