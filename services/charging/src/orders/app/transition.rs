//! One transition, race-safe: the pure machine decides on the order as read; the new
//! state, its deadline, the history row and the event are one statement that applies
//! only if no other transition came in between (the order's version), else it decides
//! again.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::orders::domain::state::{Effect, Input, Outcome, State, apply, stays_ignored};
use crate::orders::store::{self, OrderRow};

/// Facts learned with a transition (only the given ones are written).
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub hold_id: Option<String>,
    pub device_order_ref: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub energy_wh: Option<i64>,
    pub duration_secs: Option<i64>,
    pub max_power_dw: Option<i32>,
    pub end_reason: Option<String>,
    pub device_amount_fen: Option<i64>,
    pub amount_fen: Option<i64>,
    pub bill_id: Option<String>,
    pub failure: Option<String>,
}

impl Patch {
    /// The order with the given facts written over it (the others kept).
    fn apply_to(self, o: &OrderRow) -> OrderRow {
        OrderRow {
            hold_id: self.hold_id.or_else(|| o.hold_id.clone()),
            device_order_ref: self
                .device_order_ref
                .unwrap_or_else(|| o.device_order_ref.clone()),
            started_at: self.started_at.or(o.started_at),
            ended_at: self.ended_at.or(o.ended_at),
            energy_wh: self.energy_wh.or(o.energy_wh),
            duration_secs: self.duration_secs.or(o.duration_secs),
            max_power_dw: self.max_power_dw.or(o.max_power_dw),
            end_reason: self.end_reason.or_else(|| o.end_reason.clone()),
            device_amount_fen: self.device_amount_fen.or(o.device_amount_fen),
            amount_fen: self.amount_fen.or(o.amount_fen),
            bill_id: self.bill_id.or_else(|| o.bill_id.clone()),
            failure: self.failure.or_else(|| o.failure.clone()),
            ..o.clone()
        }
    }
}

/// When a state times out (the sweeper feeds `TimedOut` then).
fn deadline(ctx: &Ctx, o: &OrderRow, to: State, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let c = &ctx.config.charging;
    let settle = Duration::seconds(c.settlement_timeout_secs as i64);
    match to {
        State::Starting | State::Authorized => {
            Some(now + Duration::seconds(c.start_timeout_secs as i64))
        }
        // A timed order ends by itself; others are watched for a day.
        State::Charging => Some(match o.limit_kind.as_str() {
            "duration" => now + Duration::seconds(o.limit_value) + settle,
            _ => now + Duration::hours(24),
        }),
        State::Stopping | State::Ended => Some(now + settle),
        _ => None,
    }
}

/// How many times a transition decided on a plain read is tried before it takes the
/// order's row lock (each retry follows another transition of the same order).
const OPTIMISTIC_TRIES: usize = 3;

/// Applies `input`; `Ok((order after, effects))`. A repeat changes nothing (no effects).
///
/// The usual case costs one read and one statement: the machine decides on the order as
/// read, and the change, its history row and its event are written only if the order's
/// version is still the one read. A repeat is ignored on the read when the machine says
/// no later state would take it (`stays_ignored`); other ignores and every refusal are
/// decided again under the row lock before they are returned, so that a transition
/// committing meanwhile (e.g. the pile's start confirmation racing a stop) is waited
/// for, not missed.
pub async fn transition(
    ctx: &Ctx,
    id: Uuid,
    input: Input,
    reason: &str,
    patch: Patch,
) -> Result<(OrderRow, Vec<Effect>), ChargingError> {
    let o = read(ctx, id).await?;
    transition_from(ctx, o, input, reason, patch).await
}

/// [`transition`] on an order the caller has just read (or written): its first decision
/// spares the read. A row that is no longer current only costs a retry.
pub async fn transition_from(
    ctx: &Ctx,
    mut o: OrderRow,
    input: Input,
    reason: &str,
    patch: Patch,
) -> Result<(OrderRow, Vec<Effect>), ChargingError> {
    let id = o.id;
    for attempt in 0..OPTIMISTIC_TRIES {
        if attempt > 0 {
            o = read(ctx, id).await?;
        }
        let go = match decide(ctx, &o, &input, reason, &patch) {
            Ok(Decided::Go(go)) => go,
            // Still ignored whatever happened to the order since it was read.
            Ok(Decided::Ignore) if stays_ignored(&input) => return Ok((o, Vec::new())),
            // Refused, failed, or an ignore that a newer state might take: decided again
            // under the lock.
            _ => break,
        };
        let (after, effects, step) = *go;
        if store::record_transition(&ctx.orders_by_key, &o, &after, &[step]).await? {
            return Ok((after, effects));
        }
    }
    locked(ctx, id, input, reason, patch).await
}

/// One transition of a chain: what happened, why, and the facts learned.
pub type Link<'a> = (Input, &'a str, Patch);

/// Transitions that follow each other at once (an authorized order is started, a
/// settlement already billed is settled), written as one statement when each is
/// taken in turn on the order as read: one history row and one event each, the
/// effects of all of them in order. Otherwise (a link ignored or refused, another
/// transition in between) they are applied one by one, as [`transition_from`] would.
pub async fn chain_from(
    ctx: &Ctx,
    o: OrderRow,
    links: Vec<Link<'_>>,
) -> Result<(OrderRow, Vec<Effect>), ChargingError> {
    let mut after = o.clone();
    let mut steps = Vec::with_capacity(links.len());
    let mut effects = Vec::new();
    for (input, reason, patch) in &links {
        match decide(ctx, &after, input, reason, patch) {
            Ok(Decided::Go(go)) => {
                let (next, more, step) = *go;
                after = OrderRow {
                    version: o.version + 1,
                    ..next
                };
                effects.extend(more);
                steps.push(step);
            }
            _ => {
                steps.clear();
                break;
            }
        }
    }
    if !steps.is_empty() && store::record_transition(&ctx.orders_by_key, &o, &after, &steps).await?
    {
        return Ok((after, effects));
    }
    let mut o = o;
    let mut effects = Vec::new();
    for (input, reason, patch) in links {
        let (next, more) = transition_from(ctx, o, input, reason, patch).await?;
        o = next;
        effects.extend(more);
    }
    Ok((o, effects))
}

/// What the machine would make of `input` on `o`, without writing it: the order after
/// it and its effects, or `None` when the input is ignored or refused there.
pub fn preview(
    ctx: &Ctx,
    o: &OrderRow,
    input: &Input,
    patch: &Patch,
) -> Option<(OrderRow, Vec<Effect>)> {
    match decide(ctx, o, input, "", patch) {
        Ok(Decided::Go(go)) => {
            let (after, effects, _) = *go;
            Some((after, effects))
        }
        _ => None,
    }
}

async fn read(ctx: &Ctx, id: Uuid) -> Result<OrderRow, ChargingError> {
    store::get(&ctx.orders_by_key, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound(format!("order {id}")))
}

/// The transition under the order's row lock.
async fn locked(
    ctx: &Ctx,
    id: Uuid,
    input: Input,
    reason: &str,
    patch: Patch,
) -> Result<(OrderRow, Vec<Effect>), ChargingError> {
    let mut tx = ctx.orders_by_key.begin().await?;
    let o = store::lock(&mut tx, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound(format!("order {id}")))?;
    match decide(ctx, &o, &input, reason, &patch)? {
        Decided::Go(go) => {
            let (after, effects, step) = *go;
            // The row is locked: the version cannot have moved.
            if !store::record_transition(&mut *tx, &o, &after, &[step]).await? {
                return Err(ChargingError::Invalid(format!(
                    "order {id} changed under its row lock"
                )));
            }
            tx.commit().await?;
            Ok((after, effects))
        }
        Decided::Ignore => {
            tx.rollback().await?;
            Ok((o, Vec::new()))
        }
    }
}

enum Decided<'r> {
    /// The order after the transition, its effects, its history row and event.
    Go(Box<(OrderRow, Vec<Effect>, store::Step<'r>)>),
    Ignore,
}

/// What the machine makes of `input` on `o` (a refusal is an error).
fn decide<'r>(
    ctx: &Ctx,
    o: &OrderRow,
    input: &Input,
    reason: &'r str,
    patch: &Patch,
) -> Result<Decided<'r>, ChargingError> {
    let from = State::parse(&o.state).unwrap_or(State::Created);
    let (to, effects) = match apply(from, input) {
        Outcome::Go { to, effects } => (to, effects),
        Outcome::Ignore => return Ok(Decided::Ignore),
        Outcome::Refuse(why) => {
            return Err(ChargingError::Refused(
                axum::http::StatusCode::CONFLICT,
                code::INVALID_TRANSITION,
                format!(
                    "订单状态为 {} / the order is {}: {why}",
                    from.as_str(),
                    from.as_str()
                ),
            ));
        }
    };
    let now = Utc::now();
    let after = OrderRow {
        state: to.as_str().into(),
        deadline: deadline(ctx, o, to, now),
        version: o.version + 1,
        ..patch.clone().apply_to(o)
    };
    let event = proto::events::OrderStateChanged {
        tenant_id: after.tenant_id.to_string(),
        order_id: after.id.to_string(),
        user_id: after.user_id.to_string(),
        device_id: after.device_id.clone(),
        port: u32::try_from(after.port).unwrap_or(0),
        from_state: from.as_str().into(),
        to_state: to.as_str().into(),
        reason: reason.into(),
        energy_wh: after
            .energy_wh
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0),
        duration_secs: after
            .duration_secs
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0),
        amount_fen: after.amount_fen.unwrap_or(0),
        at: Some(bus::event::timestamp(now)),
    };
    let tenant = after.tenant_id.to_string();
    let event =
        crate::events::outgoing(ctx.ns(), &tenant, ("order", "state_changed"), now, &event)?;
    let step = store::Step {
        from: from.as_str(),
        to: to.as_str(),
        reason,
        event,
    };
    Ok(Decided::Go(Box::new((after, effects, step))))
}
