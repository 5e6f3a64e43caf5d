//! `/api/v1/roles`: built-in roles (id = name) and the tenant's custom roles.

use axum::extract::{Path, State};
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::{RolesCreate, RolesDelete, RolesRead, RolesUpdate};
use super::views::RoleView;
use crate::app::{self, Ctx};
use crate::domain::rbac::{BUILTIN, BuiltinRole};
use crate::error::IdentityError;

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<RolesRead>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Vec<RoleView>> {
    let custom = app::roles::list(&ctx, &auth, q.tenant_id).await?;
    let mut all: Vec<RoleView> = BUILTIN.iter().map(|r| RoleView::builtin(*r)).collect();
    all.extend(custom.iter().map(RoleView::from));
    Ok(ok(all))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<RolesRead>,
    Path(id): Path<String>,
) -> ApiResult<RoleView> {
    if let Some(b) = BuiltinRole::from_name(&id) {
        return Ok(ok(RoleView::builtin(b)));
    }
    let id: Uuid = id.parse().map_err(|_| IdentityError::NotFound("role"))?;
    Ok(ok(RoleView::from(&app::roles::get(&ctx, &auth, id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    #[serde(default)]
    description: String,
    permissions: Vec<String>,
    /// Platform admins: the tenant to create it in.
    tenant_id: Option<Uuid>,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<RolesCreate>,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<RoleView> {
    let r = app::create_role::run(
        &ctx,
        &auth,
        b.tenant_id,
        &b.name,
        &b.description,
        &b.permissions,
    )
    .await?;
    Ok(ok(RoleView::from(&r)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    description: Option<String>,
    permissions: Option<Vec<String>>,
}

fn custom_id(id: &str) -> Result<Uuid, IdentityError> {
    if BuiltinRole::from_name(id).is_some() {
        return Err(IdentityError::Invalid(
            "built-in roles cannot change".into(),
        ));
    }
    id.parse().map_err(|_| IdentityError::NotFound("role"))
}

pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth<RolesUpdate>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<RoleView> {
    let r = app::roles::update(
        &ctx,
        &auth,
        custom_id(&id)?,
        b.description.as_deref(),
        b.permissions.as_deref(),
    )
    .await?;
    Ok(ok(RoleView::from(&r)))
}

pub async fn delete(
    State(ctx): State<Ctx>,
    auth: Auth<RolesDelete>,
    Path(id): Path<String>,
) -> ApiResult<()> {
    app::roles::delete(&ctx, &auth, custom_id(&id)?).await?;
    Ok(ok(()))
}
