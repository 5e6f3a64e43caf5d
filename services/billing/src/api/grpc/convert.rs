//! Between the engine's and the store's types and the protobuf messages. Enum-like
//! strings are pricing's JSON names (`domain::items`).

use chrono::{DateTime, Utc};
use proto::pylon::billing::v1 as pb;

use crate::app::bills::BillRecord;
use crate::app::resolve::Resolved;
use crate::domain::items;
use crate::error::BillingError;
use crate::events::timestamp;

/// An optional protobuf timestamp; out-of-range values are the caller's mistake.
pub fn time(
    field: &str,
    t: Option<prost_types::Timestamp>,
) -> Result<Option<DateTime<Utc>>, BillingError> {
    t.map(|t| {
        u32::try_from(t.nanos)
            .ok()
            .and_then(|n| DateTime::from_timestamp(t.seconds, n))
            .ok_or_else(|| BillingError::invalid(field, "is not a valid timestamp"))
    })
    .transpose()
}

pub fn tariff_ref(r: &Resolved) -> pb::TariffRef {
    pb::TariffRef {
        tariff_id: r.tariff.id.to_string(),
        version: u32::try_from(r.version.version).unwrap_or_default(),
        effective_from: Some(timestamp(r.version.effective_from)),
        body_json: r.version.body.0.to_string(),
        name: r.tariff.name.clone(),
        assigned_path: r.assignment.node_path.clone(),
        valid_until: r.next_change.map(timestamp),
    }
}

fn line(l: &pricing::LineItem) -> pb::LineItem {
    pb::LineItem {
        component: items::component(l.component),
        period: l.period.map(items::period).unwrap_or_default(),
        tariff_index: l.tariff_index,
        quantity: l.quantity.map(|q| pb::Quantity {
            value: q.value,
            unit: items::quantity_unit(q.unit),
        }),
        unit_price: l.unit_price.map(|p| {
            let (per, per_minutes) = items::price_unit(p.per);
            pb::UnitPrice {
                millifen: p.millifen.get(),
                per: per.into(),
                per_minutes,
            }
        }),
        amount_fen: l.amount_fen.get(),
    }
}

pub fn bill(b: &BillRecord) -> pb::Bill {
    let r = &b.row;
    pb::Bill {
        bill_id: r.id.to_string(),
        tenant_id: r.tenant_id.to_string(),
        order_ref: r.order_ref.clone(),
        tariff_id: r.tariff_id.to_string(),
        tariff_version: u32::try_from(r.tariff_version).unwrap_or_default(),
        items: b.items.iter().map(line).collect(),
        total_fen: r.total_fen,
        currency: r.currency.clone(),
        device_reported_fen: r.device_reported_fen,
        difference_fen: r.difference_fen,
        tolerance_fen: r.tolerance_fen,
        flagged: r.flagged,
        issued_at: Some(timestamp(r.issued_at)),
        node_path: r.node_path.clone(),
        payer_id: r.payer_id.clone().unwrap_or_default(),
    }
}

/// A quote as a bill that was never issued: no id, no order.
pub fn quote_bill(tenant_id: &str, node_path: &str, r: &Resolved, b: &pricing::Bill) -> pb::Bill {
    pb::Bill {
        tenant_id: tenant_id.to_owned(),
        tariff_id: r.tariff.id.to_string(),
        tariff_version: u32::try_from(r.version.version).unwrap_or_default(),
        items: b.items.iter().map(line).collect(),
        total_fen: b.total_fen.get(),
        currency: items::currency(b.currency),
        tolerance_fen: crate::domain::reconcile::tolerance(b),
        node_path: node_path.to_owned(),
        ..Default::default()
    }
}
