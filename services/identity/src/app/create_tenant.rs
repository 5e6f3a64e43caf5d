//! `POST /organizations` with `kind: operator`: a new operator (tenant) and its root
//! node. Platform administrators only (also used by `pylon admin bootstrap`).

use chrono::Utc;
use runtime::auth::Principal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Ctx;
use super::create_node::org_changed;
use crate::domain::ids::TenantCode;
use crate::domain::org;
use crate::error::{IdentityError, Result};
use crate::store;
use crate::store::orgs::OrgRow;

pub async fn run(ctx: &Ctx, p: &Principal, code: &str, name: &str) -> Result<OrgRow> {
    if !p.platform_admin {
        return Err(IdentityError::Forbidden);
    }
    let mut tx = ctx.pool.begin().await?;
    let node = create(ctx, &mut tx, code, name).await?;
    tx.commit().await?;
    Ok(node)
}

/// Creates the tenant in `conn`'s transaction.
pub async fn create(ctx: &Ctx, conn: &mut PgConnection, code: &str, name: &str) -> Result<OrgRow> {
    let code = TenantCode::parse(code).map_err(|e| IdentityError::Invalid(e.into()))?;
    let name = org::node_name(name)?;
    if store::tenants::by_code(&mut *conn, code.as_str())
        .await?
        .is_some()
    {
        return Err(IdentityError::TenantExists);
    }
    let id = Uuid::now_v7();
    store::tenants::insert(&mut *conn, id, code.as_str(), &name).await?;
    let node = OrgRow {
        id,
        tenant_id: id,
        parent_id: None,
        kind: "operator".into(),
        name,
        path: format!("/{id}/"),
        disabled: false,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    store::orgs::insert(&mut *conn, &node).await?;
    org_changed(ctx, conn, &node, "created", "").await?;
    Ok(node)
}
