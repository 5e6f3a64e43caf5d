//! `POST /invoice-requests`: an e-invoice request for one or more bills of the caller's
//! tenant. Staff need `invoices:create` on each bill's site; a driver may request the
//! invoice of a bill they paid (the bill's payer), which the built-in driver role could
//! not do otherwise — it holds no invoice permission, and invoicing one's own charging
//! is a driver's right, not a staff privilege.

use std::collections::BTreeSet;

use runtime::auth::{Denied, OrgPath, Principal, authorize};
use uuid::Uuid;

use super::{Ctx, stored_path, tenant_of};
use crate::domain::invoice::{MAX_BILLS, Recipient};
use crate::domain::paths;
use crate::error::{BillingError, Result};
use crate::store;
use crate::store::bills::BillRow;
use crate::store::invoices::{InvoiceRequestRow, RequestBillRow};

pub struct NewRequest {
    pub bill_ids: Vec<Uuid>,
    pub title_kind: String,
    pub title: String,
    pub tax_id: Option<String>,
    pub email: String,
}

pub async fn run(
    ctx: &Ctx,
    p: &Principal,
    r: NewRequest,
) -> Result<(InvoiceRequestRow, Vec<RequestBillRow>)> {
    let ids: BTreeSet<Uuid> = r.bill_ids.iter().copied().collect();
    if ids.is_empty() || ids.len() > MAX_BILLS {
        return Err(BillingError::invalid(
            "bill_ids",
            format!("give 1 to {MAX_BILLS} bills"),
        ));
    }
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let to = Recipient::parse(&r.title_kind, &r.title, r.tax_id.as_deref(), &r.email)?;
    let tenant = tenant_of(p)?;
    let mut tx = ctx.pool.begin().await?;
    let bills = store::bills::many(&mut *tx, tenant, &ids).await?;
    if bills.len() != ids.len() {
        return Err(BillingError::NotFound("bill"));
    }
    let mut bill_paths = Vec::with_capacity(bills.len());
    for b in &bills {
        let path = stored_path(&b.node_path)?;
        may_invoice(p, b, &path)?;
        bill_paths.push(path);
    }
    let total_fen = bills
        .iter()
        .try_fold(0i64, |acc, b| acc.checked_add(b.total_fen))
        .ok_or_else(|| BillingError::invalid("bill_ids", "the amounts overflow"))?;
    if total_fen <= 0 {
        return Err(BillingError::invalid(
            "bill_ids",
            "the bills total 0 fen: there is nothing to invoice",
        ));
    }
    let node = paths::common_ancestor(&bill_paths)
        .ok_or_else(|| BillingError::Internal("bills of one tenant share no node".into()))?;
    let row = InvoiceRequestRow {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        node_path: node.as_str().to_owned(),
        requested_by: p.subject.clone(),
        title_kind: to.kind.as_str().to_owned(),
        title: to.title,
        tax_id: to.tax_id,
        email: to.email,
        total_fen,
        created_at: super::now(),
    };
    store::invoices::insert(&mut *tx, &row).await?;
    let mut lines = Vec::with_capacity(bills.len());
    for b in &bills {
        store::invoices::add_bill(&mut *tx, tenant, row.id, b.id, b.total_fen)
            .await
            .map_err(|e| {
                if store::violates(&e, store::invoices::BILL_TAKEN) {
                    BillingError::AlreadyInvoiced(b.order_ref.clone())
                } else {
                    e.into()
                }
            })?;
        lines.push(RequestBillRow {
            request_id: row.id,
            bill_id: b.id,
            order_ref: b.order_ref.clone(),
            amount_fen: b.total_fen,
        });
    }
    tx.commit().await?;
    Ok((row, lines))
}

/// Staff with `invoices:create` on the bill's site, or the driver who paid it.
fn may_invoice(p: &Principal, bill: &BillRow, path: &OrgPath) -> Result<()> {
    match authorize(p, "invoices:create", path) {
        Ok(()) => Ok(()),
        Err(_) if bill.payer_id.as_deref() == Some(p.subject.as_str()) => Ok(()),
        Err(Denied::OtherTenant) => Err(BillingError::NotFound("bill")),
        Err(Denied::Permission) => Err(BillingError::Forbidden),
    }
}
