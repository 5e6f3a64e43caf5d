//! Third-party apps: `POST /apps` (issue id + secret), `GET /apps`, `GET /apps/{id}`,
//! `POST /apps/{id}/rotate`, `POST /apps/{id}/revoke`. Every change is written to
//! PostgreSQL, then mirrored to the NATS KV registry the runtime verifies from; the
//! service also re-syncs the whole registry at start and every minute, so a failed
//! mirror write heals itself.

use runtime::auth::apps::AppCredential;
use runtime::auth::{OrgPath, Principal};
use runtime::http::Page;
use uuid::Uuid;

use super::{Ctx, actor, authorized_node, list_tenant, path, scope_of};
use crate::domain::ids::AppId;
use crate::domain::{org, rbac};
use crate::error::{IdentityError, Result};
use crate::store::apps::AppRow;
use crate::{store, tokens};

fn credential(row: &AppRow) -> Result<AppCredential> {
    Ok(AppCredential {
        app_id: row.id.clone(),
        tenant: row.tenant_id.to_string(),
        path: OrgPath::parse(&row.node_path)?,
        scopes: row.scopes.clone(),
        secret: row.secret.clone(),
        active: row.status == "active",
    })
}

/// Writes the app's credential to the KV registry.
pub async fn mirror(ctx: &Ctx, row: &AppRow) -> Result<()> {
    let value = serde_json::to_vec(&credential(row)?)
        .map_err(|e| IdentityError::Internal(format!("app credential json: {e}")))?;
    ctx.apps_kv()
        .await?
        .put(&row.id, value.into())
        .await
        .map_err(|e| IdentityError::Internal(format!("app registry put: {e}")))?;
    Ok(())
}

/// Re-writes every app to the registry. Returns how many.
pub async fn sync_all(ctx: &Ctx) -> Result<usize> {
    let mut after = String::new();
    let mut n = 0;
    loop {
        let rows = store::apps::all(&ctx.pool, &after, 500).await?;
        let Some(last) = rows.last() else {
            return Ok(n);
        };
        after = last.id.clone();
        for r in &rows {
            mirror(ctx, r).await?;
            n += 1;
        }
    }
}

pub async fn create(
    ctx: &Ctx,
    p: &Principal,
    name: &str,
    node: Option<Uuid>,
    scopes: &[String],
) -> Result<AppRow> {
    let name = org::node_name(name)?;
    let node_id = match node {
        Some(n) => n,
        None => super::tenant_of(p)?,
    };
    let node = authorized_node(ctx, p, "apps:create", node_id).await?;
    let scopes = rbac::check_app_scopes(p, scopes, &path(&node.path)?)?;
    let id = AppId::from_random(tokens::random_bytes::<12>()?);
    let secret = tokens::new_app_secret()?;
    store::apps::insert(
        &ctx.pool,
        id.as_str(),
        node.tenant_id,
        node.id,
        &name,
        &secret,
        &scopes,
        &actor(p),
    )
    .await?;
    let row = get_row(ctx, p, id.as_str()).await?;
    mirror(ctx, &row).await?;
    Ok(row)
}

async fn get_row(ctx: &Ctx, p: &Principal, id: &str) -> Result<AppRow> {
    store::apps::get(&ctx.pool, scope_of(p)?, id)
        .await?
        .ok_or(IdentityError::NotFound("app"))
}

/// Loads app `id` and checks `permission` on its node.
async fn authorized(ctx: &Ctx, p: &Principal, permission: &str, id: &str) -> Result<AppRow> {
    let row = get_row(ctx, p, id).await?;
    runtime::auth::authorize(p, permission, &path(&row.node_path)?)?;
    Ok(row)
}

pub async fn get(ctx: &Ctx, p: &Principal, id: &str) -> Result<AppRow> {
    authorized(ctx, p, "apps:read", id).await
}

pub async fn list(
    ctx: &Ctx,
    p: &Principal,
    tenant: Option<Uuid>,
    page: Page,
) -> Result<(Vec<AppRow>, i64)> {
    let scopes = p.scopes("apps:read");
    if scopes.is_empty() {
        return Ok((vec![], 0));
    }
    Ok(store::apps::list(
        &ctx.pool,
        list_tenant(p, tenant)?,
        &scopes.prefixes(),
        page.sql(),
    )
    .await?)
}

/// A new secret; the old one stops working at once.
pub async fn rotate(ctx: &Ctx, p: &Principal, id: &str) -> Result<AppRow> {
    let row = authorized(ctx, p, "apps:rotate", id).await?;
    if row.status != "active" {
        return Err(IdentityError::AppRevoked);
    }
    let secret = tokens::new_app_secret()?;
    store::apps::rotate(&ctx.pool, row.tenant_id, id, &secret).await?;
    let row = get_row(ctx, p, id).await?;
    mirror(ctx, &row).await?;
    Ok(row)
}

pub async fn revoke(ctx: &Ctx, p: &Principal, id: &str) -> Result<AppRow> {
    let row = authorized(ctx, p, "apps:revoke", id).await?;
    store::apps::revoke(&ctx.pool, row.tenant_id, id).await?;
    let row = get_row(ctx, p, id).await?;
    mirror(ctx, &row).await?;
    Ok(row)
}
