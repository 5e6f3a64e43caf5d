//! Stored bills: by id, by order, listed.

use std::collections::HashMap;

use pricing::LineItem;
use runtime::http::Page;
use uuid::Uuid;

use super::Ctx;
use crate::error::{BillingError, Result};
use crate::store::bills::{BillFilter, BillRow, ItemRow};
use crate::store::{self, TenantScope};

/// A bill with its lines, in order.
#[derive(Debug, Clone)]
pub struct BillRecord {
    pub row: BillRow,
    pub items: Vec<LineItem>,
}

pub async fn get(ctx: &Ctx, scope: TenantScope, id: Uuid) -> Result<BillRecord> {
    let row = store::bills::get(&ctx.pool, scope, id)
        .await?
        .ok_or(BillingError::NotFound("bill"))?;
    one(ctx, row).await
}

pub async fn by_order(ctx: &Ctx, tenant: Uuid, order_ref: &str) -> Result<BillRecord> {
    let row = store::bills::by_order(&ctx.pool, tenant, order_ref)
        .await?
        .ok_or(BillingError::NotFound("bill"))?;
    one(ctx, row).await
}

pub async fn list(ctx: &Ctx, f: &BillFilter, page: Page) -> Result<(Vec<BillRecord>, i64)> {
    let (rows, total) = store::bills::list(&ctx.pool, f, page.sql()).await?;
    Ok((with_items(ctx, rows).await?, total))
}

pub async fn one(ctx: &Ctx, row: BillRow) -> Result<BillRecord> {
    let mut v = with_items(ctx, vec![row]).await?;
    v.pop()
        .ok_or_else(|| BillingError::Internal("bill vanished while reading its items".into()))
}

/// Attaches the lines of every bill (bills of one tenant or several; one query per
/// tenant, in practice one).
async fn with_items(ctx: &Ctx, rows: Vec<BillRow>) -> Result<Vec<BillRecord>> {
    let mut by_tenant: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &rows {
        by_tenant.entry(r.tenant_id).or_default().push(r.id);
    }
    let mut items: HashMap<Uuid, Vec<LineItem>> = HashMap::new();
    for (tenant, ids) in by_tenant {
        for i in store::bills::items(&ctx.pool, tenant, &ids).await? {
            let id = i.bill_id;
            items.entry(id).or_default().push(line(i)?);
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| BillRecord {
            items: items.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

fn line(i: ItemRow) -> Result<LineItem> {
    serde_json::from_value(i.item.0).map_err(|e| {
        BillingError::Internal(format!(
            "stored line {} of bill {} no longer parses: {e}",
            i.position, i.bill_id
        ))
    })
}
