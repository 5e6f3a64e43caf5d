//! `{"code":0,"data":…,"message":"success"}` and its errors. Error codes: common 1000s
//! (here), identity 11xxx, charging 12xxx, billing 13xxx, payment 14xxx, notification
//! 15xxx, analytics 16xxx, gateway 17xxx — each service maps its errors in one place.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Common error codes.
pub mod codes {
    pub const OK: u32 = 0;
    pub const INTERNAL: u32 = 1000;
    pub const INVALID_ARGUMENT: u32 = 1001;
    pub const UNAUTHENTICATED: u32 = 1002;
    pub const PERMISSION_DENIED: u32 = 1003;
    pub const NOT_FOUND: u32 = 1004;
    pub const CONFLICT: u32 = 1005;
    pub const PAYLOAD_TOO_LARGE: u32 = 1006;
    pub const RATE_LIMITED: u32 = 1007;
    pub const UNAVAILABLE: u32 = 1008;
    pub const METHOD_NOT_ALLOWED: u32 = 1009;
    pub const UNSUPPORTED_MEDIA_TYPE: u32 = 1010;
    pub const TIMEOUT: u32 = 1011;
}

/// The body of every API response.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Envelope<T> {
    pub code: u32,
    pub data: Option<T>,
    pub message: Cow<'static, str>,
}

/// A successful response: `{"code":0,"data":data,"message":"success"}`.
pub fn ok<T: Serialize>(data: T) -> Json<Envelope<T>> {
    Json(Envelope {
        code: codes::OK,
        data: Some(data),
        message: Cow::Borrowed("success"),
    })
}

pub type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

/// An error as a client sees it: HTTP status, business code and a message that is safe
/// to show. Internal details are logged, never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: Cow<'static, str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, codes::INVALID_ARGUMENT, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            codes::NOT_FOUND,
            format!("{what} not found"),
        )
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, codes::CONFLICT, message)
    }

    pub fn unavailable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, codes::UNAVAILABLE, message)
    }

    /// Logs `err` with its chain and answers a generic 500.
    pub fn internal(err: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %err, source = ?err.source(), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL,
            "internal error",
        )
    }

    /// The common code for a bare HTTP status (used for errors produced by middleware).
    pub fn from_status(status: StatusCode) -> Self {
        let (code, message) = match status {
            StatusCode::BAD_REQUEST => (codes::INVALID_ARGUMENT, "bad request"),
            StatusCode::UNAUTHORIZED => (codes::UNAUTHENTICATED, "authentication required"),
            StatusCode::FORBIDDEN => (codes::PERMISSION_DENIED, "permission denied"),
            StatusCode::NOT_FOUND => (codes::NOT_FOUND, "no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => (codes::METHOD_NOT_ALLOWED, "method not allowed"),
            StatusCode::CONFLICT => (codes::CONFLICT, "conflict"),
            StatusCode::PAYLOAD_TOO_LARGE => (codes::PAYLOAD_TOO_LARGE, "request body too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                (codes::UNSUPPORTED_MEDIA_TYPE, "unsupported content type")
            }
            StatusCode::REQUEST_TIMEOUT => (codes::TIMEOUT, "request timed out"),
            StatusCode::TOO_MANY_REQUESTS => (codes::RATE_LIMITED, "too many requests"),
            StatusCode::SERVICE_UNAVAILABLE => (codes::UNAVAILABLE, "service unavailable"),
            s if s.is_client_error() => (codes::INVALID_ARGUMENT, "bad request"),
            _ => (codes::INTERNAL, "internal error"),
        };
        Self::new(status, code, message)
    }

    /// The gRPC status for this error, so REST and gRPC answer alike.
    pub fn to_grpc(&self) -> tonic::Status {
        use tonic::Code;
        let code = match self.status {
            StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => Code::InvalidArgument,
            StatusCode::UNAUTHORIZED => Code::Unauthenticated,
            StatusCode::FORBIDDEN => Code::PermissionDenied,
            StatusCode::NOT_FOUND => Code::NotFound,
            StatusCode::CONFLICT => Code::AlreadyExists,
            StatusCode::TOO_MANY_REQUESTS => Code::ResourceExhausted,
            StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
            StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => Code::DeadlineExceeded,
            StatusCode::UNPROCESSABLE_ENTITY => Code::FailedPrecondition,
            _ => Code::Internal,
        };
        let mut status = tonic::Status::new(code, self.message.to_string());
        if let Ok(v) = self.code.to_string().parse() {
            status.metadata_mut().insert("pylon-code", v);
        }
        status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.status, self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope::<()> {
            code: self.code,
            data: None,
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<ApiError> for tonic::Status {
    fn from(e: ApiError) -> Self {
        e.to_grpc()
    }
}
