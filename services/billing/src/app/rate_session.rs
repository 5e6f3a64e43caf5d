//! Rating an ended session (gRPC `RateSession`, called by charging at settlement).
//!
//! One bill per (tenant, order): a repeated call returns the stored bill unchanged and
//! publishes nothing, whatever it carries — a bill, once issued, is what the driver was
//! charged; a correction is a refund, not a re-rating. The order's own tariff version
//! is used (the one it started with), never the one in effect now.

use pricing::{Bill, LineItem, SessionFacts};
use proto::events::{BillIssued, BillIssuedItem};
use runtime::auth::OrgPath;
use sqlx::types::Json;
use uuid::Uuid;

use super::bills::{self, BillRecord};
use super::{Ctx, tenant_of_path};
use crate::domain::items;
use crate::domain::reconcile::{Reconciliation, reconcile};
use crate::error::{BillingError, Result};
use crate::events::{self, timestamp};
use crate::store::{self, bills::BillRow, bills::ItemRow};

/// Longest order reference and payer id accepted.
const MAX_REF_LEN: usize = 128;

pub struct RateInput {
    pub tenant: Uuid,
    pub order_ref: String,
    pub tariff_id: Uuid,
    pub tariff_version: i32,
    pub facts: SessionFacts,
    pub device_reported_fen: Option<i64>,
    /// The site; the tenant root when absent.
    pub node: Option<OrgPath>,
    pub payer_id: Option<String>,
}

/// The bill of the order, and whether this call issued it.
pub async fn run(ctx: &Ctx, r: RateInput) -> Result<(BillRecord, bool)> {
    reference("order_ref", &r.order_ref)?;
    if let Some(p) = &r.payer_id {
        reference("payer_id", p)?;
    }
    if let Some(fen) = r.device_reported_fen
        && !(0..=pricing::limits::MAX_FEN).contains(&fen)
    {
        return Err(BillingError::invalid(
            "device_reported_fen",
            format!("must be between 0 and {}", pricing::limits::MAX_FEN),
        ));
    }
    let node = match r.node.clone() {
        Some(n) => n,
        None => OrgPath::root(&r.tenant.to_string())
            .map_err(|e| BillingError::Internal(e.to_string()))?,
    };
    if tenant_of_path("node_path", &node)? != r.tenant {
        return Err(BillingError::invalid("node_path", "is in another tenant"));
    }
    let body = super::tariff_bodies::body(ctx, r.tenant, r.tariff_id, r.tariff_version).await?;
    let facts = r.facts.clone();
    // Up to 100 000 meter samples: bounded, but not free, so off the async workers.
    let bill = tokio::task::spawn_blocking(move || pricing::rate(&body, &facts))
        .await
        .map_err(|e| BillingError::Internal(format!("rating task: {e}")))??;
    let rec = reconcile(&bill, r.device_reported_fen);
    let row = bill_row(&r, &node, &bill, rec)?;
    let lines = item_rows(row.id, &bill.items)?;

    let event = events::outgoing(
        &ctx.ns,
        r.tenant,
        ("bill", "issued"),
        row.issued_at,
        &issued(&row, &bill.items),
    )?;
    // Rating is pure and cheap: a repeated call rates again and finds the bill it
    // issued the first time, rather than every first call paying for a lookup.
    if !store::bills::issue(&ctx.pool, &row, &lines, &event).await? {
        return Ok((bills::by_order(ctx, r.tenant, &r.order_ref).await?, false));
    }
    tracing::info!(
        tenant = %r.tenant, order_ref = %r.order_ref, bill = %row.id,
        total_fen = row.total_fen, flagged = row.flagged, "bill issued"
    );
    Ok((
        BillRecord {
            row,
            items: bill.items,
        },
        true,
    ))
}

fn reference(field: &str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_REF_LEN || s.chars().any(|c| c.is_control()) {
        return Err(BillingError::invalid(
            field,
            format!("must be 1 to {MAX_REF_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

fn bill_row(r: &RateInput, node: &OrgPath, bill: &Bill, rec: Reconciliation) -> Result<BillRow> {
    let facts = serde_json::to_value(&r.facts)
        .map_err(|e| BillingError::Internal(format!("facts to JSON: {e}")))?;
    Ok(BillRow {
        id: Uuid::now_v7(),
        tenant_id: r.tenant,
        order_ref: r.order_ref.clone(),
        node_path: node.as_str().to_owned(),
        payer_id: r.payer_id.clone(),
        tariff_id: r.tariff_id,
        tariff_version: r.tariff_version,
        facts: Json(facts),
        session_start: r.facts.start,
        session_end: r.facts.end,
        total_fen: bill.total_fen.get(),
        currency: items::currency(bill.currency),
        device_reported_fen: rec.device_reported_fen,
        difference_fen: rec.difference_fen,
        tolerance_fen: rec.tolerance_fen,
        flagged: rec.flagged,
        issued_at: super::now(),
    })
}

fn item_rows(bill: Uuid, lines: &[LineItem]) -> Result<Vec<ItemRow>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(ItemRow {
                bill_id: bill,
                position: i32::try_from(i)
                    .map_err(|_| BillingError::Internal("too many bill lines".into()))?,
                component: items::component(l.component),
                period: l.period.map(items::period),
                amount_fen: l.amount_fen.get(),
                item: Json(
                    serde_json::to_value(l)
                        .map_err(|e| BillingError::Internal(format!("bill line to JSON: {e}")))?,
                ),
            })
        })
        .collect()
}

fn issued(row: &BillRow, lines: &[LineItem]) -> BillIssued {
    BillIssued {
        tenant_id: row.tenant_id.to_string(),
        bill_id: row.id.to_string(),
        order_ref: row.order_ref.clone(),
        tariff_id: row.tariff_id.to_string(),
        tariff_version: u32::try_from(row.tariff_version).unwrap_or_default(),
        total_fen: row.total_fen,
        currency: row.currency.clone(),
        items: lines
            .iter()
            .map(|l| BillIssuedItem {
                component: items::component(l.component),
                period: l.period.map(items::period).unwrap_or_default(),
                quantity: l.quantity.map(|q| q.value).unwrap_or_default(),
                quantity_unit: l
                    .quantity
                    .map(|q| items::quantity_unit(q.unit))
                    .unwrap_or_default(),
                amount_fen: l.amount_fen.get(),
            })
            .collect(),
        device_reported_fen: row.device_reported_fen,
        difference_fen: row.difference_fen,
        flagged: row.flagged,
        node_path: row.node_path.clone(),
        payer_id: row.payer_id.clone().unwrap_or_default(),
        issued_at: Some(timestamp(row.issued_at)),
    }
}
