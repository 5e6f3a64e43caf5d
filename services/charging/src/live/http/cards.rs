//! Card bindings: operators bind any card of their tenant to a driver or an org wallet
//! (`devices:update`, since a card is a key to the operator's piles; listing needs
//! `devices:read`); drivers bind, list and unbind their own cards (`charging:start`:
//! a card is one more way to start a charge, and every driver holds it).

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use runtime::auth::{Auth, Principal};
use runtime::http::{ApiError, ApiJson, ApiResult, Page, Paged, ok};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ChargingStart, DevicesRead, DevicesUpdate, tenant_root};
use crate::ctx::Ctx;
use crate::error::{ChargingError, code};
use crate::live::domain::card::{CardNo, CardStatus};
use crate::live::store::cards::{self as store, Card, NewCard};

#[derive(Serialize)]
pub struct CardView {
    card_no: String,
    owner_kind: String,
    owner_id: Uuid,
    status: String,
    label: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl CardView {
    /// Card numbers are masked unless the caller may read personal data (DESIGN §6).
    fn new(c: Card, unmasked: bool) -> Self {
        let card_no = match CardNo::parse(&c.card_no) {
            Ok(n) if !unmasked => n.masked(),
            _ => c.card_no,
        };
        CardView {
            card_no,
            owner_kind: c.owner_kind,
            owner_id: c.owner_id,
            status: c.status,
            label: c.label,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

fn tenant_id(p: &Principal) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&p.tenant).map_err(|_| ChargingError::invalid("tenant", "is not a UUID").into())
}

fn card_no(s: &str) -> Result<CardNo, ApiError> {
    CardNo::parse(s).map_err(|e| ChargingError::invalid("card_no", e).into())
}

fn subject(p: &Principal) -> Result<Uuid, ApiError> {
    Uuid::parse_str(&p.subject)
        .map_err(|_| ChargingError::invalid("caller", "is not a user").into())
}

/// `GET /api/v1/charging/cards`: the tenant's cards, newest first.
pub async fn list(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesRead>,
    page: Page,
) -> ApiResult<Paged<CardView>> {
    let root = tenant_root(&auth)?;
    auth.at(&root)?;
    let unmasked = auth.can("pii:read", &root);
    let (items, total) = store::list(&ctx.pool, tenant_id(&auth)?, None, page.sql())
        .await
        .map_err(ChargingError::from)?;
    let items = items
        .into_iter()
        .map(|c| CardView::new(c, unmasked))
        .collect();
    Ok(ok(Paged::counted(items, total, page)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindBody {
    /// "user" (a driver) or "org" (an organization node's wallet).
    #[serde(default = "user")]
    owner_kind: String,
    owner_id: Uuid,
    #[serde(default = "active")]
    status: String,
    #[serde(default)]
    label: String,
}

fn user() -> String {
    "user".into()
}
fn active() -> String {
    CardStatus::Active.as_str().into()
}

/// `PUT /api/v1/charging/cards/{card_no}`: binds, rebinds or blocks a card.
pub async fn bind(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesUpdate>,
    Path(no): Path<String>,
    ApiJson(b): ApiJson<BindBody>,
) -> ApiResult<CardView> {
    auth.at(&tenant_root(&auth)?)?;
    let no = card_no(&no)?;
    if !matches!(b.owner_kind.as_str(), "user" | "org") {
        return Err(ChargingError::invalid("owner_kind", "must be user or org").into());
    }
    let status = CardStatus::parse(&b.status).map_err(|e| ChargingError::invalid("status", e))?;
    if b.label.chars().count() > 64 {
        return Err(ChargingError::invalid("label", "at most 64 characters").into());
    }
    let card = store::upsert(
        &ctx.pool,
        &NewCard {
            tenant: tenant_id(&auth)?,
            card_no: no.as_str(),
            owner_kind: &b.owner_kind,
            owner_id: b.owner_id,
            status: status.as_str(),
            label: &b.label,
            bound_by: &auth.subject,
        },
    )
    .await
    .map_err(ChargingError::from)?;
    Ok(ok(CardView::new(card, true)))
}

/// `DELETE /api/v1/charging/cards/{card_no}`
pub async fn unbind(
    State(ctx): State<Ctx>,
    auth: Auth<DevicesUpdate>,
    Path(no): Path<String>,
) -> ApiResult<()> {
    auth.at(&tenant_root(&auth)?)?;
    let no = card_no(&no)?;
    if !store::delete(&ctx.pool, tenant_id(&auth)?, no.as_str(), None)
        .await
        .map_err(ChargingError::from)?
    {
        return Err(ApiError::not_found("card"));
    }
    Ok(ok(()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindMineBody {
    card_no: String,
    #[serde(default)]
    label: String,
}

/// `POST /api/v1/charging/me/cards`: a driver binds a card to their own wallet; a card
/// bound to anyone else is refused (12005).
pub async fn bind_mine(
    State(ctx): State<Ctx>,
    auth: Auth<ChargingStart>,
    ApiJson(b): ApiJson<BindMineBody>,
) -> ApiResult<CardView> {
    let no = card_no(&b.card_no)?;
    if b.label.chars().count() > 64 {
        return Err(ChargingError::invalid("label", "at most 64 characters").into());
    }
    let me = subject(&auth)?;
    let tenant = tenant_id(&auth)?;
    let new = NewCard {
        tenant,
        card_no: no.as_str(),
        owner_kind: "user",
        owner_id: me,
        status: CardStatus::Active.as_str(),
        label: &b.label,
        bound_by: &auth.subject,
    };
    if let Some(card) = store::insert_new(&ctx.pool, &new)
        .await
        .map_err(ChargingError::from)?
    {
        return Ok(ok(CardView::new(card, true)));
    }
    // Bound already: fine if it is the caller's own, otherwise not theirs to take.
    match store::get(&ctx.pool, tenant, no.as_str())
        .await
        .map_err(ChargingError::from)?
    {
        Some(c) if c.owner_kind == "user" && c.owner_id == me => Ok(ok(CardView::new(c, true))),
        _ => Err(ChargingError::Refused(
            axum::http::StatusCode::CONFLICT,
            code::DUPLICATE,
            "card is bound to another account".into(),
        )
        .into()),
    }
}

/// `GET /api/v1/charging/me/cards`
pub async fn mine(
    State(ctx): State<Ctx>,
    auth: Auth<ChargingStart>,
    page: Page,
) -> ApiResult<Paged<CardView>> {
    let owner = Some(("user", subject(&auth)?));
    let (items, total) = store::list(&ctx.pool, tenant_id(&auth)?, owner, page.sql())
        .await
        .map_err(ChargingError::from)?;
    let items = items.into_iter().map(|c| CardView::new(c, true)).collect();
    Ok(ok(Paged::counted(items, total, page)))
}

/// `DELETE /api/v1/charging/me/cards/{card_no}`
pub async fn unbind_mine(
    State(ctx): State<Ctx>,
    auth: Auth<ChargingStart>,
    Path(no): Path<String>,
) -> ApiResult<()> {
    let no = card_no(&no)?;
    let owner = Some(("user", subject(&auth)?));
    if !store::delete(&ctx.pool, tenant_id(&auth)?, no.as_str(), owner)
        .await
        .map_err(ChargingError::from)?
    {
        return Err(ApiError::not_found("card"));
    }
    Ok(ok(()))
}
