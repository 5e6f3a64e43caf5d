//! Pushing GN sockets to their gateway's node list, and recording the outcome on each
//! socket (`provisioned_at` on success, `provision_error` otherwise).

use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::registry::domain::FieldError;
use crate::registry::provision::{self, Push};
use crate::registry::store::devices::{self, DeviceRow};

use super::now;

/// Adds one socket to its gateway's list.
pub async fn add_socket(ctx: &Ctx, mut row: DeviceRow) -> Result<DeviceRow, ChargingError> {
    let (Some(gateway), Some(socket)) = (row.gateway_id.clone(), row.socket_no) else {
        return Ok(row);
    };
    let outcome = match (row.mac.clone(), u8::try_from(socket)) {
        (Some(mac), Ok(socket)) => provision::send(ctx, &gateway, Push::Add { socket, mac }).await,
        (None, _) => Err("mac: required to provision a socket".to_owned()),
        (_, Err(_)) => Err("socket number out of range".to_owned()),
    };
    record(ctx, &mut row, outcome).await?;
    Ok(row)
}

/// Replaces the gateway's whole list with its sockets that have a MAC, on radio
/// `channel`; every socket sent records the outcome. Returns the sockets.
pub async fn refresh_gateway(
    ctx: &Ctx,
    gateway: &DeviceRow,
    channel: u32,
) -> Result<Vec<DeviceRow>, ChargingError> {
    if gateway.kind != "gateway" {
        return Err(FieldError::new("device_id", "is not a GN gateway").into());
    }
    if !(1..=15).contains(&channel) {
        return Err(FieldError::new("channel", "must be 1 to 15").into());
    }
    let mut sockets: Vec<DeviceRow> =
        devices::sockets_of(&ctx.pool, gateway.tenant_id, &gateway.device_id)
            .await?
            .into_iter()
            .filter(|s| s.mac.is_some())
            .collect();
    let nodes = sockets
        .iter()
        .filter_map(|s| Some((u8::try_from(s.socket_no?).ok()?, s.mac.clone()?)))
        .collect();
    let outcome = provision::send(ctx, &gateway.device_id, Push::Refresh { channel, nodes }).await;
    for s in &mut sockets {
        record(ctx, s, outcome.clone()).await?;
    }
    Ok(sockets)
}

async fn record(
    ctx: &Ctx,
    row: &mut DeviceRow,
    outcome: Result<(), String>,
) -> Result<(), ChargingError> {
    match outcome {
        Ok(()) => {
            row.provisioned_at = Some(now());
            row.provision_error = None;
        }
        Err(e) => {
            tracing::warn!(device_id = %row.device_id, error = %e, "socket not provisioned");
            // The last success stays visible beside the newer failure.
            row.provision_error = Some(e);
        }
    }
    devices::set_provisioned(
        &ctx.pool,
        row.tenant_id,
        row.id,
        row.provisioned_at,
        row.provision_error.as_deref(),
    )
    .await?;
    Ok(())
}
