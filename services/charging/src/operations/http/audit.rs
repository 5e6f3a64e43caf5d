//! `GET /api/v1/charging/operations`: the tenant's audit of remote operations and
//! campaign changes within the caller's `devices:read` reach, newest first.

use axum::extract::State;
use chrono::{DateTime, Utc};
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::DevicesRead;
use super::views::OperationView;
use crate::ctx::Ctx;
use crate::error::ChargingError;
use crate::operations::store::audit::{self, Filter};
use crate::registry::app::lookup_tenant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    device_id: Option<String>,
    campaign_id: Option<Uuid>,
    /// reboot, get_parameters, set_parameters, set_voice, upgrade, firmware_upload,
    /// campaign_create, campaign_advance, campaign_pause, campaign_resume,
    /// campaign_abort, campaign_complete.
    action: Option<String>,
    /// An outcome, or `unknown` for operations still `sent`.
    outcome: Option<String>,
    /// A user or app id.
    actor_id: Option<String>,
    /// Started at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Started before (RFC 3339).
    to: Option<DateTime<Utc>>,
    limit: Option<u32>,
    offset: Option<u64>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Paged<OperationView>> {
    let page = Page::new(q.limit, q.offset)?;
    let f = Filter {
        tenant: lookup_tenant(&auth)?,
        prefixes: auth.scopes().prefixes(),
        device_id: q.device_id.map(|d| d.trim().to_ascii_lowercase()),
        campaign_id: q.campaign_id,
        action: q.action,
        outcome: q.outcome,
        actor_id: q.actor_id,
        from: q.from,
        to: q.to,
    };
    let (rows, total) = audit::list(&ctx.pool, &f, page.sql())
        .await
        .map_err(ChargingError::from)?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(OperationView::from).collect(),
        total,
        page,
    )))
}
