//! `/api/v1/apps`: third-party app credentials.

use axum::extract::{Path, State};
use runtime::auth::Auth;
use runtime::http::extract::ApiQuery;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::Note;
use super::perms::{AppsCreate, AppsRead, AppsRevoke, AppsRotate};
use super::views::AppView;
use crate::app::{self, Ctx};

#[derive(Deserialize)]
pub struct ListQuery {
    tenant_id: Option<Uuid>,
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<AppsRead>,
    page: Page,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Paged<AppView>> {
    let (rows, total) = app::apps::list(&ctx, &auth, q.tenant_id, page).await?;
    Ok(ok(Paged::new(
        rows.iter().map(|a| AppView::new(a, false)).collect(),
        total as u64,
        page,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    /// The node the app is confined to; the caller's operator node if absent.
    node_id: Option<Uuid>,
    scopes: Vec<String>,
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<AppsCreate>,
    note: Note,
    ApiJson(b): ApiJson<CreateBody>,
) -> ApiResult<AppView> {
    let a = app::apps::create(&ctx, &auth, &b.name, b.node_id, &b.scopes).await?;
    note.target(format!("app {}", a.id));
    note.tenant(a.tenant_id);
    Ok(ok(AppView::new(&a, true)))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<AppsRead>,
    Path(id): Path<String>,
) -> ApiResult<AppView> {
    Ok(ok(AppView::new(
        &app::apps::get(&ctx, &auth, &id).await?,
        false,
    )))
}

pub async fn rotate(
    State(ctx): State<Ctx>,
    auth: Auth<AppsRotate>,
    note: Note,
    Path(id): Path<String>,
) -> ApiResult<AppView> {
    let a = app::apps::rotate(&ctx, &auth, &id).await?;
    note.tenant(a.tenant_id);
    Ok(ok(AppView::new(&a, true)))
}

pub async fn revoke(
    State(ctx): State<Ctx>,
    auth: Auth<AppsRevoke>,
    note: Note,
    Path(id): Path<String>,
) -> ApiResult<AppView> {
    let a = app::apps::revoke(&ctx, &auth, &id).await?;
    note.tenant(a.tenant_id);
    Ok(ok(AppView::new(&a, false)))
}
