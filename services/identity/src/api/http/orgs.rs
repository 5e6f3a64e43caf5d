//! `/api/v1/organizations`.

use axum::extract::{Path, State};
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::Note;
use super::perms::{OrgsCreate, OrgsDisable, OrgsMove, OrgsRead, OrgsUpdate};
use super::views::OrgView;
use crate::app::{self, Ctx};
use crate::error::IdentityError;

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
    parent_id: Option<Uuid>,
    kind: Option<String>,
    q: Option<String>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsRead>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<OrgView>> {
    let (rows, total) = app::list_nodes::list(
        &ctx,
        &auth,
        app::list_nodes::Query {
            tenant_id: q.tenant_id,
            parent_id: q.parent_id,
            kind: q.kind,
            q: q.q,
        },
        page,
    )
    .await?;
    Ok(ok(Paged::new(
        rows.iter().map(OrgView::from).collect(),
        total as u64,
        page,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// `region` or `site` under `parent_id`; `operator` (platform admins) with `code`.
    kind: String,
    name: String,
    parent_id: Option<Uuid>,
    code: Option<String>,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsCreate>,
    note: Note,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<OrgView> {
    let node = if b.kind == "operator" {
        let code = b
            .code
            .ok_or_else(|| IdentityError::Invalid("an operator needs a code".into()))?;
        app::create_tenant::run(&ctx, &auth, &code, &b.name).await?
    } else {
        let parent = b
            .parent_id
            .ok_or_else(|| IdentityError::Invalid("parent_id is required".into()))?;
        app::create_node::run(&ctx, &auth, parent, &b.kind, &b.name).await?
    };
    note.target(format!("organization {}", node.id));
    note.tenant(node.tenant_id);
    Ok(ok(OrgView::from(&node)))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<OrgView> {
    Ok(ok(OrgView::from(
        &app::list_nodes::get(&ctx, &auth, id).await?,
    )))
}

pub async fn subtree(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<Vec<OrgView>> {
    let rows = app::list_nodes::subtree(&ctx, &auth, id).await?;
    Ok(ok(rows.iter().map(OrgView::from).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    name: String,
}

pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsUpdate>,
    note: Note,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<UpdateBody>,
) -> ApiResult<OrgView> {
    let n = app::update_node::run(&ctx, &auth, id, &b.name).await?;
    note.tenant(n.tenant_id);
    Ok(ok(OrgView::from(&n)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    parent_id: Uuid,
}

pub async fn move_node(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsMove>,
    note: Note,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<MoveBody>,
) -> ApiResult<OrgView> {
    let n = app::move_node::run(&ctx, &auth, id, b.parent_id).await?;
    note.tenant(n.tenant_id);
    Ok(ok(OrgView::from(&n)))
}

pub async fn disable(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsDisable>,
    note: Note,
    Path(id): Path<Uuid>,
) -> ApiResult<OrgView> {
    let n = app::set_node_disabled::run(&ctx, &auth, id, true).await?;
    note.tenant(n.tenant_id);
    Ok(ok(OrgView::from(&n)))
}

pub async fn enable(
    State(ctx): State<Ctx>,
    auth: Auth<OrgsDisable>,
    note: Note,
    Path(id): Path<Uuid>,
) -> ApiResult<OrgView> {
    let n = app::set_node_disabled::run(&ctx, &auth, id, false).await?;
    note.tenant(n.tenant_id);
    Ok(ok(OrgView::from(&n)))
}
