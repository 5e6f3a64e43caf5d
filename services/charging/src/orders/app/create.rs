//! A driver's order: the device must be registered to the driver's operator, the site
//! must have a tariff, the port must be free, the hold must succeed; then the start goes
//! to the pile in the background (the answer returns at once, `authorized`).

use axum::http::StatusCode;
use chrono::Utc;
use proto::pylon::payment::v1::{HoldRequest, WalletOwner};
use uuid::Uuid;

use super::effects;
use super::transition::{Patch, chain_from, transition_from};
use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::live::domain::port::PortState;
use crate::orders::domain::state::{Input, State};
use crate::orders::store::{self, Inserted, OrderRow};
use crate::registry::store::devices;
use crate::tariffs;

/// The largest hold one order may take (¥1,000).
pub const MAX_HOLD_FEN: i64 = 100_000;

/// What a driver asks for.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub tenant: Uuid,
    pub user: Uuid,
    pub device_id: String,
    pub port: u32,
    /// `duration` (seconds), `energy` (Wh) or `full`.
    pub limit_kind: String,
    pub limit_value: i64,
    pub hold_fen: i64,
    pub key: String,
}

fn validate(n: &NewOrder) -> Result<(), ChargingError> {
    if n.port == 0 || n.port > 255 {
        return Err(ChargingError::invalid("port", "1..=255"));
    }
    match n.limit_kind.as_str() {
        "duration" if (60..=86_400).contains(&n.limit_value) => {}
        "duration" => return Err(ChargingError::invalid("duration_secs", "60..=86400")),
        "energy" if (10..=200_000).contains(&n.limit_value) => {}
        "energy" => return Err(ChargingError::invalid("energy_wh", "10..=200000")),
        "full" => {}
        _ => {
            return Err(ChargingError::invalid(
                "limit",
                "duration_secs, energy_wh or until_full",
            ));
        }
    }
    if !(1..=MAX_HOLD_FEN).contains(&n.hold_fen) {
        return Err(ChargingError::invalid(
            "hold_fen",
            format!("1..={MAX_HOLD_FEN}"),
        ));
    }
    if n.key.is_empty() || n.key.len() > 128 {
        return Err(ChargingError::invalid(
            "Idempotency-Key",
            "1 to 128 characters",
        ));
    }
    Ok(())
}

pub async fn create(ctx: &Ctx, n: NewOrder) -> Result<OrderRow, ChargingError> {
    validate(&n)?;
    // The registry places the device; the live read model says how its port is. A port
    // the pile reports as faulty is refused before any money is held: the pile would
    // refuse the start anyway, after the driver had waited for it.
    let (device, port_state) = devices::placement_at_port(&ctx.pool, &n.device_id, n.port)
        .await?
        .filter(|(d, _)| d.tenant_id == n.tenant)
        .ok_or_else(|| ChargingError::NotFound(format!("device {}", n.device_id)))?;
    if port_state.as_deref().map(PortState::parse) == Some(PortState::Fault) {
        return Err(ChargingError::Refused(
            StatusCode::CONFLICT,
            code::PORT_FAULT,
            format!(
                "端口故障 / port {} of device {} reports a fault",
                n.port, n.device_id
            ),
        ));
    }
    let node_path = device.node_path.clone();
    let tariff = tariffs::resolve(ctx, n.tenant, &node_path)
        .await
        .map_err(|s| match s.code() {
            tonic::Code::NotFound | tonic::Code::FailedPrecondition => ChargingError::Refused(
                StatusCode::CONFLICT,
                code::NO_TARIFF,
                format!(
                    "该站点未配置资费 / no tariff for this site: {}",
                    s.message()
                ),
            ),
            _ => ChargingError::Upstream(format!("billing: {}", s.message())),
        })?;
    let id = Uuid::now_v7();
    let protocol = device.protocol.clone();
    let row = OrderRow {
        id,
        tenant_id: n.tenant,
        user_id: n.user,
        device_id: n.device_id.clone(),
        port: n.port as i32,
        node_path,
        // DNY piles echo our 16-byte order number; GN sockets allocate theirs.
        device_order_ref: if protocol == "dny" {
            id.simple().to_string()
        } else {
            String::new()
        },
        protocol,
        state: State::Created.as_str().into(),
        limit_kind: n.limit_kind.clone(),
        limit_value: n.limit_value,
        hold_fen: n.hold_fen,
        tariff_id: Uuid::parse_str(&tariff.tariff_id).ok(),
        tariff_version: i32::try_from(tariff.version).ok(),
        idempotency_key: n.key.clone(),
        created_at: Utc::now(),
        ..OrderRow::default()
    };
    let mut conn = ctx.orders_by_key.acquire().await?;
    let row = match store::insert(&mut conn, &row).await? {
        Inserted::New(row) => row,
        Inserted::Existing(o) => return Ok(o),
        Inserted::PortBusy => {
            return Err(ChargingError::Refused(
                StatusCode::CONFLICT,
                code::PORT_BUSY,
                "端口正在使用 / the port is in use by another order".into(),
            ));
        }
    };
    drop(conn);
    let held = ctx
        .clients
        .payment
        .clone()
        .hold(HoldRequest {
            owner: Some(WalletOwner {
                tenant_id: n.tenant.to_string(),
                kind: "user".into(),
                owner_id: n.user.to_string(),
            }),
            order_ref: id.to_string(),
            amount_fen: n.hold_fen,
            idempotency_key: format!("order:{id}:hold"),
        })
        .await;
    match held {
        Ok(h) => {
            let patch = Patch {
                hold_id: Some(h.into_inner().hold_id),
                ..Patch::default()
            };
            // Authorized and, at once, starting: one statement (the start command goes
            // out in the background, after it).
            let (o, effects) = chain_from(
                ctx,
                row,
                vec![
                    (Input::Authorized, "hold placed", patch),
                    (Input::StartSent, "start sent", Patch::default()),
                ],
            )
            .await?;
            effects::spawn(ctx.clone(), o.clone(), effects);
            Ok(o)
        }
        Err(s) => {
            let why = s.message().to_owned();
            transition_from(
                ctx,
                row,
                Input::AuthorizationFailed,
                "hold refused",
                Patch {
                    failure: Some(why.clone()),
                    ..Patch::default()
                },
            )
            .await?;
            Err(match s.code() {
                tonic::Code::FailedPrecondition => ChargingError::Refused(
                    StatusCode::PAYMENT_REQUIRED,
                    code::PAYMENT_DECLINED,
                    format!("余额不足 / the wallet cannot cover the hold: {why}"),
                ),
                _ => ChargingError::Upstream(format!("payment: {why}")),
            })
        }
    }
}
