//! `GET /users`: users on nodes the caller may read users of.

use runtime::auth::Principal;
use runtime::http::Page;
use uuid::Uuid;

use super::{Ctx, list_tenant};
use crate::domain::user::{UserKind, UserStatus};
use crate::error::Result;
use crate::store;
use crate::store::users::{UserFilter, UserRow};

#[derive(Default)]
pub struct Query {
    pub tenant_id: Option<Uuid>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub node_id: Option<Uuid>,
}

pub async fn run(ctx: &Ctx, p: &Principal, q: Query, page: Page) -> Result<(Vec<UserRow>, i64)> {
    let scopes = p.scopes("users:read");
    if scopes.is_empty() {
        return Ok((vec![], 0));
    }
    if let Some(k) = &q.kind {
        UserKind::parse(k)?;
    }
    if let Some(s) = &q.status {
        UserStatus::parse(s)?;
    }
    let f = UserFilter {
        tenant: list_tenant(p, q.tenant_id)?,
        prefixes: scopes.prefixes(),
        kind: q.kind,
        status: q.status,
        q: q.q.filter(|s| !s.is_empty()),
        node_id: q.node_id,
    };
    Ok(store::users::list(&ctx.pool, &f, page.sql()).await?)
}
