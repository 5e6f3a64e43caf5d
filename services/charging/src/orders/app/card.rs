//! Flow (b), card sessions: the gateway asked `pylon.charging.card.authorize`, the live
//! module approved the swipe and recorded it (`card_authorizations`), the pile started by
//! itself. When the pile's first report of that session arrives (start, meter or end)
//! and no order holds the port, the order is made here: tariff, a hold on the card's
//! wallet, `charging`. From then on it is an ordinary order.

use chrono::{Duration, Utc};
use proto::pylon::payment::v1::{HoldRequest, WalletOwner};
use uuid::Uuid;

use super::transition::{Patch, transition};
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::live::store::cards;
use crate::orders::domain::state::{Input, State};
use crate::orders::store::{self, Inserted, OrderRow};
use crate::registry::store::devices;
use crate::tariffs;

/// A swipe older than this no longer starts an order (the pile would have refused).
const SWIPE_VALID: Duration = Duration::minutes(10);
/// The most a card session holds (¥50), or the wallet's balance if lower.
const CARD_HOLD_CAP_FEN: i64 = 5_000;

/// A DNY card session: right after the approved swipe the order is made and started
/// like a scanned one (the pile waits for our 0x82 with the order number).
pub async fn start_dny(ctx: &Ctx, device_id: &str, port: u32) -> Result<(), ChargingError> {
    let id = Uuid::now_v7();
    let Some((order, hold_id)) = open(ctx, device_id, port, &id.simple().to_string(), id).await?
    else {
        return Ok(());
    };
    let (o, effects) = transition(
        ctx,
        order.id,
        Input::Authorized,
        "card approved",
        Patch {
            hold_id: Some(hold_id),
            ..Patch::default()
        },
    )
    .await?;
    let _ = super::effects::run(ctx, o, effects).await;
    Ok(())
}

/// The order of a card session on `(device, port)`, made now if an approved swipe waits
/// (GN: the socket started on the card order and reports the session).
pub async fn from_swipe(
    ctx: &Ctx,
    device_id: &str,
    port: u32,
    device_order_ref: &str,
) -> Result<Option<OrderRow>, ChargingError> {
    let Some((order, hold_id)) =
        open(ctx, device_id, port, device_order_ref, Uuid::now_v7()).await?
    else {
        return Ok(None);
    };
    let (o, _) = transition(
        ctx,
        order.id,
        Input::StartedByCard,
        "card session reported by the pile",
        Patch {
            hold_id: Some(hold_id),
            started_at: Some(Utc::now()),
            ..Patch::default()
        },
    )
    .await?;
    Ok(Some(o))
}

/// Makes the order of the newest approved swipe on the port and places its hold:
/// `(order, hold id)`, or `None` without a fresh swipe (or when another order won).
async fn open(
    ctx: &Ctx,
    device_id: &str,
    port: u32,
    device_order_ref: &str,
    id: Uuid,
) -> Result<Option<(OrderRow, String)>, ChargingError> {
    let Some(a) = cards::latest_open(&ctx.pool, device_id, port).await? else {
        return Ok(None);
    };
    if Utc::now() - a.authorized_at > SWIPE_VALID {
        return Ok(None);
    }
    // The card was approved for a registered device of this operator (card decisions).
    let Some(device) = devices::placement(&ctx.pool, device_id)
        .await?
        .filter(|d| d.tenant_id == a.tenant_id)
    else {
        return Ok(None);
    };
    let node_path = device.node_path.clone();
    let tariff = tariffs::resolve(ctx, a.tenant_id, &node_path)
        .await
        .map_err(|s| ChargingError::Upstream(format!("billing: {}", s.message())))?;
    let hold_fen = a.balance_fen.clamp(1, CARD_HOLD_CAP_FEN);
    let row = OrderRow {
        id,
        tenant_id: a.tenant_id,
        user_id: a.owner_id,
        device_id: device_id.to_owned(),
        port: i32::try_from(port).unwrap_or(0),
        node_path,
        protocol: device.protocol.clone(),
        state: State::Created.as_str().into(),
        limit_kind: "full".into(),
        limit_value: 0,
        hold_fen,
        device_order_ref: device_order_ref.to_owned(),
        tariff_id: Uuid::parse_str(&tariff.tariff_id).ok(),
        tariff_version: i32::try_from(tariff.version).ok(),
        // One order per swipe, however many reports of the session arrive.
        idempotency_key: format!("card:{}", a.id),
        created_at: Utc::now(),
        ..OrderRow::default()
    };
    let mut conn = ctx.pool.acquire().await?;
    let order = match store::insert(&mut conn, &row).await? {
        Inserted::New(o) => o,
        Inserted::Existing(_) | Inserted::PortBusy => return Ok(None),
    };
    crate::live::store::cards::mark_picked(&mut conn, a.id).await?;
    drop(conn);
    let held = ctx
        .clients
        .payment
        .clone()
        .hold(HoldRequest {
            owner: Some(WalletOwner {
                tenant_id: a.tenant_id.to_string(),
                kind: a.owner_kind.clone(),
                owner_id: a.owner_id.to_string(),
            }),
            order_ref: id.to_string(),
            amount_fen: hold_fen,
            idempotency_key: format!("order:{id}:hold"),
        })
        .await;
    match held {
        Ok(h) => Ok(Some((order, h.into_inner().hold_id))),
        Err(s) => {
            let why = format!("payment: {}", s.message());
            let patch = Patch {
                failure: Some(why.clone()),
                ..Patch::default()
            };
            transition(
                ctx,
                order.id,
                Input::AuthorizationFailed,
                "card hold refused",
                patch,
            )
            .await?;
            Err(ChargingError::Upstream(why))
        }
    }
}
