//! What every capability of the service needs.

use std::sync::Arc;

use runtime::ServiceContext;
use sqlx::PgPool;

#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    pub bus: bus::Bus,
    pub config: Arc<runtime::Config>,
    /// gateway, payment and billing over gRPC.
    pub clients: crate::clients::Clients,
}

impl Ctx {
    pub fn new(svc: &ServiceContext) -> anyhow::Result<Self> {
        Ok(Self {
            pool: svc.db()?.clone(),
            bus: svc.bus.clone(),
            config: svc.config.clone(),
            clients: crate::clients::Clients::new(&svc.config.charging)?,
        })
    }

    pub fn ns(&self) -> &bus::Namespace {
        &self.bus.namespace
    }
}
