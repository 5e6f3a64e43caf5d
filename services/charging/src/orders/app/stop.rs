//! Stopping an order: the driver (their own order) or an operator. Both take the order
//! as the caller just read it (to check who may stop it): the transition decides on
//! that row first, and reads again only if another transition came in between.

use super::effects;
use super::transition::{Patch, transition_from};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::orders::domain::state::Input;
use crate::orders::store::OrderRow;

pub async fn stop(ctx: &Ctx, o: OrderRow, by: &str) -> Result<OrderRow, ChargingError> {
    let (o, effects) = transition_from(ctx, o, Input::StopRequested, by, Patch::default()).await?;
    effects::spawn(ctx.clone(), o.clone(), effects);
    Ok(o)
}

/// An operator closes the order: stop the pile if it listens, bill from the meter.
pub async fn force_end(ctx: &Ctx, o: OrderRow) -> Result<OrderRow, ChargingError> {
    let (o, effects) = transition_from(
        ctx,
        o,
        Input::ForceEnd,
        "force-ended by an operator",
        Patch::default(),
    )
    .await?;
    effects::spawn(ctx.clone(), o.clone(), effects);
    Ok(o)
}
