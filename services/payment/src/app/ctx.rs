//! What the use cases need: the pool, the event namespace and the providers.

use std::sync::Arc;

use sqlx::PgPool;

use crate::error::PaymentError;
use crate::providers::{PaymentProvider, Providers};

#[derive(Clone)]
pub struct Ctx {
    pub pool: PgPool,
    pub ns: bus::Namespace,
    pub providers: Arc<Providers>,
}

impl Ctx {
    pub fn provider(&self, name: &str) -> Result<Arc<dyn PaymentProvider>, PaymentError> {
        self.providers.get(name).ok_or_else(|| {
            let on: Vec<&str> = self.providers.names().collect();
            PaymentError::invalid(
                "provider",
                format!("{name:?} is not enabled here (enabled: {})", on.join(", ")),
            )
        })
    }
}
