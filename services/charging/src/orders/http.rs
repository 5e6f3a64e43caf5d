//! REST of orders: drivers start, watch and stop their own; operators see and stop any
//! in their scope. History (lists, CSV export, transitions, receipts) is in `history`.

mod history;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use runtime::auth::{Auth, Caller, OrgPath};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiError, ApiJson, ApiResult, Page, Paged, ok};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::app::{create, stop};
use super::history::filter::{Audience, HistoryQuery};
use super::history::list;
use super::store::{self, OrderRow};
use crate::ctx::Ctx;
use crate::error::ChargingError;

runtime::permission!(pub ChargingStart = "charging:start");
runtime::permission!(pub OrdersRead = "orders:read");
runtime::permission!(pub OrdersStop = "orders:stop");

pub fn routes() -> Router<Ctx> {
    Router::new()
        .route("/api/v1/charging/orders", post(start).get(history::list))
        .route("/api/v1/charging/orders/export.csv", get(history::export))
        .route("/api/v1/charging/orders/{id}", get(get_one))
        .route("/api/v1/charging/orders/{id}/stop", post(stop_one))
        .route("/api/v1/charging/orders/{id}/force-end", post(force_end))
        .route(
            "/api/v1/charging/orders/{id}/transitions",
            get(history::transitions),
        )
        .route("/api/v1/charging/me/orders", get(mine))
        .route(
            "/api/v1/charging/me/orders/{id}/receipt",
            get(history::receipt),
        )
}

#[derive(Serialize)]
pub struct OrderView {
    pub id: String,
    pub state: String,
    pub device_id: String,
    pub port: i32,
    pub limit_kind: String,
    pub limit_value: i64,
    pub hold_fen: i64,
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// While charging: the last meter sample; after the end: the pile's settlement.
    pub energy_wh: Option<i64>,
    pub power_dw: Option<i32>,
    pub duration_secs: Option<i64>,
    pub amount_fen: Option<i64>,
    pub bill_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<&OrderRow> for OrderView {
    fn from(o: &OrderRow) -> Self {
        Self {
            id: o.id.to_string(),
            state: o.state.clone(),
            device_id: o.device_id.clone(),
            port: o.port,
            limit_kind: o.limit_kind.clone(),
            limit_value: o.limit_value,
            hold_fen: o.hold_fen,
            started_at: o.started_at,
            ended_at: o.ended_at,
            energy_wh: o.energy_wh.or(o.last_meter_wh),
            power_dw: o.last_power_dw,
            duration_secs: o.duration_secs,
            amount_fen: o.amount_fen,
            bill_id: o.bill_id.clone(),
            failure: o.failure.clone(),
            created_at: o.created_at,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    device_id: String,
    port: u32,
    duration_secs: Option<i64>,
    energy_wh: Option<i64>,
    #[serde(default)]
    until_full: bool,
    hold_fen: i64,
}

fn uuid(field: &str, s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::from(ChargingError::invalid(field, "not a UUID")))
}

/// `POST /api/v1/charging/orders` (header `Idempotency-Key`): a driver starts charging.
async fn start(
    State(ctx): State<Ctx>,
    auth: Auth<ChargingStart>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<StartBody>,
) -> ApiResult<OrderView> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (limit_kind, limit_value) = match (b.duration_secs, b.energy_wh, b.until_full) {
        (Some(s), None, false) => ("duration", s),
        (None, Some(wh), false) => ("energy", wh),
        (None, None, true) => ("full", 0),
        _ => {
            return Err(ChargingError::invalid(
                "limit",
                "exactly one of duration_secs, energy_wh, until_full",
            )
            .into());
        }
    };
    let o = create::create(
        &ctx,
        create::NewOrder {
            tenant: uuid("tenant", &auth.tenant)?,
            user: uuid("user", &auth.subject)?,
            device_id: b.device_id,
            port: b.port,
            limit_kind: limit_kind.into(),
            limit_value,
            hold_fen: b.hold_fen,
            key,
        },
    )
    .await?;
    Ok(ok(OrderView::from(&o)))
}

/// The order if the caller may see it: its payer, or staff holding `permission` at the
/// order's node. Others get 404.
async fn visible(
    ctx: &Ctx,
    caller: &runtime::auth::Principal,
    id: &str,
    permission: &str,
) -> Result<OrderRow, ApiError> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::not_found("order"))?;
    let o = store::get(&ctx.orders_by_key, id)
        .await
        .map_err(ChargingError::from)?
        .ok_or_else(|| ApiError::not_found("order"))?;
    if o.tenant_id.to_string() != caller.tenant && !caller.platform_admin {
        return Err(ApiError::not_found("order"));
    }
    if o.user_id.to_string() == caller.subject {
        return Ok(o);
    }
    let path = OrgPath::parse(&o.node_path).map_err(|_| ApiError::not_found("order"))?;
    if caller.can(permission, &path) {
        Ok(o)
    } else {
        Err(ApiError::not_found("order"))
    }
}

/// `GET /api/v1/charging/orders/{id}`: the live session (power, energy so far) or the
/// settled order.
async fn get_one(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<OrderView> {
    let o = visible(&ctx, &caller.0, &id, "orders:read").await?;
    Ok(ok(OrderView::from(&o)))
}

/// `POST /api/v1/charging/orders/{id}/stop`: the payer, or an operator with `orders:stop`.
async fn stop_one(
    State(ctx): State<Ctx>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<OrderView> {
    let o = visible(&ctx, &caller.0, &id, "orders:stop").await?;
    let by = if o.user_id.to_string() == caller.subject {
        "stopped by the driver"
    } else {
        "stopped by an operator"
    };
    let o = stop::stop(&ctx, o, by).await?;
    Ok(ok(OrderView::from(&o)))
}

/// `POST /api/v1/charging/orders/{id}/force-end`: an operator (`orders:stop` at the
/// order's node) closes an order the pile will not end; billed from the last meter
/// sample, kept as `abnormal_end` for review.
async fn force_end(
    State(ctx): State<Ctx>,
    auth: Auth<OrdersStop>,
    Path(id): Path<String>,
) -> ApiResult<OrderView> {
    let o = visible(&ctx, &auth.principal, &id, "orders:stop").await?;
    let path = OrgPath::parse(&o.node_path).map_err(|_| ApiError::not_found("order"))?;
    auth.at(&path)?;
    let o = stop::force_end(&ctx, o).await?;
    Ok(ok(OrderView::from(&o)))
}

/// `GET /api/v1/charging/me/orders[?state&from&to&limit&offset]`: the caller's orders,
/// newest first (ties by id, so pages neither skip nor repeat).
async fn mine(
    State(ctx): State<Ctx>,
    caller: Caller,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
) -> ApiResult<Paged<OrderView>> {
    let q = HistoryQuery::parse(&pairs, Audience::Driver).map_err(ChargingError::from)?;
    let page = Page::new(q.limit, q.offset)?;
    let tenant = uuid("tenant", &caller.tenant)?;
    let user = uuid("user", &caller.subject)?;
    let (rows, total) = list::page(&ctx, &list::own(tenant, user, &q), page.sql()).await?;
    Ok(ok(Paged::counted(
        rows.iter().map(OrderView::from).collect(),
        total,
        page,
    )))
}
