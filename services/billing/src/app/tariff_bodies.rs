//! Tariff bodies by version, remembered once read: a version never changes (a trigger
//! refuses updates and deletes of `tariff_versions`), and every rating of a session
//! would otherwise read and parse the same one again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pricing::Tariff;
use uuid::Uuid;

use super::Ctx;
use crate::domain::tariff;
use crate::error::{BillingError, Result};
use crate::store;

/// Versions remembered at most; past it the memo starts over.
const CAPACITY: usize = 10_000;

/// (tenant, tariff, version).
type Key = (Uuid, Uuid, i32);

/// Version → its parsed body; one per service instance.
#[derive(Clone, Default)]
pub struct TariffBodies(Arc<Mutex<HashMap<Key, Tariff>>>);

impl TariffBodies {
    fn known(&self, key: &Key) -> Option<Tariff> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    fn remember(&self, key: Key, body: Tariff) {
        let mut memo = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if memo.len() >= CAPACITY {
            memo.clear();
        }
        memo.insert(key, body);
    }
}

/// The body of `version` of `tariff`.
pub async fn body(ctx: &Ctx, tenant: Uuid, tariff_id: Uuid, version: i32) -> Result<Tariff> {
    let key = (tenant, tariff_id, version);
    if let Some(body) = ctx.tariff_bodies.known(&key) {
        return Ok(body);
    }
    let row = store::versions::get(&ctx.pool, tenant, tariff_id, version)
        .await?
        .ok_or(BillingError::NotFound("tariff version"))?;
    let body = tariff::from_stored(row.body.0, tariff_id, version)?;
    ctx.tariff_bodies.remember(key, body.clone());
    Ok(body)
}
