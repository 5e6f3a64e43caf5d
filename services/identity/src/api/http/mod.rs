//! REST: `/api/v1/auth/*`, `/users`, `/organizations`, `/roles`, `/apps`,
//! `/audit-logs`, and `/.well-known/jwks.json`. Every mutating request is audited.

mod apps;
mod audit;
mod auth;
mod orgs;
pub mod perms;
mod roles;
mod users;
pub mod views;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use chrono::Utc;
use runtime::auth::{ClientIp, PrincipalKind, PrincipalSlot};
use runtime::http::server::REQUEST_ID;
use runtime::http::{ApiResult, ok};
use runtime::service::InfoView;
use uuid::Uuid;

use crate::app::{self, Ctx};
use crate::store::audit::AuditRow;

pub fn router(ctx: Ctx, svc: runtime::ServiceContext) -> Router {
    let info = Router::new()
        .route("/api/v1/identity/info", get(info))
        .with_state(svc);
    let api = Router::new()
        .route("/.well-known/jwks.json", get(auth::jwks))
        .route("/api/v1/auth/register", post(auth::register))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/login/sms", post(auth::login_sms))
        .route("/api/v1/auth/sms-code", post(auth::sms_code))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/password", post(auth::change_password))
        .route("/api/v1/auth/password/reset", post(auth::reset_password))
        .route("/api/v1/auth/me", get(auth::me).patch(auth::update_me))
        .route("/api/v1/auth/keys/rotate", post(auth::rotate_keys))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route("/api/v1/users/{id}", get(users::get).patch(users::update))
        .route("/api/v1/users/{id}/disable", post(users::disable))
        .route("/api/v1/users/{id}/enable", post(users::enable))
        .route("/api/v1/users/{id}/unlock", post(users::unlock))
        .route(
            "/api/v1/users/{id}/grants",
            get(users::grants).post(users::grant),
        )
        .route("/api/v1/users/{id}/grants/{grant}", delete(users::revoke))
        .route("/api/v1/organizations", get(orgs::list).post(orgs::create))
        .route(
            "/api/v1/organizations/{id}",
            get(orgs::get).patch(orgs::update),
        )
        .route("/api/v1/organizations/{id}/subtree", get(orgs::subtree))
        .route("/api/v1/organizations/{id}/move", post(orgs::move_node))
        .route("/api/v1/organizations/{id}/disable", post(orgs::disable))
        .route("/api/v1/organizations/{id}/enable", post(orgs::enable))
        .route("/api/v1/roles", get(roles::list).post(roles::create))
        .route(
            "/api/v1/roles/{id}",
            get(roles::get).patch(roles::update).delete(roles::delete),
        )
        .route("/api/v1/apps", get(apps::list).post(apps::create))
        .route("/api/v1/apps/{id}", get(apps::get))
        .route("/api/v1/apps/{id}/rotate", post(apps::rotate))
        .route("/api/v1/apps/{id}/revoke", post(apps::revoke))
        .route("/api/v1/audit-logs", get(audit::list))
        .route_layer(middleware::from_fn_with_state(ctx.clone(), audited))
        .with_state(ctx);
    info.merge(api)
}

/// `GET /api/v1/identity/info`: who is serving (the REST twin of the `GetInfo` RPC).
async fn info(State(svc): State<runtime::ServiceContext>) -> ApiResult<InfoView> {
    Ok(ok(svc.info_view()))
}

/// What a handler adds to its audit entry: the target it touched, and for logins (no
/// principal yet) who logged in.
#[derive(Default)]
struct NoteData {
    target: Option<String>,
    tenant: Option<Uuid>,
    actor: Option<String>,
}

#[derive(Clone, Default)]
pub struct Note(Arc<Mutex<NoteData>>);

impl Note {
    pub fn target(&self, t: impl Into<String>) {
        if let Ok(mut n) = self.0.lock() {
            n.target = Some(t.into());
        }
    }
    pub fn tenant(&self, t: Uuid) {
        if let Ok(mut n) = self.0.lock() {
            n.tenant = Some(t);
        }
    }
    pub fn actor(&self, user: Uuid, tenant: Uuid) {
        if let Ok(mut n) = self.0.lock() {
            n.actor = Some(user.to_string());
            n.tenant = Some(tenant);
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Note {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Note>().cloned().unwrap_or_default())
    }
}

/// Writes one audit entry per mutating request, after the response is known.
async fn audited(State(ctx): State<Ctx>, mut req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let slot = PrincipalSlot::default();
    let note = Note::default();
    req.extensions_mut().insert(slot.clone());
    req.extensions_mut().insert(note.clone());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let action = format!("{} {route}", req.method());
    let uri_path: String = req.uri().path().chars().take(300).collect();
    let ip = req.extensions().get::<ClientIp>().and_then(|c| c.0);
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(100).collect::<String>());
    let res = next.run(req).await;
    let status = res.status();
    let principal = slot.0.get();
    let data = note
        .0
        .lock()
        .map(|mut n| std::mem::take(&mut *n))
        .unwrap_or_default();
    let row = AuditRow {
        id: Uuid::now_v7(),
        tenant_id: data
            .tenant
            .or_else(|| principal.and_then(|p| p.tenant.parse().ok())),
        actor_id: principal.map(|p| p.subject.clone()).or(data.actor.clone()),
        actor_kind: principal
            .map(|p| match p.kind {
                PrincipalKind::User => "user",
                PrincipalKind::App => "app",
            })
            .or(data.actor.as_ref().map(|_| "user"))
            .map(str::to_owned),
        action,
        target: data.target.unwrap_or(uri_path),
        result: result_of(status).into(),
        status: i32::from(status.as_u16()),
        ip: ip.map(|i| i.to_string()),
        request_id,
        at: Utc::now(),
    };
    if let Err(e) = app::audit::record(&ctx, &row).await {
        tracing::error!(error = %e, action = %row.action, "audit entry not written");
    }
    res
}

fn result_of(status: StatusCode) -> &'static str {
    match status.as_u16() {
        200..=399 => "ok",
        401 | 403 => "denied",
        400..=499 => "failed",
        _ => "error",
    }
}
