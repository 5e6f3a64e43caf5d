//! The axum side: a layer that makes the [`Authenticator`] available and verifies signed
//! requests (their body is part of the signature), and the extractors handlers use.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::principal::{OrgPath, Principal, Scopes, authorize};
use super::{AuthError, Authenticator, signature};
use crate::http::ApiError;

/// A permission, as a type: see [`crate::permission!`].
pub trait Permission: Send + Sync + 'static {
    const NAME: &'static str;
}

/// A principal already verified for this request (by the signature layer or an earlier
/// extractor).
#[derive(Clone)]
struct Verified(Principal);

/// Put one in the request's extensions to learn who was authenticated (the audit log
/// does); the extractors fill it.
#[derive(Clone, Default)]
pub struct PrincipalSlot(pub Arc<OnceLock<Principal>>);

/// The caller's IP address: the peer address, or the last entry of the header named by
/// `http.client_ip_header` when Pylon runs behind a proxy that sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// Adds the authenticator and the client IP to every request of `router` and verifies
/// signed ones. `runtime::app` applies it to every service's routes.
pub fn layer(router: axum::Router, auth: Arc<Authenticator>) -> axum::Router {
    router.layer(axum::middleware::from_fn_with_state(auth, middleware))
}

async fn middleware(
    State(auth): State<Arc<Authenticator>>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(&auth, &req);
    req.extensions_mut().insert(ClientIp(ip));
    req.extensions_mut().insert(auth.clone());
    if !req.headers().contains_key(signature::SIGNATURE) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    // The body-limit layer outside this one caps what can be read here.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE).into_response(),
    };
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    match auth
        .signed(parts.method.as_str(), &path, &query, &parts.headers, &bytes)
        .await
    {
        Ok(p) => {
            tracing::debug!(app = %p.subject, tenant = %p.tenant, "signed request verified");
            parts.extensions.insert(Verified(p));
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            tracing::info!(error = %e, "signed request refused");
            ApiError::from(e).into_response()
        }
    }
}

fn client_ip(auth: &Authenticator, req: &Request) -> Option<IpAddr> {
    if let Some(name) = &auth.client_ip_header
        && let Some(ip) = req
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The verified caller of this request, or why there is none.
pub async fn principal(parts: &mut Parts) -> Result<Principal, ApiError> {
    if let Some(Verified(p)) = parts.extensions.get::<Verified>() {
        return Ok(p.clone());
    }
    let auth = parts
        .extensions
        .get::<Arc<Authenticator>>()
        .cloned()
        .ok_or_else(|| {
            tracing::error!("no authenticator on this request: is runtime::auth::layer applied?");
            ApiError::unavailable("authentication not configured")
        })?;
    let token = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or(AuthError::Missing)?;
    let p = auth.bearer(token).await?;
    if let Some(slot) = parts.extensions.get::<PrincipalSlot>() {
        let _ = slot.0.set(p.clone());
    }
    parts.extensions.insert(Verified(p.clone()));
    Ok(p)
}

fn fill_slot(parts: &Parts, p: &Principal) {
    if let Some(slot) = parts.extensions.get::<PrincipalSlot>() {
        let _ = slot.0.set(p.clone());
    }
}

/// Any authenticated caller (no permission required), e.g. for "my profile".
pub struct Caller(pub Principal);

impl Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let p = principal(parts).await?;
        fill_slot(parts, &p);
        Ok(Self(p))
    }
}

/// An authenticated caller holding permission `P` on some node. The handler then checks
/// the node of what it touches with [`Auth::at`] (or filters lists with
/// [`Auth::scopes`]). A caller without `P` anywhere gets 403 before the handler runs;
/// without credentials, 401.
pub struct Auth<P: Permission> {
    pub principal: Principal,
    _p: PhantomData<P>,
}

impl<P: Permission> Auth<P> {
    /// `P` at the node `path`: 404 for another tenant's node, 403 outside the caller's
    /// grants.
    pub fn at(&self, path: &OrgPath) -> Result<(), ApiError> {
        authorize(&self.principal, P::NAME, path).map_err(ApiError::from)
    }

    /// Where the caller may use `P` (for list filters).
    pub fn scopes(&self) -> Scopes {
        self.principal.scopes(P::NAME)
    }

    /// Whether the caller also holds `permission` at `path` (e.g. `pii:read` to see
    /// phone numbers unmasked).
    pub fn can(&self, permission: &str, path: &OrgPath) -> bool {
        self.principal.can(permission, path)
    }
}

impl<P: Permission> Deref for Auth<P> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<S: Send + Sync, P: Permission> FromRequestParts<S> for Auth<P> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let p = principal(parts).await?;
        fill_slot(parts, &p);
        if !p.can_anywhere(P::NAME) {
            return Err(ApiError::from_status(StatusCode::FORBIDDEN));
        }
        Ok(Self {
            principal: p,
            _p: PhantomData,
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(None)))
    }
}
