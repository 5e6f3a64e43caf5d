//! Stopping an order: the driver (their own order) or an operator.

use uuid::Uuid;

use super::effects;
use super::transition::{Patch, transition};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::orders::domain::state::Input;
use crate::orders::store::OrderRow;

pub async fn stop(ctx: &Ctx, id: Uuid, by: &str) -> Result<OrderRow, ChargingError> {
    let (o, effects) = transition(ctx, id, Input::StopRequested, by, Patch::default()).await?;
    effects::spawn(ctx.clone(), o.clone(), effects);
    Ok(o)
}

/// An operator closes the order: stop the pile if it listens, bill from the meter.
pub async fn force_end(ctx: &Ctx, id: Uuid) -> Result<OrderRow, ChargingError> {
    let (o, effects) = transition(
        ctx,
        id,
        Input::ForceEnd,
        "force-ended by an operator",
        Patch::default(),
    )
    .await?;
    effects::spawn(ctx.clone(), o.clone(), effects);
    Ok(o)
}
