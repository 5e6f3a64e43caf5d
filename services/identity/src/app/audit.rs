//! The audit log: one entry per mutating request (written by the HTTP layer after the
//! response is known) and `GET /audit-logs`.

use chrono::{DateTime, Utc};
use runtime::auth::{OrgPath, Principal};
use runtime::http::Page;
use uuid::Uuid;

use super::Ctx;
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::audit::{AuditFilter, AuditRow};

pub async fn record(ctx: &Ctx, row: &AuditRow) -> Result<()> {
    store::audit::insert(&ctx.pool, row).await?;
    Ok(())
}

#[derive(Default)]
pub struct Query {
    pub tenant_id: Option<Uuid>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub result: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Entries of one tenant (the caller's; platform admins may name one or see all).
/// Reading the audit log is a tenant-wide right: `audit:read` on the operator node.
pub async fn list(ctx: &Ctx, p: &Principal, q: Query, page: Page) -> Result<(Vec<AuditRow>, i64)> {
    let tenant = if p.platform_admin {
        q.tenant_id
    } else {
        let t = super::tenant_of(p)?;
        runtime::auth::authorize(p, "audit:read", &OrgPath::root(&t.to_string())?)?;
        Some(t)
    };
    if let Some(r) = &q.result
        && !["ok", "denied", "failed", "error"].contains(&r.as_str())
    {
        return Err(IdentityError::Invalid(
            "result must be ok, denied, failed or error".into(),
        ));
    }
    let clip = |s: Option<String>| {
        s.filter(|s| !s.is_empty())
            .map(|s| s.chars().take(200).collect::<String>())
    };
    let f = AuditFilter {
        tenant,
        actor_id: clip(q.actor_id),
        action: clip(q.action),
        target: clip(q.target),
        result: q.result,
        from: q.from,
        to: q.to,
    };
    Ok(store::audit::list(&ctx.pool, &f, page.sql()).await?)
}
