//! A driver's receipt for a settled order: where and when they charged, how much energy,
//! what was taken from their wallet, and the itemised bill from billing (`GetBill`).
//! When billing cannot answer, the receipt still comes, from the order's own figures,
//! and says so.

use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use proto::pylon::billing::v1::{Bill, GetBillRequest, get_bill_request};
use serde::Serialize;
use uuid::Uuid;

use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::orders::domain::state::State;
use crate::orders::store::{self, OrderRow, history};

/// How long a receipt waits for billing before answering without the items.
pub const BILL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Receipt {
    pub order_id: String,
    /// The registry site the device was at; `None` when it has none (an unbound device).
    pub site: Option<ReceiptSite>,
    pub device_id: String,
    pub port: i32,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_secs: Option<i64>,
    pub energy_wh: Option<i64>,
    /// What was captured from the wallet (at most the hold).
    pub amount_fen: i64,
    pub currency: &'static str,
    /// `bill`: the items are billing's; `order`: billing could not be asked, only the
    /// order's own figures are shown (`note` says why).
    pub source: &'static str,
    pub bill: Option<ReceiptBill>,
    /// Bilingual, for the driver (zh-CN first): set when something is missing.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReceiptSite {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReceiptBill {
    pub bill_id: String,
    /// The rated total; above `amount_fen` only when the hold capped the capture.
    pub total_fen: i64,
    pub issued_at: Option<DateTime<Utc>>,
    pub items: Vec<ReceiptLine>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReceiptLine {
    /// `electricity`, `service`, `time`, `power`, `idle`, `minimum_charge`, `maximum_cap`.
    pub component: String,
    /// Time-of-use period of energy items (`peak`, `flat`, …), else empty.
    pub period: String,
    /// Wh or seconds (see `unit`); absent on adjustments.
    pub quantity: Option<i64>,
    pub unit: Option<String>,
    /// Thousandths of a fen per `per` (`kwh`, or `per_minutes` minutes).
    pub unit_price_millifen: Option<i64>,
    pub per: Option<String>,
    pub per_minutes: Option<u32>,
    pub amount_fen: i64,
}

/// The receipt of order `id` for its payer `user` of `tenant`. Someone else's order is
/// 404 like an unknown one; an order not yet settled is 409.
pub async fn receipt(
    ctx: &Ctx,
    tenant: Uuid,
    user: Uuid,
    id: Uuid,
) -> Result<Receipt, ChargingError> {
    let o = store::get(&ctx.pool, id)
        .await?
        .filter(|o| o.tenant_id == tenant && o.user_id == user)
        .ok_or_else(|| ChargingError::NotFound("order".into()))?;
    if State::parse(&o.state) != Some(State::Settled) {
        return Err(ChargingError::Refused(
            StatusCode::CONFLICT,
            code::INVALID_TRANSITION,
            format!(
                "订单尚未结算（当前状态 {}），结算后才能查看收据 / the order is not settled yet \
                 (it is {}); its receipt is available once it is settled",
                o.state, o.state
            ),
        ));
    }
    let site = history::site_at(&ctx.pool, tenant, &o.node_path)
        .await?
        .map(|s| ReceiptSite {
            id: s.id.to_string(),
            name: s.name,
        });
    let bill = fetch_bill(ctx, &o).await;
    Ok(build(&o, site, bill))
}

async fn fetch_bill(ctx: &Ctx, o: &OrderRow) -> Result<Bill, String> {
    let key = match &o.bill_id {
        Some(b) => get_bill_request::Key::BillId(b.clone()),
        None => get_bill_request::Key::OrderRef(o.id.to_string()),
    };
    let mut billing = ctx.clients.billing.clone();
    let call = billing.get_bill(GetBillRequest {
        tenant_id: o.tenant_id.to_string(),
        key: Some(key),
    });
    match tokio::time::timeout(BILL_TIMEOUT, call).await {
        Ok(Ok(bill)) => Ok(bill.into_inner()),
        Ok(Err(status)) => {
            tracing::warn!(order = %o.id, error = %status.message(), "receipt without the bill");
            Err(format!("{:?}", status.code()))
        }
        Err(_) => {
            tracing::warn!(order = %o.id, "receipt without the bill: billing timed out");
            Err("timeout".into())
        }
    }
}

/// The receipt from the order, its site and billing's answer (pure).
pub fn build(o: &OrderRow, site: Option<ReceiptSite>, bill: Result<Bill, String>) -> Receipt {
    let duration_secs = o
        .duration_secs
        .or_else(|| match (o.started_at, o.ended_at) {
            (Some(s), Some(e)) if e >= s => Some((e - s).num_seconds()),
            _ => None,
        });
    let (source, bill, note) = match bill {
        Ok(b) => ("bill", Some(bill_view(b)), None),
        Err(why) => (
            "order",
            None,
            Some(format!(
                "暂时无法获取账单明细（{why}），金额取自订单 / the itemised bill is unavailable \
                 ({why}); the amount shown is the order's"
            )),
        ),
    };
    Receipt {
        order_id: o.id.to_string(),
        site,
        device_id: o.device_id.clone(),
        port: o.port,
        started_at: o.started_at,
        ended_at: o.ended_at,
        duration_secs,
        energy_wh: o.energy_wh.or(o.last_meter_wh),
        amount_fen: o.amount_fen.unwrap_or(0),
        currency: "CNY",
        source,
        bill,
        note,
    }
}

fn bill_view(b: Bill) -> ReceiptBill {
    ReceiptBill {
        bill_id: b.bill_id,
        total_fen: b.total_fen,
        issued_at: b.issued_at.as_ref().and_then(bus::event::datetime),
        items: b
            .items
            .into_iter()
            .map(|i| ReceiptLine {
                component: i.component,
                period: i.period,
                quantity: i.quantity.as_ref().map(|q| q.value),
                unit: i.quantity.map(|q| q.unit),
                unit_price_millifen: i.unit_price.as_ref().map(|p| p.millifen),
                per: i.unit_price.as_ref().map(|p| p.per.clone()),
                per_minutes: i
                    .unit_price
                    .as_ref()
                    .map(|p| p.per_minutes)
                    .filter(|m| *m > 0),
                amount_fen: i.amount_fen,
            })
            .collect(),
    }
}
