//! `GET /api/v1/audit-logs?actor_id=&action=&target=&result=&from=&to=&limit=&offset=`.

use axum::extract::State;
use chrono::{DateTime, Utc};
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::AuditRead;
use super::views::AuditView;
use crate::app::{self, Ctx};

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
    actor_id: Option<String>,
    action: Option<String>,
    target: Option<String>,
    result: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<AuditRead>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<AuditView>> {
    let (rows, total) = app::audit::list(
        &ctx,
        &auth,
        app::audit::Query {
            tenant_id: q.tenant_id,
            actor_id: q.actor_id,
            action: q.action,
            target: q.target,
            result: q.result,
            from: q.from,
            to: q.to,
        },
        page,
    )
    .await?;
    Ok(ok(Paged::new(
        rows.iter().map(AuditView::from).collect(),
        total as u64,
        page,
    )))
}
