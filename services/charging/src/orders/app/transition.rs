//! One transition, race-safe: the order row is locked, the pure machine decides, the new
//! state, its deadline, the history row and the event commit together.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::orders::domain::state::{Effect, Input, Outcome, State, apply};
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

/// Applies `input`; `Ok((order after, effects))`. A repeat changes nothing (no effects).
pub async fn transition(
    ctx: &Ctx,
    id: Uuid,
    input: Input,
    reason: &str,
    patch: Patch,
) -> Result<(OrderRow, Vec<Effect>), ChargingError> {
    let mut tx = ctx.pool.begin().await?;
    let o = store::lock(&mut tx, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound(format!("order {id}")))?;
    let from = State::parse(&o.state).unwrap_or(State::Created);
    let (to, effects) = match apply(from, &input) {
        Outcome::Go { to, effects } => (to, effects),
        Outcome::Ignore => {
            tx.rollback().await?;
            return Ok((o, Vec::new()));
        }
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
    sqlx::query(
        "UPDATE charging.orders SET state = $2, deadline = $3, updated_at = now(), \
         hold_id = COALESCE($4, hold_id), device_order_ref = COALESCE($5, device_order_ref), \
         started_at = COALESCE($6, started_at), ended_at = COALESCE($7, ended_at), \
         energy_wh = COALESCE($8, energy_wh), duration_secs = COALESCE($9, duration_secs), \
         max_power_dw = COALESCE($10, max_power_dw), end_reason = COALESCE($11, end_reason), \
         device_amount_fen = COALESCE($12, device_amount_fen), amount_fen = COALESCE($13, amount_fen), \
         bill_id = COALESCE($14, bill_id), failure = COALESCE($15, failure) WHERE id = $1",
    )
    .bind(id)
    .bind(to.as_str())
    .bind(deadline(ctx, &o, to, now))
    .bind(&patch.hold_id)
    .bind(&patch.device_order_ref)
    .bind(patch.started_at)
    .bind(patch.ended_at)
    .bind(patch.energy_wh)
    .bind(patch.duration_secs)
    .bind(patch.max_power_dw)
    .bind(&patch.end_reason)
    .bind(patch.device_amount_fen)
    .bind(patch.amount_fen)
    .bind(&patch.bill_id)
    .bind(&patch.failure)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO charging.order_transitions (order_id, from_state, to_state, reason) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let after = store::lock(&mut tx, id)
        .await?
        .ok_or_else(|| ChargingError::NotFound(format!("order {id}")))?;
    let event = proto::events::OrderStateChanged {
        tenant_id: after.tenant_id.to_string(),
        order_id: id.to_string(),
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
    crate::events::enqueue(
        &mut tx,
        ctx.ns(),
        &after.tenant_id.to_string(),
        ("order", "state_changed"),
        now,
        &event,
    )
    .await?;
    tx.commit().await?;
    Ok((after, effects))
}
