//! The one place identity's errors become API errors: codes 11xxx (DESIGN §6).

use axum::http::StatusCode;
use runtime::http::{ApiError, codes};

use crate::error::IdentityError;

pub mod code {
    pub const INVALID_CREDENTIALS: u32 = 11001;
    pub const ACCOUNT_DISABLED: u32 = 11002;
    pub const ACCOUNT_LOCKED: u32 = 11003;
    pub const INVALID_CODE: u32 = 11004;
    pub const INVALID_REFRESH_TOKEN: u32 = 11005;
    pub const REFRESH_REUSE: u32 = 11006;
    pub const WEAK_PASSWORD: u32 = 11007;
    pub const ALREADY_REGISTERED: u32 = 11008;
    pub const INVALID_MOVE: u32 = 11009;
    pub const KIND_NOT_ALLOWED: u32 = 11010;
    pub const NOT_GRANTABLE: u32 = 11011;
    pub const ROLE_EXISTS: u32 = 11012;
    pub const NODE_DISABLED: u32 = 11013;
    pub const TENANT_EXISTS: u32 = 11014;
    pub const APP_REVOKED: u32 = 11015;
    pub const WRONG_PASSWORD: u32 = 11016;
    pub const ROLE_IN_USE: u32 = 11017;
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        use IdentityError as E;
        let msg = e.to_string();
        let (status, code) = match &e {
            E::InvalidCredentials => (StatusCode::UNAUTHORIZED, code::INVALID_CREDENTIALS),
            E::AccountDisabled => (StatusCode::FORBIDDEN, code::ACCOUNT_DISABLED),
            E::AccountLocked => (StatusCode::FORBIDDEN, code::ACCOUNT_LOCKED),
            E::InvalidCode => (StatusCode::UNAUTHORIZED, code::INVALID_CODE),
            E::InvalidRefreshToken => (StatusCode::UNAUTHORIZED, code::INVALID_REFRESH_TOKEN),
            E::RefreshReuse => (StatusCode::UNAUTHORIZED, code::REFRESH_REUSE),
            E::WeakPassword(_) => (StatusCode::BAD_REQUEST, code::WEAK_PASSWORD),
            E::AlreadyRegistered(_) => (StatusCode::CONFLICT, code::ALREADY_REGISTERED),
            E::InvalidMove(_) => (StatusCode::BAD_REQUEST, code::INVALID_MOVE),
            E::KindNotAllowed(_) => (StatusCode::BAD_REQUEST, code::KIND_NOT_ALLOWED),
            E::NotGrantable(_) => (StatusCode::FORBIDDEN, code::NOT_GRANTABLE),
            E::RoleExists => (StatusCode::CONFLICT, code::ROLE_EXISTS),
            E::NodeDisabled => (StatusCode::CONFLICT, code::NODE_DISABLED),
            E::TenantExists => (StatusCode::CONFLICT, code::TENANT_EXISTS),
            E::AppRevoked => (StatusCode::CONFLICT, code::APP_REVOKED),
            E::WrongPassword => (StatusCode::BAD_REQUEST, code::WRONG_PASSWORD),
            E::RoleInUse => (StatusCode::CONFLICT, code::ROLE_IN_USE),
            E::RateLimited => (StatusCode::TOO_MANY_REQUESTS, codes::RATE_LIMITED),
            E::NotFound(what) => return ApiError::not_found(what),
            E::Invalid(_) => (StatusCode::BAD_REQUEST, codes::INVALID_ARGUMENT),
            E::Forbidden => return ApiError::from_status(StatusCode::FORBIDDEN),
            E::Database(_) | E::Bus(_) | E::Crypto(_) | E::Internal(_) => {
                return ApiError::internal(&e);
            }
        };
        ApiError::new(status, code, msg)
    }
}

impl From<IdentityError> for tonic::Status {
    fn from(e: IdentityError) -> Self {
        ApiError::from(e).to_grpc()
    }
}
