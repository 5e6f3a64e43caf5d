//! What the REST API answers. Money in fen; enum names and line items are the pricing
//! engine's own JSON, so a console shows exactly what the engine computed.

use chrono::{DateTime, Utc};
use pricing::{Bill, LineItem};
use serde::Serialize;
use uuid::Uuid;

use crate::app::bills::BillRecord;
use crate::app::invoices::RequestRecord;
use crate::app::resolve::Resolved;
use crate::app::tariffs::TariffDetail;
use crate::store::assignments::AssignmentRow;
use crate::store::tariffs::{TariffRow, TariffSummaryRow};
use crate::store::versions::VersionRow;

#[derive(Serialize)]
pub struct TariffView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub node_path: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Oldest first.
    pub versions: Vec<VersionView>,
}

impl From<TariffDetail> for TariffView {
    fn from(d: TariffDetail) -> Self {
        let TariffDetail {
            tariff: t,
            versions,
        } = d;
        TariffView {
            id: t.id,
            name: t.name,
            description: t.description,
            node_path: t.node_path,
            created_by: t.created_by,
            created_at: t.created_at,
            versions: versions.into_iter().map(VersionView::from).collect(),
        }
    }
}

#[derive(Serialize)]
pub struct VersionView {
    pub version: i32,
    pub effective_from: DateTime<Utc>,
    /// The tariff (pricing's JSON).
    pub body: serde_json::Value,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl From<VersionRow> for VersionView {
    fn from(v: VersionRow) -> Self {
        VersionView {
            version: v.version,
            effective_from: v.effective_from,
            body: v.body.0,
            created_by: v.created_by,
            created_at: v.created_at,
        }
    }
}

#[derive(Serialize)]
pub struct TariffSummaryView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub node_path: String,
    pub latest_version: i32,
    pub created_at: DateTime<Utc>,
}

impl From<TariffSummaryRow> for TariffSummaryView {
    fn from(s: TariffSummaryRow) -> Self {
        let TariffRow {
            id,
            name,
            description,
            node_path,
            created_at,
            ..
        } = s.tariff;
        TariffSummaryView {
            id,
            name,
            description,
            node_path,
            latest_version: s.latest_version,
            created_at,
        }
    }
}

#[derive(Serialize)]
pub struct AssignmentView {
    pub id: Uuid,
    pub node_path: String,
    pub tariff_id: Uuid,
    pub assigned_by: String,
    pub assigned_at: DateTime<Utc>,
}

impl From<AssignmentRow> for AssignmentView {
    fn from(a: AssignmentRow) -> Self {
        AssignmentView {
            id: a.id,
            node_path: a.node_path,
            tariff_id: a.tariff_id,
            assigned_by: a.assigned_by,
            assigned_at: a.assigned_at,
        }
    }
}

/// The tariff version that applies, and the assignment that made it apply.
#[derive(Serialize)]
pub struct ResolvedView {
    pub tariff_id: Uuid,
    pub tariff_name: String,
    pub version: i32,
    pub effective_from: DateTime<Utc>,
    pub assignment_id: Uuid,
    pub assigned_path: String,
    /// When the tariff's next version takes over (`null`: none scheduled).
    pub valid_until: Option<DateTime<Utc>>,
    /// Absent in quotes (the bill shows what matters there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

impl ResolvedView {
    pub fn new(r: Resolved, with_body: bool) -> Self {
        ResolvedView {
            tariff_id: r.tariff.id,
            tariff_name: r.tariff.name,
            version: r.version.version,
            effective_from: r.version.effective_from,
            assignment_id: r.assignment.id,
            assigned_path: r.assignment.node_path,
            valid_until: r.next_change,
            body: with_body.then_some(r.version.body.0),
        }
    }
}

#[derive(Serialize)]
pub struct QuoteView {
    pub tariff: ResolvedView,
    pub bill: Bill,
}

#[derive(Serialize)]
pub struct BillView {
    pub id: Uuid,
    pub order_ref: String,
    pub node_path: String,
    pub payer_id: Option<String>,
    pub tariff_id: Uuid,
    pub tariff_version: i32,
    pub items: Vec<LineItem>,
    pub total_fen: i64,
    pub currency: String,
    pub device_reported_fen: Option<i64>,
    pub difference_fen: i64,
    pub tolerance_fen: i64,
    pub flagged: bool,
    pub session_start: DateTime<Utc>,
    pub session_end: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
}

impl From<BillRecord> for BillView {
    fn from(b: BillRecord) -> Self {
        let r = b.row;
        BillView {
            id: r.id,
            order_ref: r.order_ref,
            node_path: r.node_path,
            payer_id: r.payer_id,
            tariff_id: r.tariff_id,
            tariff_version: r.tariff_version,
            items: b.items,
            total_fen: r.total_fen,
            currency: r.currency,
            device_reported_fen: r.device_reported_fen,
            difference_fen: r.difference_fen,
            tolerance_fen: r.tolerance_fen,
            flagged: r.flagged,
            session_start: r.session_start,
            session_end: r.session_end,
            issued_at: r.issued_at,
        }
    }
}

#[derive(Serialize)]
pub struct InvoiceRequestView {
    pub id: Uuid,
    pub node_path: String,
    pub requested_by: String,
    pub title_kind: String,
    pub title: String,
    pub tax_id: Option<String>,
    /// Masked unless the caller made the request or holds `pii:read` on its node.
    pub email: String,
    pub total_fen: i64,
    pub bills: Vec<RequestBillView>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct RequestBillView {
    pub bill_id: Uuid,
    pub order_ref: String,
    pub amount_fen: i64,
}

impl InvoiceRequestView {
    pub fn new(r: RequestRecord, unmasked: bool) -> Self {
        let row = r.row;
        InvoiceRequestView {
            id: row.id,
            node_path: row.node_path,
            requested_by: row.requested_by,
            title_kind: row.title_kind,
            title: row.title,
            tax_id: row.tax_id,
            email: if unmasked {
                row.email
            } else {
                runtime::mask::email(&row.email)
            },
            total_fen: row.total_fen,
            bills: r
                .bills
                .into_iter()
                .map(|b| RequestBillView {
                    bill_id: b.bill_id,
                    order_ref: b.order_ref,
                    amount_fen: b.amount_fen,
                })
                .collect(),
            created_at: row.created_at,
        }
    }
}
