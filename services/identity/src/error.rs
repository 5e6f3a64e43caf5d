//! Identity's one error type. Codes (11xxx) and statuses are assigned in one place,
//! [`crate::api::error`].

use runtime::auth::Denied;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("account disabled")]
    AccountDisabled,
    #[error("account locked after repeated failures; try again later")]
    AccountLocked,
    #[error("invalid or expired code")]
    InvalidCode,
    #[error("invalid or expired refresh token")]
    InvalidRefreshToken,
    #[error("refresh token reused; the session was revoked")]
    RefreshReuse,
    #[error("{0}")]
    WeakPassword(&'static str),
    #[error("{0} already registered")]
    AlreadyRegistered(&'static str),
    #[error("{0}")]
    InvalidMove(&'static str),
    #[error("{0}")]
    KindNotAllowed(&'static str),
    #[error("{0}")]
    NotGrantable(&'static str),
    #[error("role name already taken")]
    RoleExists,
    #[error("organization node is disabled")]
    NodeDisabled,
    #[error("tenant code already taken")]
    TenantExists,
    #[error("app is revoked")]
    AppRevoked,
    #[error("current password is wrong")]
    WrongPassword,
    #[error("role is still granted")]
    RoleInUse,
    #[error("too many requests")]
    RateLimited,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Invalid(String),
    #[error("permission denied")]
    Forbidden,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("bus: {0}")]
    Bus(#[from] bus::BusError),
    #[error("crypto: {0}")]
    Crypto(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<Denied> for IdentityError {
    fn from(d: Denied) -> Self {
        match d {
            // Another tenant's things do not exist for the caller.
            Denied::OtherTenant => IdentityError::NotFound("resource"),
            Denied::Permission => IdentityError::Forbidden,
        }
    }
}

impl From<runtime::auth::principal::InvalidPath> for IdentityError {
    fn from(e: runtime::auth::principal::InvalidPath) -> Self {
        IdentityError::Internal(e.to_string())
    }
}

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
