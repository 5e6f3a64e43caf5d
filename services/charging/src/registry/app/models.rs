//! Device models.

use uuid::Uuid;

use super::{db, now};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::domain::device::validate_model;
use crate::registry::store::models::{self, ModelRow};

pub async fn create(
    ctx: &Ctx,
    tenant: Uuid,
    name: &str,
    protocol: &str,
    port_count: i64,
    max_power_w: i64,
) -> Result<ModelRow, ChargingError> {
    let (name, protocol, ports, power) = validate_model(name, protocol, port_count, max_power_w)?;
    let row = ModelRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        name,
        protocol: protocol.as_str().to_owned(),
        port_count: i16::from(ports),
        max_power_w: power,
        created_at: now(),
    };
    models::insert(&ctx.pool, &row)
        .await
        .map_err(|e| db(e, "model"))?;
    Ok(row)
}
