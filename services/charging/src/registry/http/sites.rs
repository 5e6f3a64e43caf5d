//! `/sites` and `/sites/{id}`.

use axum::extract::{Path, State};
use runtime::auth::Auth;
use runtime::http::{ApiJson, ApiResult, Page, Paged, ok};
use serde::Deserialize;
use uuid::Uuid;

use super::perms::{SitesCreate, SitesDelete, SitesRead, SitesUpdate};
use super::views::SiteView;
use crate::ctx::Ctx;
use crate::registry::app::{self, lookup_tenant};
use crate::registry::domain::site::SiteInput;
use crate::registry::store::{Reach, sites as store};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteBody {
    /// The identity organization node this site is (create only).
    node_path: Option<String>,
    name: String,
    #[serde(default)]
    address: String,
    lat: Option<f64>,
    lng: Option<f64>,
    #[serde(default)]
    opening_hours: String,
    #[serde(default)]
    photo_url: String,
}

impl SiteBody {
    fn input(&self) -> SiteInput {
        SiteInput {
            name: self.name.clone(),
            address: self.address.clone(),
            lat: self.lat,
            lng: self.lng,
            opening_hours: self.opening_hours.clone(),
            photo_url: self.photo_url.clone(),
        }
    }
}

pub async fn create(
    State(ctx): State<Ctx>,
    auth: Auth<SitesCreate>,
    ApiJson(b): ApiJson<SiteBody>,
) -> ApiResult<SiteView> {
    let raw = b
        .node_path
        .as_deref()
        .ok_or_else(|| crate::error::ChargingError::invalid("node_path", "is required"))?;
    let (path, tenant) = app::sites::site_path(raw)?;
    auth.at(&path)?;
    Ok(ok(app::sites::create(&ctx, &path, tenant, &b.input())
        .await?
        .into()))
}

pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<SitesRead>,
    page: Page,
) -> ApiResult<Paged<SiteView>> {
    let reach = Reach {
        tenant: lookup_tenant(&auth)?,
        prefixes: auth.scopes().prefixes(),
    };
    let (rows, total) = store::list(&ctx.pool, &reach, page.sql())
        .await
        .map_err(crate::error::ChargingError::from)?;
    Ok(ok(Paged::counted(
        rows.into_iter().map(SiteView::from).collect(),
        total,
        page,
    )))
}

pub async fn get(
    State(ctx): State<Ctx>,
    auth: Auth<SitesRead>,
    Path(id): Path<Uuid>,
) -> ApiResult<SiteView> {
    let (row, path) = app::sites::get(&ctx, lookup_tenant(&auth)?, id).await?;
    auth.at(&path)?;
    Ok(ok(row.into()))
}

pub async fn update(
    State(ctx): State<Ctx>,
    auth: Auth<SitesUpdate>,
    Path(id): Path<Uuid>,
    ApiJson(b): ApiJson<SiteBody>,
) -> ApiResult<SiteView> {
    let (row, path) = app::sites::get(&ctx, lookup_tenant(&auth)?, id).await?;
    auth.at(&path)?;
    if b.node_path.as_deref().is_some_and(|p| p != row.node_path) {
        return Err(crate::error::ChargingError::invalid(
            "node_path",
            "cannot change; the site is its organization node",
        )
        .into());
    }
    Ok(ok(app::sites::update(&ctx, row, &b.input()).await?.into()))
}

pub async fn delete(
    State(ctx): State<Ctx>,
    auth: Auth<SitesDelete>,
    Path(id): Path<Uuid>,
) -> ApiResult<()> {
    let (row, path) = app::sites::get(&ctx, lookup_tenant(&auth)?, id).await?;
    auth.at(&path)?;
    app::sites::delete(&ctx, &row).await?;
    Ok(ok(()))
}
