//! Authentication and authorization every service shares (docs/security.md):
//!
//! - access tokens (EdDSA JWTs from identity) verified against a cached JWKS — no call
//!   to identity per request ([`jwks`], [`verify`]);
//! - third-party request signatures (HMAC-SHA256, ±skew, nonce replay cache in NATS KV)
//!   ([`signature`], [`apps`]);
//! - RBAC over the organization tree: grants carry their node's path, resources carry
//!   theirs, a grant covers its subtree ([`principal`], [`authorize`]);
//! - the axum extractor that protects an endpoint in one line ([`Auth`]):
//!
//! ```ignore
//! runtime::permission!(pub DevicesRead = "devices:read");
//! async fn get_device(auth: Auth<DevicesRead>, Path(id): Path<DeviceId>) -> ApiResult<Device> {
//!     let device = load(id).await?;
//!     auth.at(&device.org_path)?;          // the resource's node must be in scope
//!     Ok(ok(device))
//! }
//! ```

pub mod apps;
pub mod claims;
mod extract;
pub mod jwks;
pub mod principal;
pub mod signature;
pub mod verify;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};

pub use extract::{Auth, Caller, ClientIp, Permission, PrincipalSlot, layer};
pub use principal::{
    Denied, Grant, OrgPath, Principal, PrincipalKind, Scopes, authorize, permission_matches,
};

use crate::config::AuthConfig;
use crate::http::{ApiError, codes};
use apps::{AppRegistry, NonceStore};
use jwks::{HttpJwks, Jwks, JwksSource};
use verify::TokenVerifier;

/// Declares a permission type for [`Auth`]: `permission!(pub UsersRead = "users:read");`
#[macro_export]
macro_rules! permission {
    ($(#[$m:meta])* $vis:vis $name:ident = $perm:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy)]
        $vis struct $name;
        impl $crate::auth::Permission for $name {
            const NAME: &'static str = $perm;
        }
    };
}

/// Why a caller could not be authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("authentication required")]
    Missing,
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error("{0}")]
    Signature(&'static str),
    #[error("jwks: {0}")]
    Jwks(String),
    #[error("{0}")]
    Unavailable(String),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Missing => ApiError::from_status(StatusCode::UNAUTHORIZED),
            AuthError::InvalidToken(m) | AuthError::Signature(m) => {
                ApiError::new(StatusCode::UNAUTHORIZED, codes::UNAUTHENTICATED, m)
            }
            AuthError::Jwks(m) | AuthError::Unavailable(m) => {
                tracing::error!(error = %m, "authentication backend unavailable");
                ApiError::unavailable("authentication temporarily unavailable")
            }
        }
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::OtherTenant => ApiError::not_found("resource"),
            Denied::Permission => ApiError::from_status(StatusCode::FORBIDDEN),
        }
    }
}

/// Verifies tokens and signatures for every service of the process.
pub struct Authenticator {
    verifier: TokenVerifier,
    apps: Arc<AppRegistry>,
    nonces: Option<NonceStore>,
    skew_secs: i64,
    client_ip_header: Option<axum::http::HeaderName>,
}

impl Authenticator {
    /// An authenticator without NATS (tokens only; signatures are refused). For tests
    /// and tools.
    pub fn tokens_only(cfg: &AuthConfig, source: Option<Arc<dyn JwksSource>>) -> Self {
        let jwks = Arc::new(Jwks::new(source));
        Self {
            verifier: TokenVerifier::new(jwks, &cfg.issuer, &cfg.audience, cfg.leeway_secs),
            apps: Arc::new(AppRegistry::default()),
            nonces: None,
            skew_secs: cfg.signature_skew_secs as i64,
            client_ip_header: None,
        }
    }

    /// The process's authenticator: JWKS from `auth.jwks_url` (or later from identity in
    /// this process), refreshed every `auth.jwks_refresh_secs`; the app registry and
    /// nonce cache in NATS KV. Background work stops with `stop`.
    pub async fn start(
        config: &crate::Config,
        bus: &bus::Bus,
        stop: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let cfg = &config.auth;
        let source: Option<Arc<dyn JwksSource>> = if cfg.jwks_url.is_empty() {
            None
        } else {
            Some(Arc::new(HttpJwks::new(&cfg.jwks_url)?))
        };
        let mut me = Self::tokens_only(cfg, source);
        if !config.http.client_ip_header.is_empty() {
            me.client_ip_header = Some(config.http.client_ip_header.parse()?);
        }
        let ns = &bus.namespace;
        let apps_kv =
            bus::kv::ensure_bucket(&bus.jetstream, ns, apps::APPS_BUCKET, 1, Duration::ZERO)
                .await?;
        let nonce_kv = bus::kv::ensure_bucket(
            &bus.jetstream,
            ns,
            apps::NONCES_BUCKET,
            1,
            Duration::from_secs(cfg.signature_skew_secs * 2 + 60),
        )
        .await?;
        me.nonces = Some(NonceStore::new(nonce_kv));
        let me = Arc::new(me);
        tokio::spawn(me.apps.clone().follow(apps_kv, stop.clone()));
        let jwks = me.verifier.jwks().clone();
        tokio::spawn(jwks.refresh_loop(Duration::from_secs(cfg.jwks_refresh_secs), stop));
        Ok(me)
    }

    pub fn jwks(&self) -> &Arc<Jwks> {
        self.verifier.jwks()
    }

    pub fn apps(&self) -> &Arc<AppRegistry> {
        &self.apps
    }

    /// Verifies a bearer token.
    pub async fn bearer(&self, token: &str) -> Result<Principal, AuthError> {
        self.verifier.verify(token).await
    }

    /// Verifies a signed request (`headers` carry the signature headers).
    pub async fn signed(
        &self,
        method: &str,
        path: &str,
        query: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Principal, AuthError> {
        let h = |name: &'static str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or(AuthError::Signature("missing signature header"))
        };
        let app_id = h(signature::APP_ID)?;
        let ts: i64 = h(signature::TIMESTAMP)?
            .parse()
            .map_err(|_| AuthError::Signature("bad signature timestamp"))?;
        let nonce = h(signature::NONCE)?;
        let sig = h(signature::SIGNATURE)?;
        if !apps::valid_app_id(app_id) {
            return Err(AuthError::Signature("unknown app"));
        }
        if !signature::valid_nonce(nonce) {
            return Err(AuthError::Signature("bad nonce"));
        }
        let now = chrono::Utc::now().timestamp();
        if (now - ts).abs() > self.skew_secs {
            return Err(AuthError::Signature(
                "signature timestamp outside the allowed skew",
            ));
        }
        let app = self
            .apps
            .lookup(app_id)
            .await?
            .filter(|a| a.active)
            .ok_or(AuthError::Signature("unknown app"))?;
        if !signature::verify(&app.secret, sig, method, path, query, ts, nonce, body) {
            return Err(AuthError::Signature("bad signature"));
        }
        // Only a correctly signed request reaches the cache, so nobody without the
        // secret can fill it.
        let nonces = self
            .nonces
            .as_ref()
            .ok_or_else(|| AuthError::Unavailable("no nonce cache".into()))?;
        if !nonces.claim(app_id, nonce).await? {
            return Err(AuthError::Signature("nonce already used"));
        }
        Ok(app.principal())
    }
}
