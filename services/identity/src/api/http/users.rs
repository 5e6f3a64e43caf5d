//! `/api/v1/users`.

use axum::extract::{Path, State};
use runtime::auth::{Auth, OrgPath};
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::Note;
use super::perms::{
    GrantsCreate, GrantsDelete, GrantsRead, UsersCreate, UsersDisable, UsersRead, UsersUnlock,
    UsersUpdate,
};
use super::views::{GrantView, UserView};
use crate::app::{self, Ctx};
use crate::domain::user::UserStatus;
use crate::store::users::UserRow;

/// Full phone and e-mail for the user themself and for holders of `pii:read` there.
fn view<P: runtime::auth::Permission>(auth: &Auth<P>, u: &UserRow) -> UserView {
    let reveal = auth.subject == u.id.to_string()
        || OrgPath::parse(&u.node_path).is_ok_and(|p| auth.can("pii:read", &p));
    UserView::new(u, reveal)
}

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
    kind: Option<String>,
    status: Option<String>,
    q: Option<String>,
    node_id: Option<Uuid>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<UsersRead>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<UserView>> {
    let (rows, total) = app::list_users::run(
        &ctx,
        &auth,
        app::list_users::Query {
            tenant_id: q.tenant_id,
            kind: q.kind,
            status: q.status,
            q: q.q,
            node_id: q.node_id,
        },
        page,
    )
    .await?;
    let items = rows.iter().map(|u| view(&auth, u)).collect();
    Ok(ok(Paged::new(items, total as u64, page)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    node_id: Uuid,
    kind: Option<String>,
    display_name: String,
    phone: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<UsersCreate>,
    note: Note,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<UserView> {
    let u = app::create_user::run(
        &ctx,
        &auth,
        app::create_user::CreateUser {
            node_id: b.node_id,
            kind: b.kind,
            display_name: b.display_name,
            phone: b.phone,
            email: b.email,
            password: b.password,
        },
    )
    .await?;
    note.target(format!("user {}", u.id));
    note.tenant(u.tenant_id);
    Ok(ok(view(&auth, &u)))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<UsersRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<UserView> {
    let u = app::authorized_user(&ctx, &auth, "users:read", id).await?;
    Ok(ok(view(&auth, &u)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    display_name: Option<String>,
    email: Option<String>,
    node_id: Option<Uuid>,
    password: Option<String>,
}

pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth<UsersUpdate>,
    note: Note,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<UserView> {
    let u = app::update_user::run(
        &ctx,
        &auth,
        id,
        app::update_user::UpdateUser {
            display_name: b.display_name,
            email: b.email,
            node_id: b.node_id,
            password: b.password,
        },
    )
    .await?;
    note.tenant(u.tenant_id);
    Ok(ok(view(&auth, &u)))
}

pub async fn disable(
    State(ctx): State<Ctx>,
    auth: Auth<UsersDisable>,
    note: Note,
    Path(id): Path<Uuid>,
) -> ApiResult<UserView> {
    let u = app::set_user_status::run(&ctx, &auth, id, UserStatus::Disabled).await?;
    note.tenant(u.tenant_id);
    Ok(ok(view(&auth, &u)))
}

pub async fn enable(
    State(ctx): State<Ctx>,
    auth: Auth<UsersDisable>,
    note: Note,
    Path(id): Path<Uuid>,
) -> ApiResult<UserView> {
    let u = app::set_user_status::run(&ctx, &auth, id, UserStatus::Active).await?;
    note.tenant(u.tenant_id);
    Ok(ok(view(&auth, &u)))
}

pub async fn unlock(
    State(ctx): State<Ctx>,
    auth: Auth<UsersUnlock>,
    note: Note,
    Path(id): Path<Uuid>,
) -> ApiResult<UserView> {
    let u = app::set_user_status::unlock(&ctx, &auth, id).await?;
    note.tenant(u.tenant_id);
    Ok(ok(view(&auth, &u)))
}

pub async fn grants(
    State(ctx): State<Ctx>,
    auth: Auth<GrantsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Vec<GrantView>> {
    let g = app::grant_role::list(&ctx, &auth, id).await?;
    Ok(ok(g.iter().map(GrantView::from).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    role: String,
    node_id: Uuid,
}

pub async fn grant(
    State(ctx): State<Ctx>,
    auth: Auth<GrantsCreate>,
    note: Note,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<GrantBody>,
) -> ApiResult<GrantView> {
    note.target(format!(
        "user {id} role {} node {}",
        b.role.chars().take(48).collect::<String>(),
        b.node_id
    ));
    let g = app::grant_role::run(&ctx, &auth, id, &b.role, b.node_id).await?;
    note.tenant(g.tenant_id);
    Ok(ok(GrantView::from(&g)))
}

pub async fn revoke(
    State(ctx): State<Ctx>,
    auth: Auth<GrantsDelete>,
    Path((id, grant)): Path<(Uuid, Uuid)>,
) -> ApiResult<()> {
    app::revoke_grant::run(&ctx, &auth, id, grant).await?;
    Ok(ok(()))
}
