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
}

impl Ctx {
    pub fn new(svc: &ServiceContext) -> anyhow::Result<Self> {
        Ok(Self {
            pool: svc.db()?.clone(),
            orders_by_key: runtime::db::pool_with_generic_plans(
                &svc.config.database,
                (svc.config.database.max_connections / 2).max(2),
            )?,
            bus: svc.bus.clone(),
            config: svc.config.clone(),
            clients: crate::clients::Clients::new(&svc.config.charging)?,
        })
    }

    pub fn ns(&self) -> &bus::Namespace {
        &self.bus.namespace
    }
}
