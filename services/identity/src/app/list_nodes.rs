//! `GET /organizations`, `GET /organizations/{id}` and `GET /organizations/{id}/subtree`.

use runtime::auth::Principal;
use runtime::http::Page;
use uuid::Uuid;

use super::{Ctx, authorized_node, list_tenant};
use crate::domain::org::OrgKind;
use crate::error::Result;
use crate::store;
use crate::store::orgs::{OrgFilter, OrgRow};

/// Largest subtree returned at once.
pub const MAX_SUBTREE: i64 = 5000;

#[derive(Default)]
pub struct Query {
    pub tenant_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub kind: Option<String>,
    pub q: Option<String>,
}

pub async fn list(ctx: &Ctx, p: &Principal, q: Query, page: Page) -> Result<(Vec<OrgRow>, i64)> {
    let scopes = p.scopes("orgs:read");
    if scopes.is_empty() {
        return Ok((vec![], 0));
    }
    if let Some(k) = &q.kind {
        k.parse::<OrgKind>()?;
    }
    let f = OrgFilter {
        tenant: list_tenant(p, q.tenant_id)?,
        prefixes: scopes.prefixes(),
        parent_id: q.parent_id,
        kind: q.kind,
        q: q.q.filter(|s| !s.is_empty()),
    };
    Ok(store::orgs::list(&ctx.pool, &f, page.sql()).await?)
}

pub async fn get(ctx: &Ctx, p: &Principal, id: Uuid) -> Result<OrgRow> {
    authorized_node(ctx, p, "orgs:read", id).await
}

pub async fn subtree(ctx: &Ctx, p: &Principal, id: Uuid) -> Result<Vec<OrgRow>> {
    let node = authorized_node(ctx, p, "orgs:read", id).await?;
    Ok(store::orgs::subtree(&ctx.pool, node.tenant_id, &node.path, MAX_SUBTREE).await?)
}
