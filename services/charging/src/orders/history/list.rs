//! Listing orders: a history query plus the caller's reach become a store filter (a
//! site becomes its org path), then one page and the total.

use uuid::Uuid;

use super::filter::HistoryQuery;
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::orders::store::OrderRow;
use crate::orders::store::history::{self, OrderFilter};
use crate::registry::store::{Reach, sites};

/// The filter of `q` within `reach`. A `site_id` must be a site of the caller's tenant
/// (any tenant for platform administrators), else 400 naming it.
pub async fn filter(
    ctx: &Ctx,
    reach: Reach,
    q: &HistoryQuery,
) -> Result<OrderFilter, ChargingError> {
    let node_path = match q.site_id {
        Some(id) => Some(
            sites::get(&ctx.pool, reach.tenant, id)
                .await?
                .ok_or_else(|| ChargingError::invalid("site_id", "no such site"))?
                .node_path,
        ),
        None => None,
    };
    Ok(OrderFilter {
        tenant: reach.tenant,
        prefixes: reach.prefixes,
        user: q.user_id,
        device: q.device_id.clone(),
        node_path,
        states: q.states.clone(),
        from: q.from,
        to: q.to,
    })
}

/// A driver's own orders: their tenant, their user id, whatever the org path.
pub fn own(tenant: Uuid, user: Uuid, q: &HistoryQuery) -> OrderFilter {
    OrderFilter {
        tenant: Some(tenant),
        user: Some(user),
        states: q.states.clone(),
        from: q.from,
        to: q.to,
        ..OrderFilter::default()
    }
}

/// One page (newest first) and the total.
pub async fn page(
    ctx: &Ctx,
    f: &OrderFilter,
    page: (i64, i64),
) -> Result<(Vec<OrderRow>, i64), ChargingError> {
    let rows = history::list(&ctx.pool, f, page).await?;
    let total = history::count(&ctx.pool, f).await?;
    Ok((rows, total))
}
